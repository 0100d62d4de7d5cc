"""The review pages' entry: signing in and out, the redirects and refusals the pages share,
and `install_ui(app)`, which adds the pages and their stylesheet to the control API's app."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, FastAPI, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from api.auth import Conn
from api.services.tokens import authenticate
from api.ui import actions, pages
from api.ui.rendering import HERE, render
from api.ui.session import (
    CsrfRefused,
    SignedIn,
    SignInNeeded,
    check_csrf,
    end_session,
    safe_next,
    start_session,
)

router = APIRouter(prefix="/ui", include_in_schema=False)


@router.get("/sign-in", response_class=HTMLResponse)
def sign_in_page(
    request: Request, next: Annotated[str, Query(max_length=2000)] = "/ui"
) -> HTMLResponse:
    return render(request, "sign_in.html", None, next=safe_next(next), problem=None)


@router.post("/sign-in", response_model=None)
def sign_in(
    request: Request,
    conn: Conn,
    token: Annotated[str, Form(max_length=300)] = "",
    next: Annotated[str, Form(max_length=2000)] = "/ui",
) -> Response:
    found = authenticate(conn, token.strip())
    if found is None:
        problem = (
            "That token is unknown or revoked. Ask an admin for one"
            if token.strip()
            else ("Paste your API token to sign in")
        )
        return render(request, "sign_in.html", None, status_code=401, next=safe_next(next),
                      problem=problem)  # fmt: skip
    response = RedirectResponse(safe_next(next), status_code=303)
    start_session(request, response, token.strip())
    return response


@router.post("/sign-out")
def sign_out(viewer: SignedIn, csrf: Annotated[str, Form(max_length=200)] = "") -> RedirectResponse:
    check_csrf(viewer, {"csrf": csrf})
    response = RedirectResponse("/ui/sign-in", status_code=303)
    end_session(response)
    return response


def install_ui(app: FastAPI) -> None:
    """Adds `/ui` (the pages) and `/ui/static` (their stylesheet) to `app`."""

    @app.exception_handler(SignInNeeded)
    async def to_sign_in(request: Request, error: SignInNeeded) -> Response:
        response = RedirectResponse(f"/ui/sign-in?{_next_query(error.next_path)}", status_code=303)
        end_session(response)
        return response

    @app.exception_handler(CsrfRefused)
    async def refuse_form(request: Request, error: CsrfRefused) -> Response:
        return render(request, "refused.html", None, status_code=403)

    app.mount("/ui/static", StaticFiles(directory=str(HERE / "static")), name="ui-static")
    for part in (router, pages.router, actions.router):
        app.include_router(part)


def _next_query(path: str) -> str:
    from urllib.parse import urlencode

    return urlencode({"next": path})
