"""`/gl-suggestions`, `/anomalies`, `/approvals`: what finance reviews and decides."""

from __future__ import annotations

from typing import Annotated, Any

import psycopg
from fastapi import APIRouter, Body, Path, Query

from api.auth import Reader, Reviewer
from api.routes.common import DEFAULT, Cursor, Limit, problems
from api.routes.decisions import add_decision_route
from api.services import anomalies, approvals, gl_suggestions
from api.services.decisions import DecisionOut

router = APIRouter()
Id = Annotated[int, Path(ge=1, le=2**62)]


@router.get(
    "/gl-suggestions", response_model=gl_suggestions.GLSuggestionPage,
    responses=problems(403), tags=["gl-suggestions"],
)  # fmt: skip
async def list_gl_suggestions(
    caller: Reader,
    status: gl_suggestions.GLStatus | None = None,
    min_score: Annotated[float | None, Query(ge=0, le=1)] = None,
    cursor: Cursor = None,
    limit: Limit = DEFAULT,
) -> gl_suggestions.GLSuggestionPage:
    """Suggested Sage GL accounts for KashFlow purchase lines not yet in Sage, top-k each."""
    filters = gl_suggestions.GLFilters(status=status, min_score=min_score)
    return await caller.run(gl_suggestions.list_gl_suggestions, filters, cursor, limit)


@router.post(
    "/gl-suggestions/{suggestion_id}/accept", response_model=DecisionOut,
    responses=problems(403, 404, 409), tags=["gl-suggestions"],
)  # fmt: skip
async def accept_gl_suggestion(
    who: Reviewer,
    suggestion_id: Id,
    body: Annotated[gl_suggestions.GLAcceptIn | None, Body()] = None,
) -> DecisionOut:
    """Accept the suggested account, or another (`account`); the next reconcile run learns
    from it and the writer posts the line to it."""
    chosen = body or gl_suggestions.GLAcceptIn()
    return await who.run(
        gl_suggestions.decide_gl_suggestion, suggestion_id, "accepted", who.name,
        chosen.account, chosen.reason,
    )  # fmt: skip


@router.get(
    "/anomalies", response_model=anomalies.AnomalyPage, responses=problems(403),
    tags=["anomalies"],
)  # fmt: skip
async def list_anomalies(
    caller: Reader,
    status: anomalies.AnomalyStatus | None = None,
    rule: Annotated[str | None, Query(max_length=100)] = None,
    system: Annotated[str | None, Query(max_length=40)] = None,
    min_score: Annotated[float | None, Query(ge=0, le=1)] = None,
    cursor: Cursor = None,
    limit: Limit = DEFAULT,
) -> anomalies.AnomalyPage:
    """Invoices the newest reconcile run flagged, each with the reasons why."""
    filters = anomalies.AnomalyFilters(status=status, rule=rule, system=system, min_score=min_score)
    return await caller.run(anomalies.list_anomalies, filters, cursor, limit)


@router.get(
    "/approvals", response_model=approvals.ApprovalPage, responses=problems(403),
    tags=["approvals"],
)  # fmt: skip
async def list_approvals(
    caller: Reader,
    status: approvals.ApprovalStatus | None = None,
    target_system: Annotated[str | None, Query(max_length=40)] = None,
    cursor: Cursor = None,
    limit: Limit = DEFAULT,
) -> approvals.ApprovalPage:
    """Writes over the approval threshold, pending, approved or rejected."""
    filters = approvals.ApprovalFilters(status=status, target_system=target_system)
    return await caller.run(approvals.list_approvals, filters, cursor, limit)


def _reject_gl_suggestion(
    conn: psycopg.Connection[Any], suggestion_id: int, outcome: str, actor: str, reason: str | None
) -> DecisionOut:
    return gl_suggestions.decide_gl_suggestion(
        conn, suggestion_id, "rejected", actor, reason=reason
    )


DECISIONS = (
    # path, outcome, the service's decide, operation name, what it means
    ("/gl-suggestions/{suggestion_id}/reject", "rejected", _reject_gl_suggestion,
     "reject_gl_suggestion", ""),
    ("/anomalies/{anomaly_id}/dismiss", "dismissed", anomalies.decide_anomaly, "dismiss_anomaly",
     "Nothing wrong here."),
    ("/anomalies/{anomaly_id}/escalate", "escalated", anomalies.decide_anomaly,
     "escalate_anomaly", "Someone must look into this."),
    ("/approvals/{intent_id}/approve", "approved", approvals.decide_approval, "approve",
     "Let the write go ahead."),
    ("/approvals/{intent_id}/reject", "rejected", approvals.decide_approval, "reject",
     "Stop the write."),
)  # fmt: skip
for path, outcome, decide, name, meaning in DECISIONS:
    add_decision_route(
        router, path, outcome, decide, name=name, description=meaning, tags=[path.split("/")[1]]
    )
