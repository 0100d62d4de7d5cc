"""Health and the figures behind the metrics: the database, how far behind each stream of
each system is (from the poll runs in the ledger), the workers' heartbeats (procrastinate's
`procrastinate_workers`), the job queue, open dead letters and records synced."""

from __future__ import annotations

import json
import time
from datetime import datetime
from typing import Any, Literal

import psycopg
from pydantic import BaseModel, Field

from api.services.sql import query

Status = Literal["ok", "degraded", "down", "unknown"]
BOOKS = ("kashflow", "sage100")
STALE_WORKER_SECONDS = 60


class StreamStatus(BaseModel):
    stream: str = Field(examples=["sage100:customer"])
    last_status: str | None = Field(examples=["succeeded"])
    last_finished_at: datetime | None = None
    last_success_at: datetime | None = None
    lag_seconds: float | None = Field(description="Seconds since the last poll that worked.")
    error: str | None = None


class SystemHealth(BaseModel):
    status: Status
    streams: list[StreamStatus]


class DatabaseHealth(BaseModel):
    status: Status
    latency_ms: float | None = None
    """How long the first health statement took (the clock, the streams' last polls, the
    queue tables): a round trip plus those reads, not a bare ping."""


class WorkerHealth(BaseModel):
    status: Status
    workers: int = Field(description="Workers whose heartbeat is recent.")
    last_heartbeat: datetime | None = None
    queued_jobs: int | None = None


class HealthOut(BaseModel):
    status: Status = Field(examples=["ok"])
    database: DatabaseHealth
    systems: dict[str, SystemHealth]
    worker: WorkerHealth


def stream_statuses(
    conn: psycopg.Connection[Any], now: datetime | None = None
) -> list[StreamStatus]:
    """Each stream's last poll and its lag at `now` (the database's clock when not given)."""
    if now is None:
        now = _clock(conn)
    return [_stream(now, *row) for row in conn.execute(query("stream_status")).fetchall()]


def _stream(
    now: datetime,
    system: str,
    entity: str,
    status: str | None,
    finished: datetime | None,
    error: str | None,
    ok: datetime | None,
) -> StreamStatus:
    return StreamStatus(
        stream=f"{system}:{entity}",
        last_status=status,
        last_finished_at=finished,
        last_success_at=ok,
        lag_seconds=(now - ok).total_seconds() if ok else None,
        error=error,
    )


def _clock(conn: psycopg.Connection[Any]) -> datetime:
    row = conn.execute("SELECT clock_timestamp()").fetchone()
    assert row is not None
    now: datetime = row[0]
    return now


QUEUE_SCHEMAS = ("procrastinate", "public")
"""Where the workers' job queue may live: its own schema (migration 0003), else public."""
QUEUE_TABLES = ("procrastinate_workers", "procrastinate_jobs")
QUEUE = {"schemas": list(QUEUE_SCHEMAS), "names": list(QUEUE_TABLES)}


def _queue_tables(conn: psycopg.Connection[Any]) -> dict[str, str | None]:
    """The job queue's tables, schema-qualified, when they are there and this login may
    read them (a deployment may keep the workers' tables from the API); else None. One
    query for both."""
    return dict(conn.execute(query("queue_tables"), QUEUE).fetchall())


async def read_health(conn: psycopg.AsyncConnection[Any]) -> HealthOut:
    """The database (it answered, and how fast), each system (its streams' last polls),
    the workers: two queries on an async connection (one when the job queue's tables are
    not readable)."""
    started = time.perf_counter()
    found = await (await conn.execute(query("health"), QUEUE)).fetchone()
    assert found is not None
    database = DatabaseHealth(
        status="ok", latency_ms=round((time.perf_counter() - started) * 1000, 2)
    )
    now, streams, tables = found[0], json.loads(found[1]), json.loads(found[2])
    workers_table, jobs_table = tables["procrastinate_workers"], tables["procrastinate_jobs"]
    worker = WorkerHealth(status="unknown", workers=0)
    if workers_table is not None and jobs_table is not None:
        heartbeats = await conn.execute(
            "SELECT count(*) FILTER (WHERE last_heartbeat > now() - make_interval(secs => %s)),"
            f" max(last_heartbeat), (SELECT count(*) FROM {jobs_table} WHERE status = 'todo')"
            f" FROM {workers_table}",
            (STALE_WORKER_SECONDS,),
        )
        row = await heartbeats.fetchone()
        assert row is not None
        workers, last, queued = row
        worker = WorkerHealth(
            status="ok" if workers else "down", workers=workers, last_heartbeat=last,
            queued_jobs=queued,
        )  # fmt: skip
    return _health(database, [_stream_of(now, stream) for stream in streams], worker)


