"""Sync runs: every append, scan or reconcile belongs to a run, started and ended by a row each."""

from __future__ import annotations

from typing import Any

import psycopg
from psycopg.types.json import Jsonb


def start_run(
    conn: psycopg.Connection[Any],
    kind: str,
    system: str | None = None,
    entity: str | None = None,
    parameters: dict[str, Any] | None = None,
) -> int:
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
    with conn.transaction():
        conn.execute(
            "INSERT INTO ledger.sync_run_end (run_id, status, counts, error)"
            " VALUES (%s, %s, %s, %s)",
            (run_id, status, Jsonb(counts or {}), error),
        )
