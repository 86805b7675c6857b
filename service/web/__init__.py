"""The Vietnamese web UI: server-rendered pages reading through the same Archive and ServiceDB as the
API; uploads and long jobs go through the API from a little JavaScript (static/app.js)."""
from __future__ import annotations

from service.web import archive, reports, rounds, session

routers = [session.router, reports.router, archive.router, rounds.router]
