"""One poll of one stream, exactly once in effect: a `ledger.sync_run` that always ends,
and the poll's chunks (a few thousand records each, `PollSettings.chunk_records`) each
appended in one transaction with its versions, dead letters, summary digests and
checkpoint, under the stream's poll lock held from the first read to the last commit.

A crash inside a chunk leaves the checkpoint of the chunk before, so the next poll reads
that chunk's changes again and nothing is skipped (the ledger's content hash makes a
re-read version a no-op); committed chunks are not read again. Two workers polling one
stream serialise on the lock, and the second reads the checkpoint the first committed.
A run whose process was killed is ended (as failed, "abandoned") by the next poll of its
stream.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from typing import Any

import psycopg

from canonical import LedgerbridgeError, PermanentError
from cdc.outcome import PollOutcome, PollStart
from cdc.streams import Sources, Stream
from ledger import start_run
from ledger.checkpoints import (
    append_checkpoint,
    append_scan_digests,
    hold_stream,
    latest_checkpoint,
    release_stream,
)
from ledger.dead_letters import append_dead_letters, append_versions_or_dead_letter
from ledger.runs import RunKind, end_abandoned_runs, end_run, hold_run, release_run

log = logging.getLogger("cdc")

RUN_KIND: RunKind = "poll"


@dataclass
class PollReport:
    """What one poll did: the counts its `sync_run_end` row holds."""

    system: str
    entity: str
    run_id: int
    status: str = "succeeded"
    read: int = 0
    appended: int = 0
    unchanged: int = 0
    deleted: int = 0
    errors: int = 0
    requests: int = 0
    rows_read: int = 0
    seconds: float = 0.0
    error: str | None = None
    dead_letter_keys: list[str] = field(default_factory=list)

    def counts(self) -> dict[str, Any]:
        """What the run counted: every number but the run's id, seconds to the millisecond."""
        values = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "run_id"}
        return {
            name: round(value, 3) if isinstance(value, float) else value
            for name, value in values.items()
            if isinstance(value, int | float)
        }


class PollFailed(Exception):
    """A poll that failed: its report (the run was ended with the error) and whether
    trying again later may help (lost connections, rate limits) or not (a refused login)."""

    def __init__(self, report: PollReport, transient: bool) -> None:
        self.report = report
        self.transient = transient
        super().__init__(f"{report.system}:{report.entity}: {report.error}")


def poll_stream(
    conn: psycopg.Connection[Any],
    sources: Sources,
    stream: Stream,
    *,
    thorough: bool = False,
    reason: str | None = None,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> PollReport:
    """Polls `stream` once on `conn` (an autocommit connection of its own); raises
    `PollFailed` (from the cause) when the poll failed."""
    if not conn.autocommit:
        raise ValueError("poll_stream needs an autocommit connection: it runs its own transactions")
    started = time.perf_counter()
    parameters = {"thorough": thorough, **({"reason": reason} if reason else {})}
    run_id = start_run(conn, RUN_KIND, stream.system, stream.entity, parameters)
    report = PollReport(stream.system, stream.entity, run_id)
    hold_run(conn, run_id)
    held = False
    try:
        end_abandoned_runs(conn, RUN_KIND, stream.system, stream.entity, run_id)
        hold_stream(conn, stream.system, stream.entity)
        held = True
        _poll_held(conn, sources, stream, report, thorough, clock(), started)
    except Exception as failure:
        report.seconds = time.perf_counter() - started
        report.status, report.error = "failed", one_line(failure)
        try:
            end_run(conn, run_id, "failed", report.counts(), report.error)
        except psycopg.Error:
            log.warning("could not end a failed poll run", extra={"run_id": run_id})
        transient = not isinstance(failure, PermanentError)
        raise PollFailed(report, transient) from failure
    finally:
        if not conn.closed and not conn.broken:
            if held:
                release_stream(conn, stream.system, stream.entity)
            release_run(conn, run_id)
    log.debug("poll %s: %s", stream.name, report.counts())
    return report


def _poll_held(
    conn: psycopg.Connection[Any],
    sources: Sources,
    stream: Stream,
    report: PollReport,
    thorough: bool,
    now: datetime,
    started: float,
) -> None:
    """Commits the poller's chunks one transaction each, the run's end with the last."""
    position = latest_checkpoint(conn, stream.system, stream.entity)
    poller = sources.poller(stream)
    ended = False
    for outcome in poller.chunks(PollStart(conn, position, now, thorough)):
        with conn.transaction():
            commit_chunk(conn, outcome, position, report)
            if outcome.position is not None:
                position = outcome.position
            if outcome.final:
                ended = _end(conn, report, started)
    if not ended:
        _end(conn, report, started)


def _end(conn: psycopg.Connection[Any], report: PollReport, started: float) -> bool:
    report.seconds = time.perf_counter() - started
    report.status = "partial" if report.errors else "succeeded"
    end_run(conn, report.run_id, report.status, report.counts())
    return True


def commit_chunk(
    conn: psycopg.Connection[Any],
    outcome: PollOutcome,
    position: dict[str, Any] | None,
    report: PollReport,
) -> None:
    """Appends one chunk's versions, dead letters, digests and checkpoint (in the
    caller's transaction) and adds its counts to `report`."""
    system, entity = report.system, report.entity
    result, unstorable = append_versions_or_dead_letter(conn, outcome.versions, report.run_id)
    letters = [*outcome.dead_letters, *unstorable]
    append_dead_letters(conn, letters, report.run_id)
    append_scan_digests(conn, system, entity, outcome.digests, report.run_id)
    if outcome.position is not None and outcome.position != position:
        append_checkpoint(conn, system, entity, outcome.position, report.run_id)
    written = {
        (system, entity, key)
        for (system, entity), (keys, _) in result.written.items()
        for key in keys
    }
    deleted = sum(
        1 for v in outcome.versions if v.payload is None and (v.system, v.entity, v.key) in written
    )
    report.read += outcome.read
    report.deleted += deleted
    report.appended += result.appended - deleted
    report.unchanged += result.unchanged
    report.errors += len(letters)
    report.requests += outcome.requests
    report.rows_read += outcome.rows_read
    report.dead_letter_keys.extend(letter.key or "" for letter in letters)


def one_line(failure: BaseException) -> str:
    """An error as one line for a run's end row and the console (connector errors are
    already scrubbed of secrets; the first line of anything else)."""
    if isinstance(failure, LedgerbridgeError):
        text = str(failure)
    else:
        text = f"{type(failure).__name__}: {failure}"
    return (text.strip().splitlines() or [type(failure).__name__])[0][:1000]
