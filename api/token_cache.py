"""Tokens checked lately, known on the event loop without a query: `TokenCache` keeps the
principal of each token's SHA-256 for a while, and forgets them all when the connection
it LISTENs on hears that a token was made or revoked."""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from typing import Any

import psycopg
from psycopg_pool import ConnectionPool

from api.database import Database, pooled
from api.services.tokens import CHANNEL, PREFIX, Principal, authenticate, token_hash

log = logging.getLogger("api")


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
