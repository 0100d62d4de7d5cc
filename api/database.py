"""The API's blocking database work: a pooled connection per piece of work (`pooled`), run
in worker threads as many as the pool has connections, with requests past the pool's size
waiting on the event loop for a slot (`Database`)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, suppress
from typing import Any, ParamSpec, TypeVar

import psycopg
from psycopg_pool import ConnectionPool

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
