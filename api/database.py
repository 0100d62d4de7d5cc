"""The API's database work: the hot reads (the unmatched listing, a record's audit,
`/health`) on the event loop, on psycopg's async connections in autocommit (`Database.read`);
the rest, blocking, on a pooled connection per piece of work (`pooled`), run in worker
threads as many as the pool has connections, with requests past the pool's size waiting on
the event loop for a slot (`Database.run`)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, suppress
from typing import Any, Concatenate, ParamSpec, TypeVar

import psycopg
from psycopg_pool import AsyncConnectionPool, ConnectionPool

P = ParamSpec("P")
T = TypeVar("T")


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
    """The pools and what work on them runs through. Blocking work: as many worker threads
    as the pool has connections, and as many slots, taken on the event loop in turn, so a
    request past the pool's size waits on the loop, not in a thread. Reads on the event
    loop: an async pool of as many connections, in autocommit (each statement its own
    snapshot of the append-only ledger), waited for on the loop."""

    def __init__(self, pool: ConnectionPool[Any], reads: AsyncConnectionPool[Any]) -> None:
        self.pool = pool
        self.reads = reads
        self._threads: ThreadPoolExecutor | None = None
        self._slots: asyncio.Semaphore | None = None

    async def open(self) -> None:
        """Starts the threads, the slots and the async pool (on the loop that serves the
        requests)."""
        self._threads = ThreadPoolExecutor(self.pool.max_size, thread_name_prefix="api-db")
        self._slots = asyncio.Semaphore(self.pool.max_size)
        await self.reads.open(wait=False)

    async def close(self) -> None:
        await self.reads.close()
        if self._threads is not None:
            self._threads.shutdown(wait=True)

    async def read(
        self,
        work: Callable[Concatenate[psycopg.AsyncConnection[Any], P], Awaitable[T]],
        *args: P.args,
        **kwargs: P.kwargs,
    ) -> T:
        """`await work(connection, ...)` on a connection of the async pool, on the event
        loop: no thread, no transaction (the pool's connections are in autocommit)."""
        async with self.reads.connection() as conn:
            return await work(conn, *args, **kwargs)

    async def run(self, work: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """`work(...)` in a worker thread, once a slot is free."""
        if self._threads is None or self._slots is None:
            raise RuntimeError("the API's database access is not open")
        async with self._slots:
            return await asyncio.get_running_loop().run_in_executor(
                self._threads, lambda: work(*args, **kwargs)
            )
