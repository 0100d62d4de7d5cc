"""Who may call what: every endpoint but `/health` takes `Authorization: Bearer <token>`;
the token's scope (read < review < admin) must reach the endpoint's.

An endpoint of the JSON API is `async` and takes a `Caller` (`Reader`, `Reviewer`,
`Admin`): the dependency checks the token before the parameters and body are validated (so
a refused token is 401 or 403 whatever else is wrong). A token checked lately is known on
the event loop, from the `TokenCache`, with no query and no thread; the cache listens on
a connection of its own for the NOTIFY that making or revoking a token sends, and reads
what has arrived before it answers, so a revocation bites on the next request. The
endpoint's work runs in one trip to a worker thread (`await caller.run(service, ...)`),
on a pooled connection taken and given back there; the response is then validated and
serialised on the event loop. A GET's work runs in autocommit (each statement its own
snapshot of the append-only ledger; a service that reads several together opens its own
read-only transaction), which spares the `BEGIN` and `COMMIT` round trips; any other
method's work runs in one transaction, committed when it returns and rolled back when it
raises. Requests past the pool's size wait on the loop, in turn, for a slot (`Database`).
`Conn` (a connection alone, for the review pages and webhooks) is the plain per-request
connection in a transaction."""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, suppress
from typing import Annotated, Any, Concatenate, ParamSpec, TypeVar

import psycopg
from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from psycopg_pool import ConnectionPool

from api.services.tokens import CHANNEL, PREFIX, Principal, Scope, authenticate, token_hash

bearer = HTTPBearer(auto_error=False, description="An API token: `ledgerbridge token create`.")
CHALLENGE = {"WWW-Authenticate": "Bearer"}
log = logging.getLogger("api")

P = ParamSpec("P")
T = TypeVar("T")


def connection(request: Request) -> Iterator[psycopg.Connection[Any]]:
    """A pooled connection for one request: committed when the request succeeds."""
    with request.app.state.pool.connection() as conn:
        yield conn


Conn = Annotated[psycopg.Connection[Any], Depends(connection)]


@contextmanager
def pooled(
    pool: ConnectionPool[Any], autocommit: bool, timeout: float | None = None
) -> Iterator[psycopg.Connection[Any]]:
    """A pooled connection for one piece of work, in a worker thread: in autocommit, or in a
    transaction committed when the work returns; rolled back when it raises. It goes back
    out of autocommit (the review pages and the webhooks count on a transaction per
    request), set here: a pool with a reset function would hand every connection given
    back to its own thread first."""
    conn = pool.getconn(timeout)
    try:
        conn.autocommit = autocommit
        yield conn
        conn.commit()
    except BaseException:
        with suppress(psycopg.Error):  # a broken connection: the pool replaces it
            conn.rollback()
        raise
    finally:
        with suppress(psycopg.Error):
            conn.autocommit = False
        pool.putconn(conn)


