"""Who may call what: every endpoint but `/health` takes `Authorization: Bearer <token>`;
the token's scope (read < review < admin) must reach the endpoint's.

An endpoint of the JSON API is `async` and takes a `Caller` (`Reader`, `Reviewer`,
`Admin`): the dependency checks the token before the parameters and body are validated (so
a refused token is 401 or 403 whatever else is wrong). A token checked lately is known on
the event loop, from the `api.token_cache.TokenCache`, with no query and no thread; the
cache listens on a connection of its own for the NOTIFY that making or revoking a token
sends, and reads what has arrived before it answers, so a revocation bites on the next request. The
hot reads (the unmatched listing, a record's audit) run on the event loop on psycopg's
async connections (`await caller.read(service, ...)`), with no thread; any other
endpoint's work runs in one trip to a worker thread (`await caller.run(service, ...)`),
on a pooled connection taken and given back there; the response is then validated and
serialised on the event loop. A GET's work runs in autocommit (each statement its own
snapshot of the append-only ledger; a service that reads several together opens its own
read-only transaction), which spares the `BEGIN` and `COMMIT` round trips; any other
method's work runs in one transaction, committed when it returns and rolled back when it
raises. Requests past the pool's size wait on the loop, in turn, for a slot
(`api.database.Database`). `Conn` (a connection alone, for the review pages and
webhooks) is the plain per-request connection in a transaction."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from typing import Annotated, Any, Concatenate, ParamSpec, TypeVar

import psycopg
from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.datastructures import State

from api.database import Database, pooled
from api.services.tokens import Principal, Scope

bearer = HTTPBearer(auto_error=False, description="An API token: `ledgerbridge token create`.")
CHALLENGE = {"WWW-Authenticate": "Bearer"}

P = ParamSpec("P")
T = TypeVar("T")


def connection(request: Request) -> Iterator[psycopg.Connection[Any]]:
    """A pooled connection for one request: committed when the request succeeds."""
    with request.app.state.pool.connection() as conn:
        yield conn


Conn = Annotated[psycopg.Connection[Any], Depends(connection)]


class Caller:
    """The principal a request's token stands for, and where its work runs."""

    def __init__(self, database: Database, principal: Principal, reads_only: bool) -> None:
        self.principal = principal
        self.name = principal.name
        self._database = database
        self._reads_only = reads_only
        self._ran = False

    async def run(
        self,
        work: Callable[Concatenate[psycopg.Connection[Any], P], T],
        *args: P.args,
        **kwargs: P.kwargs,
    ) -> T:
        """`work(connection, ...)` on a pooled connection, in a worker thread (in autocommit
        for a GET, else in a transaction committed when it returns, rolled back when it
        raises); the connection goes back to the pool either way. Once only."""
        if self._ran:
            raise RuntimeError("a Caller serves one piece of work")
        self._ran = True
        return await self._database.run(self._work, lambda conn: work(conn, *args, **kwargs))

    async def read(
        self,
        work: Callable[Concatenate[psycopg.AsyncConnection[Any], P], Awaitable[T]],
        *args: P.args,
        **kwargs: P.kwargs,
    ) -> T:
        """`await work(connection, ...)` on a connection of the async pool, in autocommit, on
        the event loop (no thread): for the hot reads, written for psycopg's async
        connections. Once only, and only for a GET."""
        if self._ran or not self._reads_only:
            raise RuntimeError("a Caller serves one piece of work; read() only for a GET")
        self._ran = True
        return await self._database.read(work, *args, **kwargs)

    def _work(self, work: Callable[[psycopg.Connection[Any]], T]) -> T:
        with pooled(self._database.pool, autocommit=self._reads_only) as conn:
            return work(conn)


async def admitted(state: State, token: str, scope: Scope, method: str) -> Caller:
    """The caller a bearer token stands for; 401 (HTTPException) when the token is unknown
    or revoked, 403 when its scope does not reach `scope`."""
    found = await state.tokens.principal(state.database, token)
    if found is None:
        raise HTTPException(401, "the API token is unknown or revoked", headers=CHALLENGE)
    if not found.may(scope):
        raise HTTPException(
            403, f"token {found.name!r} has scope {found.scope}; this needs {scope}"
        )
    return Caller(state.database, found, method in ("GET", "HEAD"))


def require(scope: Scope) -> Callable[..., Any]:
    """A dependency: the caller, refused unless its token's scope reaches `scope`."""

    async def caller(
        request: Request,
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
    ) -> Caller:
        if credentials is None or credentials.scheme.lower() != "bearer":
            raise HTTPException(401, "an API token is needed: Authorization: Bearer <token>",
                                headers=CHALLENGE)  # fmt: skip
        return await admitted(request.app.state, credentials.credentials, scope, request.method)

    caller.__name__ = f"requires_{scope}"
    return caller


Reader = Annotated[Caller, Depends(require("read"))]
Reviewer = Annotated[Caller, Depends(require("review"))]
Admin = Annotated[Caller, Depends(require("admin"))]
