"""Anomalies the newest reconcile run flagged, each with the reasons it was flagged, to be
dismissed (nothing wrong) or escalated (someone must look) by a person."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Literal

import psycopg
from pydantic import BaseModel, Field

from api.services.decisions import DecisionOut, RecordRef, RunRef, decide
from api.services.errors import Conflict
from api.services.pages import Page
from api.services.results import ResultFilters, ResultRow, newest_results_page, one_result
from api.services.texts import Name, RuleName

KIND = "anomaly"
LISTING = "anomalies"
AnomalyStatus = Literal["flagged", "dismissed", "escalated"]


class AnomalyOut(BaseModel):
    id: int
    run_id: int
    record: RecordRef | None
    amount: Decimal | None = Field(examples=["9999.00"])
    score: float = Field(ge=0, le=1)
    rules: list[str] = Field(examples=[["round_amount", "weekend_posting"]])
    reasons: list[str] = Field(examples=[["gross amount 9999.00 is a round figure"]])
    status: AnomalyStatus
    decided_by: str | None = None


class AnomalyPage(Page[AnomalyOut]):
    run: RunRef | None


class AnomalyFilters(BaseModel):
    status: AnomalyStatus | None = None
    rule: RuleName = None
    system: Name = None
    min_score: float | None = Field(default=None, ge=0, le=1)


def _out(row: ResultRow) -> AnomalyOut:
    return AnomalyOut(
        id=row.result_id,
        run_id=row.run_id,
        record=RecordRef(system=row.left[0], entity=row.left[1], key=row.left[2])
        if row.left
        else None,
        amount=row.amount,
        score=row.score,
        rules=row.rules,
        reasons=[str(r) for r in row.detail.get("reasons", [])],
        status=row.status,  # type: ignore[arg-type]
        decided_by=row.decided_by,
    )


def list_anomalies(
    conn: psycopg.Connection[Any],
    filters: AnomalyFilters,
    cursor: str | None = None,
    limit: int = 50,
) -> AnomalyPage:
    """Invoices the newest reconcile run flagged, each with the reasons why."""
    chosen = ResultFilters(**filters.model_dump())
    items, next_cursor, run = newest_results_page(conn, KIND, LISTING, chosen, _out, cursor, limit)
    return AnomalyPage(items=items, next_cursor=next_cursor, run=run)


def decide_anomaly(
    conn: psycopg.Connection[Any],
    result_id: int,
    outcome: Literal["dismissed", "escalated"],
    actor: str,
    reason: str | None = None,
) -> DecisionOut:
    row = one_result(conn, KIND, result_id, "anomaly")
    anomaly = _out(row)
    if anomaly.status == outcome:
        raise Conflict(f"anomaly {result_id} is {outcome} already")
    subject = {
        "result_id": result_id,
        "run_id": row.run_id,
        "group_id": row.group_id,
        "records": [anomaly.record.as_subject()] if anomaly.record else [],
    }
    return decide(conn, "anomaly", subject, outcome, actor, reason)