class Database:
    """The pool and what blocking work on it runs through: as many worker threads as the
    pool has connections, and as many slots, taken on the event loop in turn, so a request
    past the pool's size waits on the loop, not in a thread."""

    def __init__(self, pool: ConnectionPool[Any]) -> None:
        self.pool = pool
        self._threads: ThreadPoolExecutor | None = None
        self._slots: asyncio.Semaphore | None = None

    def open(self) -> None:
        """Starts the threads and the slots (on the loop that serves the requests)."""
        self._threads = ThreadPoolExecutor(self.pool.max_size, thread_name_prefix="api-db")
        self._slots = asyncio.Semaphore(self.pool.max_size)

    def close(self) -> None:
        if self._threads is not None:
            self._threads.shutdown(wait=True)

    async def run(self, work: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """`work(...)` in a worker thread, once a slot is free."""
        if self._threads is None or self._slots is None:
            raise RuntimeError("the API's database access is not open")
        async with self._slots:
            return await asyncio.get_running_loop().run_in_executor(
                self._threads, lambda: work(*args, **kwargs)
            )


class TokenCache:
    """Principals of the tokens checked lately, by the token's SHA-256, for at most
    `seconds` and `size` of them. Trusted only while a connection of its own LISTENs on
    `tokens.CHANNEL`: every answer first reads what has arrived on it, and a notification
    (a token made or revoked) forgets everything. While that connection is down every
    token is checked in the database (and the connection made again, at most every few
    seconds); a lookup that a notification overtook is not kept."""

    RETRY_SECONDS = 5.0

    def __init__(self, url: str, size: int = 1024, seconds: float = 60.0) -> None:
        self.url = url
        self.size = size
        self.seconds = seconds
        self._kept: OrderedDict[str, tuple[Principal, float]] = OrderedDict()
        self._listener: psycopg.Connection[Any] | None = None
        self._generation = 0
        self._next_try = 0.0
        self._broken = False

    def listen(self) -> psycopg.Connection[Any] | None:
        """A new listening connection (blocking: in a worker thread); None if it fails."""
        try:
            conn = psycopg.connect(self.url, autocommit=True, connect_timeout=5)
        except psycopg.Error as error:
            log.warning("tokens: cannot listen", extra={"error": type(error).__name__})
            return None
        try:
            conn.execute(f"LISTEN {CHANNEL}")
            conn.add_notice_handler(self._noticed)
        except psycopg.Error as error:
            conn.close()
            log.warning("tokens: cannot listen", extra={"error": type(error).__name__})
            return None
        return conn

    def _noticed(self, notice: psycopg.errors.Diagnostic) -> None:
        # A backend that is made to end says so (FATAL) before it closes the connection,
        # and libpq hands that to an idle connection as a notice.
        if notice.severity_nonlocalized in ("FATAL", "PANIC"):
            self._broken = True

    def start(self, listener: psycopg.Connection[Any] | None) -> None:
        """Takes a listening connection (on the loop); anything kept before goes."""
        self._drop()
        self._listener = listener
        self._broken = False
        self._next_try = time.monotonic() + self.RETRY_SECONDS

    def close(self) -> None:
        self._drop()

    def _drop(self) -> None:
        listener, self._listener = self._listener, None
        self._forget()
        if listener is not None:
            listener.close()

    def _forget(self) -> None:
        self._kept.clear()
        self._generation += 1

    def trusted(self) -> bool:
        """Reads what the listening connection has received (without waiting): a
        notification forgets every token; a broken connection too, and closes it."""
        listener = self._listener
        if listener is None:
            return False
        pgconn = listener.pgconn
        try:
            pgconn.consume_input()
        except psycopg.Error:
            log.warning("tokens: the listening connection broke; checking every token")
            self._drop()
            return False
        heard = False
        while pgconn.notifies() is not None:  # parses what was read: notices too
            heard = True
        if heard:
            self._forget()
        if self._broken or pgconn.status != psycopg.pq.ConnStatus.OK:
            log.warning("tokens: the listening connection ended; checking every token")
            self._drop()
            return False
        return True

    def kept(self, digest: str) -> Principal | None:
        if not self.trusted():
            return None
        found = self._kept.get(digest)
        if found is None:
            return None
        principal, until = found
        if until < time.monotonic():
            del self._kept[digest]
            return None
        self._kept.move_to_end(digest)
        return principal

    def keep(self, digest: str, principal: Principal, generation: int) -> None:
        """Keeps a lookup made when the cache was at `generation`, unless a notification
        (or a new listening connection) came since."""
        if not self.trusted() or generation != self._generation:
            return
        self._kept[digest] = (principal, time.monotonic() + self.seconds)
        while len(self._kept) > self.size:
            self._kept.popitem(last=False)

    def due(self) -> bool:
        """Whether to try listening again now (the connection is down)."""
        if self._listener is not None or time.monotonic() < self._next_try:
            return False
        self._next_try = time.monotonic() + self.RETRY_SECONDS
        return True

    async def principal(self, database: Database, token: str) -> Principal | None:
        """The principal a bearer token stands for, or None (unknown, malformed, revoked)."""
        if not token.startswith(PREFIX) or len(token) > 200:
            return None
        digest = token_hash(token)
        found = self.kept(digest)
        if found is not None:
            return found
        if self.due():
            listener = await database.run(self.listen)
            if listener is not None:
                self.start(listener)
        generation = self._generation
        found = await database.run(_authenticate, database.pool, token)
        if found is not None:
            self.keep(digest, found, generation)
        return found


def _authenticate(pool: ConnectionPool[Any], token: str) -> Principal | None:
    with pooled(pool, autocommit=True) as conn:
        return authenticate(conn, token)


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

    def _work(self, work: Callable[[psycopg.Connection[Any]], T]) -> T:
        with pooled(self._database.pool, autocommit=self._reads_only) as conn:
            return work(conn)


def require(scope: Scope) -> Callable[..., Any]:
    """A dependency: the caller, refused unless its token's scope reaches `scope`."""

    async def caller(
        request: Request,
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
    ) -> Caller:
        if credentials is None or credentials.scheme.lower() != "bearer":
            raise HTTPException(401, "an API token is needed: Authorization: Bearer <token>",
                                headers=CHALLENGE)  # fmt: skip
        state = request.app.state
        found = await state.tokens.principal(state.database, credentials.credentials)
        if found is None:
            raise HTTPException(401, "the API token is unknown or revoked", headers=CHALLENGE)
        if not found.may(scope):
            raise HTTPException(
                403, f"token {found.name!r} has scope {found.scope}; this needs {scope}"
            )
        return Caller(state.database, found, request.method in ("GET", "HEAD"))

    caller.__name__ = f"requires_{scope}"
    return caller


Reader = Annotated[Caller, Depends(require("read"))]
Reviewer = Annotated[Caller, Depends(require("review"))]
Admin = Annotated[Caller, Depends(require("admin"))]
