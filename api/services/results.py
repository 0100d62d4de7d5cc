"""Reading a run's matcher results of one kind (GL suggestions, anomalies) with the status
the newest decision gave each, a page of the newest run's at a time or one by its id;
shared by `gl_suggestions` and `anomalies`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

import psycopg
from pydantic import BaseModel

from api.services.decisions import RunRef, latest_run
from api.services.errors import NotFound
from api.services.pages import BY_ROW_ID, Item, check_limit, decode_cursor, page_of
from api.services.sql import query


class ResultFilters(BaseModel):
    status: str | None = None
    min_score: float | None = None
    rule: str | None = None
    system: str | None = None


@dataclass(frozen=True)
class ResultRow:
    result_id: int
    run_id: int
    group_id: str
    status: str
    score: float
    rules: list[str]
    amount: Decimal | None
    left: tuple[str, str, str] | None
    right: tuple[str, str, str] | None
    detail: dict[str, Any]
    decided_by: str | None
    decided_at: datetime | None
    decision_subject: dict[str, Any] | None


def result_rows(
    conn: psycopg.Connection[Any],
    kind: str,
    run_id: int,
    filters: ResultFilters,
    after: int = 0,
    limit: int = 50,
    result_id: int | None = None,
) -> list[ResultRow]:
    rows = conn.execute(
        query("results_page"),
        {"kind": kind, "run_id": run_id, "after": after, "result_id": result_id,
         "status": filters.status, "min_score": filters.min_score, "rule": filters.rule,
         "system": filters.system, "limit": limit},
    ).fetchall()  # fmt: skip
    return [
        ResultRow(
            result_id=r[0],
            run_id=r[1],
            group_id=r[2],
            status=r[3],
            score=r[4],
            rules=list(r[5]),
            amount=r[6],
            left=(r[7], r[8], r[9]) if r[9] is not None else None,
            right=(r[10], r[11], r[12]) if r[12] is not None else None,
            detail=r[13],
            decided_by=r[14],
            decided_at=r[15],
            decision_subject=r[16],
        )
        for r in rows
    ]


def one_result(conn: psycopg.Connection[Any], kind: str, result_id: int, label: str) -> ResultRow:
    """Result `result_id` of `kind` (of whichever run), with its status now."""
    found = conn.execute(
        "SELECT run_id FROM ledger.match_result WHERE result_id = %s AND kind = %s",
        (result_id, kind),
    ).fetchone()
    if found is None:
        raise NotFound(f"no {label} {result_id}", field="id")
    rows = result_rows(conn, kind, found[0], ResultFilters(), result_id=result_id)
    return rows[0]


def newest_results_page(
    conn: psycopg.Connection[Any],
    kind: str,
    listing: str,
    filters: ResultFilters,
    build: Callable[[ResultRow], Item],
    cursor: str | None = None,
    limit: int = 50,
) -> tuple[list[Item], str | None, RunRef | None]:
    """One page of the newest reconcile run's results of `kind` in id order, the cursor of
    the next page, and the run (no items and no run before the first run)."""
    check_limit(limit)
    after = decode_cursor(listing, cursor, BY_ROW_ID) or [0]
    run = latest_run(conn)
    if run is None:
        return [], None, None
    rows = result_rows(conn, kind, run.run_id, filters, after[0], limit + 1)
    items, next_cursor = page_of(listing, rows, limit, build, lambda row: [row.result_id])
    return items, next_cursor, run