def _stream_of(now: datetime, row: dict[str, Any]) -> StreamStatus:
    """A stream's status from a row of `stream_status` as JSON."""
    ok = row["last_success_at"]
    return _stream(
        now, row["system"], row["entity"], row["last_status"],
        row["last_finished_at"] and datetime.fromisoformat(row["last_finished_at"]),
        row["error"], ok and datetime.fromisoformat(ok),
    )  # fmt: skip


def _system(streams: list[StreamStatus]) -> SystemHealth:
    if not streams:
        return SystemHealth(status="unknown", streams=[])
    failing = [s for s in streams if s.last_status == "failed"]
    if len(failing) == len(streams):
        status: Status = "down"
    elif failing:
        status = "degraded"
    else:
        status = "ok"
    return SystemHealth(status=status, streams=streams)


def _health(
    database: DatabaseHealth, streams: list[StreamStatus], worker: WorkerHealth
) -> HealthOut:
    """Each system's health from its streams', and the whole's from its parts'."""
    systems = {
        system: _system([s for s in streams if s.stream.startswith(f"{system}:")])
        for system in BOOKS
    }
    parts = [database.status, worker.status, *(s.status for s in systems.values())]
    overall: Status = "ok"
    if any(p in ("down", "degraded") for p in parts):
        overall = "degraded"
    return HealthOut(status=overall, database=database, systems=systems, worker=worker)


def down() -> HealthOut:
    """Health when the database does not answer."""
    return HealthOut(
        status="down", database=DatabaseHealth(status="down"),
        systems={s: SystemHealth(status="unknown", streams=[]) for s in BOOKS},
        worker=WorkerHealth(status="unknown", workers=0),
    )  # fmt: skip


class LedgerFigures(BaseModel):
    """What /metrics shows of the ledger at scrape time."""

    records_synced: dict[tuple[str, str], int]
    streams: list[StreamStatus]
    open_dead_letters: int
    queue_depth: dict[str, int]
    webhook_events: dict[tuple[str, str], int]


def ledger_figures(conn: psycopg.Connection[Any]) -> LedgerFigures:
    synced = conn.execute(
        "SELECT r.system, r.entity, sum((e.counts->>'appended')::bigint) FROM ledger.sync_run AS r"
        " JOIN ledger.sync_run_end AS e ON e.run_id = r.run_id"
        " WHERE r.kind IN ('poll', 'webhook') AND r.system IS NOT NULL AND r.entity IS NOT NULL"
        " AND e.counts ? 'appended' GROUP BY 1, 2"
    ).fetchall()
    open_letters = conn.execute(
        "SELECT count(*) FROM ledger.dead_letter AS l WHERE NOT EXISTS (SELECT FROM"
        " ledger.decision AS d WHERE d.kind = 'retry'"
        " AND d.subject @> jsonb_build_object('dead_letter_id', l.dead_letter_id))"
    ).fetchone()
    queue: dict[str, int] = {}
    jobs_table = _queue_tables(conn)["procrastinate_jobs"]
    if jobs_table is not None:
        queue = dict(
            conn.execute(
                f"SELECT status::text, count(*) FROM {jobs_table}"
                " WHERE status IN ('todo', 'doing') GROUP BY 1"
            ).fetchall()
        )
    webhooks = conn.execute(
        "SELECT source, outcome, count(*) FROM ledger.webhook_event GROUP BY 1, 2"
    ).fetchall()
    return LedgerFigures(
        records_synced={(s, e): int(n or 0) for s, e, n in synced},
        streams=stream_statuses(conn),
        open_dead_letters=int(open_letters[0]) if open_letters else 0,
        queue_depth=queue,
        webhook_events={(s, o): int(n) for s, o, n in webhooks},
    )
