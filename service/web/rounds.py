"""Review round pages."""
from __future__ import annotations

from fastapi import APIRouter, Request

from service.deps import PageRoundReader, ServiceDBDep, SettingsDep
from service.web.rendering import render

router = APIRouter(include_in_schema=False)


@router.get("/rounds")
def rounds_page(request: Request, user: PageRoundReader, db: ServiceDBDep, settings: SettingsDep):
    return render(request, "rounds.html", rounds=db.list_rounds(), max_files=settings.max_round_files)


@router.get("/rounds/{round_id}")
def round_page(request: Request, round_id: str, user: PageRoundReader, db: ServiceDBDep):
    return render(request, "round.html", round=db.get_round(round_id))
