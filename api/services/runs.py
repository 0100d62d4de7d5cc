"""Sync runs: every poll, webhook or reconcile run, newest first, with how it ended."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

import psycopg
from pydantic import BaseModel, Field

from api.services.pages import Listing, Page
from api.services.texts import Name

NEWEST = 2**62
RunStatus = Literal["running", "succeeded", "failed", "partial"]


class RunOut(BaseModel):
    run_id: int
    kind: str = Field(examples=["poll"])
    system: str | None = Field(examples=["sage100"])
    entity: str | None = Field(examples=["customer"])
    parameters: dict[str, Any]
    started_at: datetime
    status: RunStatus
    counts: dict[str, Any] | None = Field(default=None, examples=[{"read": 12, "appended": 2}])
    error: str | None = None
    finished_at: datetime | None = None
    seconds: float | None = None


class RunPage(Page[RunOut]):
    pass


class RunFilters(BaseModel):
    kind: Name = None
    system: Name = None
    entity: Name = None
    status: RunStatus | None = None


def _out(row: Any) -> RunOut:
    run_id, kind, system, entity, parameters, started, status, counts, error, finished = row
    return RunOut(
        run_id=run_id, kind=kind, system=system, entity=entity, parameters=parameters,
        started_at=started, status=status or "running", counts=counts, error=error,
        finished_at=finished,
        seconds=(finished - started).total_seconds() if finished else None,
    )  # fmt: skip


RUNS = Listing(
    "runs", "runs_page", {"before": NEWEST}, _out,
    defaults={"kind": None, "system": None, "entity": None, "status": None},
)  # fmt: skip


def list_runs(
    conn: psycopg.Connection[Any], filters: RunFilters, cursor: str | None = None, limit: int = 50
) -> RunPage:
    """Sync runs (polls, webhooks, reconciles), newest first, with how each ended."""
    items, next_cursor = RUNS.page(conn, cursor, limit, **filters.model_dump())
    return RunPage(items=items, next_cursor=next_cursor)
