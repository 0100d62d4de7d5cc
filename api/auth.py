"""Who may call what: every endpoint but `/health` takes `Authorization: Bearer <token>`;
the token's scope (read < review < admin) must reach the endpoint's.

An endpoint of the JSON API is `async` and takes a `Caller` (`Reader`, `Reviewer`,
`Admin`): the dependency takes a pooled connection and checks the token on it in one trip
to a worker thread, before the parameters and body are validated (so a refused token is
401 or 403 whatever else is wrong); the endpoint's work runs in one more trip
(`await caller.run(service, ...)`), which gives the connection back. The response is then
validated and serialised on the event loop. The token check and a GET's work run in
autocommit (each statement its own snapshot of the append-only ledger; a service that
reads several together opens its own read-only transaction), which spares the
`BEGIN` and `COMMIT` round trips; any other method's work runs in one transaction,
committed when it returns and rolled back when it raises. `Conn` (a connection alone, for
the review pages and webhooks) is the plain per-request connection in a transaction."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import suppress
from typing import Annotated, Any, Concatenate, ParamSpec, TypeVar

import psycopg
from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from psycopg_pool import ConnectionPool
from starlette.concurrency import run_in_threadpool

from api.services.tokens import Principal, Scope, authenticate

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
    """The principal a request's token stands for, and the pooled connection the token was
    checked on, which the request's work runs on."""

    def __init__(
        self,
        pool: ConnectionPool[Any],
        conn: psycopg.Connection[Any],
        principal: Principal,
        reads_only: bool,
    ) -> None:
        self.principal = principal
        self.name = principal.name
        self._pool = pool
        self._conn: psycopg.Connection[Any] | None = conn
        self._reads_only = reads_only

    async def run(
        self,
        work: Callable[Concatenate[psycopg.Connection[Any], P], T],
        *args: P.args,
        **kwargs: P.kwargs,
    ) -> T:
        """`work(connection, ...)` in a worker thread (in autocommit for a GET, else in a
        transaction committed when it returns, rolled back when it raises); the connection
        goes back to the pool either way. Once only."""
        return await run_in_threadpool(self._work, lambda conn: work(conn, *args, **kwargs))

    def _work(self, work: Callable[[psycopg.Connection[Any]], T]) -> T:
        conn = self._conn
        if conn is None:
            raise RuntimeError("a Caller's connection serves one piece of work")
        try:
            conn.autocommit = self._reads_only
            result = work(conn)
            conn.commit()
            return result
        except BaseException:
            with suppress(psycopg.Error):  # a broken connection: the pool replaces it
                conn.rollback()
            raise
        finally:
            self.release()

    @property
    def holding(self) -> bool:
        """Whether the connection is still held (no work has run on it)."""
        return self._conn is not None

    def release(self) -> None:
        """Gives the connection back (the pool rolls back a transaction left open); idempotent."""
        conn, self._conn = self._conn, None
        if conn is not None:
            self._pool.putconn(conn)  # out of autocommit (the pool's reset)


def in_transactions(conn: psycopg.Connection[Any]) -> None:
    """The pool's reset: a connection goes back out of autocommit (the review pages and the
    webhooks count on a transaction per request)."""
    conn.autocommit = False


def _check(pool: ConnectionPool[Any], token: str, scope: Scope, reads_only: bool) -> Caller:
    """Takes a connection and checks the token on it; a refused token gives it back."""
    conn = pool.getconn()
    try:
        conn.autocommit = True
        found = authenticate(conn, token)
        if found is None:
            raise HTTPException(401, "the API token is unknown or revoked", headers=CHALLENGE)
        if not found.may(scope):
            raise HTTPException(
                403, f"token {found.name!r} has scope {found.scope}; this needs {scope}"
            )
    except BaseException:
        pool.putconn(conn)
        raise
    return Caller(pool, conn, found, reads_only)


def require(scope: Scope) -> Callable[..., AsyncIterator[Caller]]:
    """A dependency: the caller, refused unless its token's scope reaches `scope`."""

    async def caller(
        request: Request,
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
    ) -> AsyncIterator[Caller]:
        if credentials is None or credentials.scheme.lower() != "bearer":
            raise HTTPException(401, "an API token is needed: Authorization: Bearer <token>",
                                headers=CHALLENGE)  # fmt: skip
        async with request.app.state.slots:
            found = await run_in_threadpool(
                _check, request.app.state.pool, credentials.credentials, scope,
                request.method in ("GET", "HEAD"),
            )  # fmt: skip
            try:
                yield found
            finally:
                # Still held when the request failed before its work ran (a parameter that
                # does not validate): the rollback may wait on the database, not on the loop.
                if found.holding:
                    await run_in_threadpool(found.release)

    caller.__name__ = f"requires_{scope}"
    return caller


Reader = Annotated[Caller, Depends(require("read"))]
Reviewer = Annotated[Caller, Depends(require("review"))]
Admin = Annotated[Caller, Depends(require("admin"))]
