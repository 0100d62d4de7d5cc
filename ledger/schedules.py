"""How often each CDC stream is polled, stored append-only: `ledger.schedule` gets a row
per change and the newest row per (system, entity) wins; a NULL interval is "off"."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import psycopg


@dataclass(frozen=True, slots=True)
class ScheduleEntry:
    system: str
    entity: str
    interval_seconds: int | None
    """None: the stream is switched off."""
    set_by: str
    created_at: datetime


def set_schedule(
    conn: psycopg.Connection[Any],
    system: str,
    entity: str,
    interval_seconds: int | None,
    set_by: str | None = None,
) -> None:
    with conn.transaction():
        conn.execute(
            "INSERT INTO ledger.schedule (system, entity, interval_seconds, set_by)"
            " VALUES (%s, %s, %s, coalesce(%s, current_user))",
            (system, entity, interval_seconds, set_by),
        )


def current_schedules(conn: psycopg.Connection[Any]) -> dict[tuple[str, str], ScheduleEntry]:
    """The newest schedule row of every stream that has one."""
    rows = conn.execute(
        "SELECT DISTINCT ON (system, entity) system, entity, interval_seconds, set_by,"
        " created_at FROM ledger.schedule ORDER BY system, entity, schedule_id DESC"
    ).fetchall()
    return {(row[0], row[1]): ScheduleEntry(*row) for row in rows}


def last_poll_starts(conn: psycopg.Connection[Any], kind: str) -> dict[tuple[str, str], datetime]:
    """When each stream's newest run of `kind` started."""
    rows = conn.execute(
        "SELECT system, entity, max(started_at) FROM ledger.sync_run WHERE kind = %s"
        " AND system IS NOT NULL AND entity IS NOT NULL GROUP BY system, entity",
        (kind,),
    ).fetchall()
    return {(system, entity): started for system, entity, started in rows}
