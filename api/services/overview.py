"""What the review pages' front page shows at a glance: unmatched totals by system and age
bucket together (for the chart), and how many items wait on a person in each queue. Counts
come from the same listings the API serves, capped at one page of the largest size."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import psycopg
from pydantic import BaseModel, Field

from api.services import anomalies, approvals, dead_letters, gl_suggestions, matches
from api.services.decisions import RunRef, latest_run
from api.services.health import StreamStatus, stream_statuses
from api.services.pages import MAX_LIMIT
from api.services.unmatched import (
    UnmatchedFilters,
    UnmatchedTotal,
    _merge,
    _parameters,
    _total_rows,
)


class Waiting(BaseModel):
    """How many items wait in one queue; `more` when there are over `count`."""

    count: int
    more: bool = Field(description="True when the count stopped at the page size.")


class Overview(BaseModel):
    run: RunRef | None
    by_currency: list[UnmatchedTotal]
    by_system_and_age: list[UnmatchedTotal]
    streams: list[StreamStatus]
    dead_letters: Waiting
    approvals: Waiting
    matches: Waiting
    gl_suggestions: Waiting
    anomalies: Waiting


def unmatched_by_system_and_age(
    conn: psycopg.Connection[Any], today: date | None = None
) -> tuple[RunRef | None, list[UnmatchedTotal], list[UnmatchedTotal]]:
    """The newest run, totals by currency, and totals by (currency, system, age bucket)."""
    run = latest_run(conn)
    if run is None:
        return None, [], []
    day = today or datetime.now(UTC).date()
    rows = _total_rows(conn, run.run_id, _parameters(UnmatchedFilters(), day))
    return (
        run,
        _merge(rows, by=("currency",)),
        _merge(rows, by=("currency", "system", "age_bucket")),
    )


def _waiting(page: Any) -> Waiting:
    return Waiting(count=len(page.items), more=page.next_cursor is not None)


def overview(conn: psycopg.Connection[Any], today: date | None = None) -> Overview:
    run, by_currency, by_system_and_age = unmatched_by_system_and_age(conn, today)
    return Overview(
        run=run,
        by_currency=by_currency,
        by_system_and_age=by_system_and_age,
        streams=stream_statuses(conn),
        dead_letters=_waiting(dead_letters.list_dead_letters(
            conn, dead_letters.DeadLetterFilters(status="open"), limit=MAX_LIMIT)),
        approvals=_waiting(approvals.list_approvals(
            conn, approvals.ApprovalFilters(status="pending"), limit=MAX_LIMIT)),
        matches=_waiting(matches.list_matches(
            conn, matches.MatchFilters(status="suggested"), limit=MAX_LIMIT)),
        gl_suggestions=_waiting(gl_suggestions.list_gl_suggestions(
            conn, gl_suggestions.GLFilters(status="suggested"), limit=MAX_LIMIT)),
        anomalies=_waiting(anomalies.list_anomalies(
            conn, anomalies.AnomalyFilters(status="flagged"), limit=MAX_LIMIT)),
    )  # fmt: skip
