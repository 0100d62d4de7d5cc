"""`/gl-suggestions`, `/anomalies`, `/approvals`: what finance reviews and decides."""

from __future__ import annotations

from typing import Annotated, Any

import psycopg
from fastapi import APIRouter, Body, Path

from api.auth import Reviewer
from api.routes.common import Inputs, problems
from api.routes.decisions import add_decision_route
from api.routes.listings import add_listing_route
from api.services import anomalies, approvals, gl_suggestions
from api.services.decisions import DecisionOut

router = APIRouter()
Id = Annotated[int, Path(ge=1, le=2**62)]

for path, list_page in (
    ("/gl-suggestions", gl_suggestions.list_gl_suggestions),
    ("/anomalies", anomalies.list_anomalies),
    ("/approvals", approvals.list_approvals),
):
    add_listing_route(router, path, list_page, tags=[path.split("/")[1]])


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
    return await Inputs("body", id="path.suggestion_id").located(who.run(
        gl_suggestions.decide_gl_suggestion, suggestion_id, "accepted", who.name,
        chosen.account, chosen.reason,
    ))  # fmt: skip


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
