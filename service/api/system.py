"""Health and the caller's own identity."""
from __future__ import annotations

from fastapi import APIRouter

from service.api.schemas import Health, Me
from service.deps import AnyUser, ArchiveDep, SettingsDep

router = APIRouter(tags=["hệ thống"])


@router.get("/api/health", response_model=Health)
def health(archive: ArchiveDep, settings: SettingsDep):
    """Tình trạng dịch vụ (không cần đăng nhập)."""
    return Health(status="ok", documents=archive.store.count_documents(), demo=settings.demo)


@router.get("/api/me", response_model=Me)
def me(user: AnyUser):
    return Me(name=user.name, role=user.role, role_label=user.role_label)
