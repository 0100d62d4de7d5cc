"""`/gl-suggestions`, `/anomalies`, `/approvals`: what finance reviews and decides."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Path, Query

from api.auth import Conn, Reader, Reviewer
from api.routes.common import DEFAULT, Cursor, Limit, problems
from api.services import anomalies, approvals, gl_suggestions
from api.services.decisions import DecisionIn, DecisionOut

router = APIRouter()
Id = Annotated[int, Path(ge=1, le=2**62)]
Reason = Annotated[DecisionIn | None, Body()]


@router.get(
    "/gl-suggestions", response_model=gl_suggestions.GLSuggestionPage,
    responses=problems(403), tags=["gl-suggestions"],
)  # fmt: skip
def list_gl_suggestions(
    conn: Conn,
    _: Reader,
    status: gl_suggestions.GLStatus | None = None,
    min_score: Annotated[float | None, Query(ge=0, le=1)] = None,
    cursor: Cursor = None,
    limit: Limit = DEFAULT,
) -> gl_suggestions.GLSuggestionPage:
    """Suggested Sage GL accounts for KashFlow purchase lines not yet in Sage, top-k each."""
    filters = gl_suggestions.GLFilters(status=status, min_score=min_score)
    return gl_suggestions.list_gl_suggestions(conn, filters, cursor, limit)


@router.post(
    "/gl-suggestions/{suggestion_id}/accept", response_model=DecisionOut,
    responses=problems(403, 404, 409), tags=["gl-suggestions"],
)  # fmt: skip
def accept_gl_suggestion(
    conn: Conn,
    who: Reviewer,
    suggestion_id: Id,
    body: Annotated[gl_suggestions.GLAcceptIn | None, Body()] = None,
) -> DecisionOut:
    """Accept the suggested account, or another (`account`); the next reconcile run learns
    from it and the writer posts the line to it."""
    chosen = body or gl_suggestions.GLAcceptIn()
    return gl_suggestions.decide_gl_suggestion(
        conn, suggestion_id, "accepted", who.name, chosen.account, chosen.reason
    )


@router.post(
    "/gl-suggestions/{suggestion_id}/reject", response_model=DecisionOut,
    responses=problems(403, 404, 409), tags=["gl-suggestions"],
)  # fmt: skip
def reject_gl_suggestion(
    conn: Conn, who: Reviewer, suggestion_id: Id, body: Reason = None
) -> DecisionOut:
    return gl_suggestions.decide_gl_suggestion(
        conn, suggestion_id, "rejected", who.name, reason=body.reason if body else None
    )


@router.get(
    "/anomalies", response_model=anomalies.AnomalyPage, responses=problems(403),
    tags=["anomalies"],
)  # fmt: skip
def list_anomalies(
    conn: Conn,
    _: Reader,
    status: anomalies.AnomalyStatus | None = None,
    rule: Annotated[str | None, Query(max_length=100)] = None,
    system: Annotated[str | None, Query(max_length=40)] = None,
    min_score: Annotated[float | None, Query(ge=0, le=1)] = None,
    cursor: Cursor = None,
    limit: Limit = DEFAULT,
) -> anomalies.AnomalyPage:
    """Invoices the newest reconcile run flagged, each with the reasons why."""
    filters = anomalies.AnomalyFilters(status=status, rule=rule, system=system, min_score=min_score)
    return anomalies.list_anomalies(conn, filters, cursor, limit)


@router.post(
    "/anomalies/{anomaly_id}/dismiss", response_model=DecisionOut,
    responses=problems(403, 404, 409), tags=["anomalies"],
)  # fmt: skip
def dismiss_anomaly(conn: Conn, who: Reviewer, anomaly_id: Id, body: Reason = None) -> DecisionOut:
    """Nothing wrong here."""
    reason = body.reason if body else None
    return anomalies.decide_anomaly(conn, anomaly_id, "dismissed", who.name, reason)


@router.post(
    "/anomalies/{anomaly_id}/escalate", response_model=DecisionOut,
    responses=problems(403, 404, 409), tags=["anomalies"],
)  # fmt: skip
def escalate_anomaly(conn: Conn, who: Reviewer, anomaly_id: Id, body: Reason = None) -> DecisionOut:
    """Someone must look into this."""
    reason = body.reason if body else None
    return anomalies.decide_anomaly(conn, anomaly_id, "escalated", who.name, reason)


@router.get(
    "/approvals", response_model=approvals.ApprovalPage, responses=problems(403),
    tags=["approvals"],
)  # fmt: skip
def list_approvals(
    conn: Conn,
    _: Reader,
    status: approvals.ApprovalStatus | None = None,
    target_system: Annotated[str | None, Query(max_length=40)] = None,
    cursor: Cursor = None,
    limit: Limit = DEFAULT,
) -> approvals.ApprovalPage:
    """Writes over the approval threshold, pending, approved or rejected."""
    filters = approvals.ApprovalFilters(status=status, target_system=target_system)
    return approvals.list_approvals(conn, filters, cursor, limit)


@router.post(
    "/approvals/{intent_id}/approve", response_model=DecisionOut,
    responses=problems(403, 404, 409), tags=["approvals"],
)  # fmt: skip
def approve(conn: Conn, who: Reviewer, intent_id: Id, body: Reason = None) -> DecisionOut:
    """Let the write go ahead."""
    reason = body.reason if body else None
    return approvals.decide_approval(conn, intent_id, "approved", who.name, reason)


@router.post(
    "/approvals/{intent_id}/reject", response_model=DecisionOut,
    responses=problems(403, 404, 409), tags=["approvals"],
)  # fmt: skip
def reject(conn: Conn, who: Reviewer, intent_id: Id, body: Reason = None) -> DecisionOut:
    """Stop the write."""
    reason = body.reason if body else None
    return approvals.decide_approval(conn, intent_id, "rejected", who.name, reason)
