"""The review pages' Jinja2 environment (templates and filters) and the page renderer every
route uses: it adds the signed-in person, the notice left by the last action, and the menu."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from api.ui import formatting
from api.ui.session import FLASH, Viewer

HERE = Path(__file__).parent
templates = Jinja2Templates(directory=str(HERE / "templates"))
formatting.install(templates.env)

MENU = (
    ("/ui", "Overview"),
    ("/ui/unmatched", "Unmatched"),
    ("/ui/matches", "Matches"),
    ("/ui/gl-suggestions", "GL suggestions"),
    ("/ui/anomalies", "Anomalies"),
    ("/ui/approvals", "Approvals"),
    ("/ui/dead-letters", "Dead letters"),
    ("/ui/records", "Record history"),
    ("/ui/sync", "Sync"),
)


def query_with(request: Request, **changes: Any) -> str:
    """This page's query string with `changes` applied (None drops a parameter)."""
    params = {k: v for k, v in request.query_params.items() if v != ""}
    for name, value in changes.items():
        if value is None:
            params.pop(name, None)
        else:
            params[name] = str(value)
    return ("?" + urlencode(params)) if params else ""


def notice(request: Request) -> tuple[str, str] | None:
    raw = request.cookies.get(FLASH)
    if not raw:
        return None
    tone, _, message = unquote(raw).partition("|")
    return (tone if tone in ("ok", "error") else "ok", message)


def render(
    request: Request,
    template: str,
    viewer: Viewer | None,
    status_code: int = 200,
    **context: Any,
) -> HTMLResponse:
    shown_notice = notice(request)
    response = templates.TemplateResponse(
        request,
        template,
        {
            "viewer": viewer, "menu": MENU, "path": request.url.path, "notice": shown_notice,
            "query_with": lambda **changes: query_with(request, **changes),
            "back": request.url.path + (f"?{request.url.query}" if request.url.query else ""),
            **context,
        },
        status_code=status_code,
    )  # fmt: skip
    if shown_notice is not None:
        response.delete_cookie(FLASH, path="/ui")
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Content-Security-Policy"] = (
        "default-src 'self'; style-src 'self'; img-src 'self' data:; script-src 'none';"
        " frame-ancestors 'none'; form-action 'self'"
    )
    return response
