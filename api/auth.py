"""Who may call what: every endpoint but `/health` takes `Authorization: Bearer <token>`;
the token's scope (read < review < admin) must reach the endpoint's."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Annotated, Any

import psycopg
from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from api.services.tokens import Principal, Scope, authenticate

bearer = HTTPBearer(auto_error=False, description="An API token: `ledgerbridge token create`.")


def connection(request: Request) -> Iterator[psycopg.Connection[Any]]:
    """A pooled connection for one request: committed when the request succeeds."""
    with request.app.state.pool.connection() as conn:
        yield conn


Conn = Annotated[psycopg.Connection[Any], Depends(connection)]


def require(scope: Scope) -> Callable[..., Principal]:
    """A dependency: the calling principal, refused unless its scope reaches `scope`."""

    def principal(
        conn: Conn,
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
    ) -> Principal:
        challenge = {"WWW-Authenticate": "Bearer"}
        if credentials is None or credentials.scheme.lower() != "bearer":
            raise HTTPException(401, "an API token is needed: Authorization: Bearer <token>",
                                headers=challenge)  # fmt: skip
        found = authenticate(conn, credentials.credentials)
        if found is None:
            raise HTTPException(401, "the API token is unknown or revoked", headers=challenge)
        if not found.may(scope):
            raise HTTPException(
                403, f"token {found.name!r} has scope {found.scope}; this needs {scope}"
            )
        return found

    principal.__name__ = f"requires_{scope}"
    return principal


Reader = Annotated[Principal, Depends(require("read"))]
Reviewer = Annotated[Principal, Depends(require("review"))]
Admin = Annotated[Principal, Depends(require("admin"))]
