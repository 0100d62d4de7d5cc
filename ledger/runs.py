"""Sync runs: every poll, webhook delivery or reconcile is a run, started and ended by a row
each."""

from __future__ import annotations

from typing import Any, Literal, get_args

import psycopg
from psycopg.types.json import Jsonb

RunKind = Literal["poll", "webhook", "reconcile"]
"""What a run is: a CDC poll of one stream (`cdc.poll`), a webhook's event appended
(`api.services.webhooks`), or a reconcile of everything (`ledgerbridge.reconcile`)."""
RUN_KINDS: tuple[RunKind, ...] = get_args(RunKind)
"""Every kind of run there is: `start_run` starts no other (the Sync page offers these)."""


def start_run(
    conn: psycopg.Connection[Any],
    kind: RunKind,
    system: str | None = None,
    entity: str | None = None,
    parameters: dict[str, Any] | None = None,
) -> int:
    if kind not in RUN_KINDS:
        raise ValueError(f"no run kind {kind!r}: one of {', '.join(RUN_KINDS)}")
    with conn.transaction():
        row = conn.execute(
            "INSERT INTO ledger.sync_run (kind, system, entity, parameters)"
            " VALUES (%s, %s, %s, %s) RETURNING run_id",
            (kind, system, entity, Jsonb(parameters or {})),
        ).fetchone()
    assert row is not None
    return int(row[0])


def finish_run(
    conn: psycopg.Connection[Any],
    run_id: int,
    status: str = "succeeded",
    counts: dict[str, Any] | None = None,
    error: str | None = None,
) -> None:
    """Ends a run that must still be open: ending one twice is a bug of the caller."""
    if not end_run(conn, run_id, status, counts, error):
        raise ValueError(f"sync run {run_id} has ended already")


def end_run(
    conn: psycopg.Connection[Any],
    run_id: int,
    status: str,
    counts: dict[str, Any] | None = None,
    error: str | None = None,
) -> bool:
    """Ends a run unless it has ended already (say, found abandoned by another poller);
    returns whether this call ended it."""
    with conn.transaction():
        row = conn.execute(
            "INSERT INTO ledger.sync_run_end (run_id, status, counts, error)"
            " VALUES (%s, %s, %s, %s) ON CONFLICT (run_id) DO NOTHING RETURNING run_id",
            (run_id, status, Jsonb(counts or {}), error),
        ).fetchone()
    return row is not None


def hold_run(conn: psycopg.Connection[Any], run_id: int) -> None:
    """Marks the run as alive for as long as `conn`'s session lasts (an advisory lock):
    a run whose lock can be taken by someone else was abandoned by a dead process."""
    conn.execute("SELECT pg_advisory_lock(hashtextextended(%s, 0))", (f"sync_run:{run_id}",))


def release_run(conn: psycopg.Connection[Any], run_id: int) -> None:
    conn.execute("SELECT pg_advisory_unlock(hashtextextended(%s, 0))", (f"sync_run:{run_id}",))


def end_abandoned_runs(
    conn: psycopg.Connection[Any], kind: str, system: str, entity: str, before_run: int
) -> list[int]:
    """Ends, as failed, the recent runs of this stream that never ended and whose process
    is gone (killed, or its connection lost); returns their ids."""
    rows = conn.execute(
        "SELECT r.run_id FROM (SELECT run_id FROM ledger.sync_run WHERE kind = %s"
        " AND system = %s AND entity = %s AND run_id < %s ORDER BY run_id DESC LIMIT 200) AS r"
        " WHERE NOT EXISTS (SELECT FROM ledger.sync_run_end AS e WHERE e.run_id = r.run_id)"
        " ORDER BY r.run_id",
        (kind, system, entity, before_run),
    ).fetchall()
    ended = []
    for (run_id,) in rows:
        free = conn.execute(
            "SELECT pg_try_advisory_lock(hashtextextended(%s, 0))", (f"sync_run:{run_id}",)
        ).fetchone()
        if free is None or not free[0]:
            continue  # its process is still at work
        release_run(conn, run_id)
        message = "abandoned: the process running it stopped before it ended (killed or lost)"
        if end_run(conn, run_id, "failed", error=message):
            ended.append(run_id)
    return ended
