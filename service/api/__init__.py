"""The JSON API under /api, one router per resource."""
from __future__ import annotations

from service.api import check, documents, imports, reports, rounds, system

routers = [system.router, check.router, reports.router, documents.router, imports.router, rounds.router]
