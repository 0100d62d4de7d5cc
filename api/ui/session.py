"""Signing in to the review pages: the API token a person types is kept in a session cookie
(HttpOnly, SameSite=Strict, Secure over https) and checked on every request, so a revoked
token signs its holder out at once. Forms carry a CSRF token derived from the session's."""

from __future__ import annotations

import hashlib
import hmac
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import Depends, Request
from fastapi.responses import Response

from api.auth import Conn
from api.services.tokens import Principal, Scope, authenticate

COOKIE = "lb_session"
FLASH = "lb_flash"
SESSION_SECONDS = 12 * 3600


class SignInNeeded(Exception):
    """No session, or its token is unknown or revoked: the person is sent to sign in."""

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path


class CsrfRefused(Exception):
    """A form came without the session's CSRF token."""


def csrf_token(session_token: str) -> str:
    """A value only a page served to this session can hold: HMAC of a fixed label under the
    session's secret token (which never leaves the HttpOnly cookie)."""
    return hmac.new(session_token.encode(), b"ledgerbridge-ui-csrf", hashlib.sha256).hexdigest()


def is_https(request: Request) -> bool:
    forwarded = request.headers.get("x-forwarded-proto", "")
    return request.url.scheme == "https" or forwarded.split(",")[0].strip() == "https"


def start_session(request: Request, response: Response, token: str) -> None:
    response.set_cookie(
        COOKIE, token, max_age=SESSION_SECONDS, path="/ui", httponly=True, samesite="strict",
        secure=is_https(request),
    )  # fmt: skip


def end_session(response: Response) -> None:
    response.delete_cookie(COOKIE, path="/ui", httponly=True, samesite="strict")


def set_flash(request: Request, response: Response, message: str, tone: str = "ok") -> None:
    """A one-line notice shown on the next page (after a redirect), then forgotten."""
    response.set_cookie(
        FLASH, quote(f"{tone}|{message}"[:600]), max_age=60, path="/ui", httponly=True,
        samesite="strict", secure=is_https(request),
    )  # fmt: skip


def safe_next(path: str | None) -> str:
    """Where to go after signing in or acting: a path under /ui only, never another site,
    and no control character (a NUL or a line break has no place in a Location header)."""
    if (
        path
        and path.startswith("/ui")
        and not path.startswith("//")
        and "\\" not in path
        and path.isprintable()
    ):
        return path
    return "/ui"


class Viewer:
    """The signed-in person: the token's principal and the CSRF token for its forms."""

    def __init__(self, principal: Principal, token: str) -> None:
        self.principal = principal
        self.name = principal.name
        self.scope = principal.scope
        self.csrf = csrf_token(token)

    def may(self, needed: Scope) -> bool:
        return self.principal.may(needed)


def viewer(request: Request, conn: Conn) -> Viewer:
    token = request.cookies.get(COOKIE)
    found = authenticate(conn, token) if token else None
    if token is None or found is None:
        path = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise SignInNeeded(path if request.method == "GET" else "/ui")
    return Viewer(found, token)


SignedIn = Annotated[Viewer, Depends(viewer)]


def check_csrf(signed_in: Viewer, form: Any) -> None:
    sent = form.get("csrf") if form is not None else None
    if not isinstance(sent, str) or not hmac.compare_digest(sent, signed_in.csrf):
        raise CsrfRefused()
