"""Continuous CDC on procrastinate: one `cdc.poll` job per stream poll, deferred by a
scheduler tick that every worker runs (procrastinate defers each periodic tick once,
whichever worker gets it) and by `request_poll`.

- A job's queueing lock is its stream, so a stream is never queued twice; its lock is
  the stream too, so it never runs twice at once — and the ledger's poll lock would
  serialise two polls of one stream anyway.
- Transient failures (lost connections, rate limits, a dead database) are retried with
  exponential backoff; permanent ones (a refused login, an unknown stream) are not.
- Jobs of a worker that died (no heartbeat for `stalled_seconds`) are retried by a
  periodic task, so a killed worker never holds its stream's lock for ever.
"""

from __future__ import annotations

import logging
import queue
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from functools import partial
from typing import Any

import procrastinate
import psycopg
from procrastinate.exceptions import AlreadyEnqueued, ConnectorException
from procrastinate.jobs import Job, Status
from procrastinate.retry import RetryDecision, RetryStrategy
from psycopg.conninfo import make_conninfo

from cdc.poll import RUN_KIND, PollFailed, poll_stream
from cdc.settings import CdcSettings, parse_interval
from cdc.streams import STREAMS, Sources, Stream, stream
from ledger.schedules import current_schedules, last_poll_starts

log = logging.getLogger("cdc")

POLL_TASK = "cdc.poll"
MAX_ATTEMPTS = 8


class PollRetry(RetryStrategy):
    """procrastinate's exponential backoff (2, 4, 8 ... seconds, at most `MAX_ATTEMPTS`
    attempts), for transient failures only."""

    def get_retry_decision(self, *, exception: BaseException, job: Job) -> RetryDecision | None:
        if isinstance(exception, PollFailed) and not exception.transient:
            return None
        return super().get_retry_decision(exception=exception, job=job)


POLL_RETRY = PollRetry(max_attempts=MAX_ATTEMPTS - 1, exponential_wait=2)


def interval_of(
    target: Stream, settings: CdcSettings, stored: dict[tuple[str, str], Any]
) -> int | None:
    """Seconds between polls of `target`: `schedule set` wins, then configuration, then
    the stream's default; None when switched off."""
    entry = stored.get((target.system, target.entity))
    if entry is not None:
        seconds: int | None = entry.interval_seconds
        return seconds
    configured = settings.intervals.get(target.name)
    if configured is not None:
        return parse_interval(configured)
    return target.interval_seconds


def due_streams(conn: psycopg.Connection[Any], settings: CdcSettings) -> list[Stream]:
    """The streams whose interval has passed since their last poll started."""
    stored = current_schedules(conn)
    started = last_poll_starts(conn, RUN_KIND)
    row = conn.execute("SELECT clock_timestamp()").fetchone()
    assert row is not None
    now: datetime = row[0]
    due = []
    for target in STREAMS:
        seconds = interval_of(target, settings, stored)
        last = started.get((target.system, target.entity))
        if seconds is not None and (last is None or (now - last).total_seconds() >= seconds):
            due.append(target)
    return due


class _SourcesPool:
    """One `Sources` per concurrently running poll: an ODBC connection or an HTTP client
    is not shared between threads, and kept sessions save a KashFlow login per poll."""

    def __init__(self, factory: Callable[[], Sources]) -> None:
        self._factory = factory
        self._idle: queue.SimpleQueue[Sources] = queue.SimpleQueue()

    @contextmanager
    def borrow(self) -> Iterator[Sources]:
        try:
            sources = self._idle.get_nowait()
        except queue.Empty:
            sources = self._factory()
        try:
            yield sources
        except Exception:
            sources.close()  # a failed source may be in any state: start afresh next time
            raise
        self._idle.put(sources)


def queue_conninfo(url: str) -> str:
    """`url` with procrastinate's schema (migration 0003) first on the search path."""
    return make_conninfo(url, options="-c search_path=procrastinate,public")


def build_app(url: str, sources: Callable[[], Sources], settings: CdcSettings) -> procrastinate.App:
    """The procrastinate app the workers run: the poll task, the scheduler tick and the
    stalled-job rescue, all bound to this database and these sources."""
    app = procrastinate.App(connector=procrastinate.PsycopgConnector(conninfo=queue_conninfo(url)))
    pool = _SourcesPool(sources)

    @app.task(name=POLL_TASK, retry=POLL_RETRY)
    def poll(system: str, entity: str, reason: str = "schedule") -> dict[str, Any]:
        with pool.borrow() as borrowed, psycopg.connect(url, autocommit=True) as conn:
            report = poll_stream(conn, borrowed, stream(system, entity), reason=reason)
        return report.counts()

    @app.periodic(cron=f"* * * * * */{settings.tick_seconds}", periodic_id="cdc")
    @app.task(name="cdc.schedule_tick", queueing_lock="cdc.schedule_tick")
    def schedule_tick(timestamp: int) -> None:
        with psycopg.connect(url, autocommit=True) as conn:
            due = due_streams(conn, settings)
        for target in due:
            defer_poll(app, target.system, target.entity, "schedule")

    @app.periodic(cron=f"* * * * * */{settings.tick_seconds}", periodic_id="stalled")
    @app.task(name="cdc.retry_stalled", queueing_lock="cdc.retry_stalled")
    async def retry_stalled(timestamp: int) -> None:
        stalled = await app.job_manager.get_stalled_jobs(
            seconds_since_heartbeat=settings.stalled_seconds
        )
        for job in stalled:
            log.warning("retrying the job of a dead worker", extra={"job": job.id})
            try:
                await app.job_manager.retry_job(job)
            except ConnectorException:
                # The same stream is queued again already (its queueing lock is taken):
                # that job will poll it, so this one only has to let go of the lock.
                await app.job_manager.finish_job(job, Status.FAILED, delete_job=False)

    return app


def defer_poll(app: procrastinate.App, system: str, entity: str, reason: str) -> int | None:
    """Queues a poll of one stream on an open `app`; None when one is queued already."""
    name = stream(system, entity).name
    try:
        return app.configure_task(POLL_TASK, lock=name, queueing_lock=name).defer(
            system=system, entity=entity, reason=reason
        )
    except AlreadyEnqueued:
        return None


def request_poll(system: str, entity: str, reason: str, *, database_url: str) -> int | None:
    """Asks the workers to poll one stream now; returns the job id, or None when a poll
    of that stream is already queued (which will see the change just as well)."""
    connector = procrastinate.SyncPsycopgConnector(conninfo=queue_conninfo(database_url))
    app = procrastinate.App(connector=connector)
    with app.open():
        return defer_poll(app, system, entity, reason)


PollRequester = Callable[[str, str, str], "int | None"]
"""`request_poll` bound to a database: (system, entity, reason) -> job id or None."""


def poll_requester(database_url: str) -> PollRequester:
    """`request_poll` on the database at `database_url`, as the API's webhook intake and
    the writer take it (the URL from configuration, as everything else takes it)."""
    return partial(_request_poll_on, database_url)


def _request_poll_on(database_url: str, system: str, entity: str, reason: str) -> int | None:
    return request_poll(system, entity, reason, database_url=database_url)
