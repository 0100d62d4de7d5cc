"""`/reconciliation`: unmatched items with totals, payment matches, confirm/reject, manual."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Query

from api.auth import Reader, Reviewer
from api.routes.common import DEFAULT, Cursor, Limit, problems
from api.routes.decisions import add_decision_route
from api.services import matches, unmatched
from api.services.decisions import DecisionOut

router = APIRouter(prefix="/reconciliation", tags=["reconciliation"])


@router.get("/unmatched", response_model=unmatched.UnmatchedPage, responses=problems(403))
async def list_unmatched(
    caller: Reader,
    system: Annotated[str | None, Query(max_length=40)] = None,
    kind: unmatched.ItemKind | None = None,
    counterparty: Annotated[str | None, Query(max_length=300)] = None,
    currency: Annotated[str | None, Query(min_length=3, max_length=3)] = None,
    age_bucket: unmatched.AgeBucket | None = None,
    min_amount: Annotated[Decimal | None, Query(allow_inf_nan=False, max_digits=20)] = None,
    max_amount: Annotated[Decimal | None, Query(allow_inf_nan=False, max_digits=20)] = None,
    cursor: Cursor = None,
    limit: Limit = DEFAULT,
) -> unmatched.UnmatchedPage:
    """Open invoices and unallocated payments left by the newest reconcile run (less those
    matched by a person since), in (system, entity, key) order; totals by currency on the
    first page."""
    filters = unmatched.UnmatchedFilters(
        system=system, kind=kind, counterparty=counterparty, currency=currency,
        age_bucket=age_bucket, min_amount=min_amount, max_amount=max_amount,
    )  # fmt: skip
    return await caller.run(unmatched.list_unmatched, filters, cursor, limit)


@router.get(
    "/unmatched/summary", response_model=unmatched.UnmatchedSummary, responses=problems(403)
)
async def unmatched_summary(caller: Reader) -> unmatched.UnmatchedSummary:
    """Unmatched amounts by currency, by system and by age bucket."""
    return await caller.run(unmatched.unmatched_summary)


@router.get("/matches", response_model=matches.MatchPage, responses=problems(403))
async def list_matches(
    caller: Reader,
    status: matches.MatchStatus | None = None,
    min_score: Annotated[float | None, Query(ge=0, le=1)] = None,
    rule: Annotated[str | None, Query(max_length=100)] = None,
    system: Annotated[str | None, Query(max_length=40)] = None,
    cursor: Cursor = None,
    limit: Limit = DEFAULT,
) -> matches.MatchPage:
    """Payment matches of the newest reconcile run, with score, rules and status now."""
    filters = matches.MatchFilters(status=status, min_score=min_score, rule=rule, system=system)
    return await caller.run(matches.list_matches, filters, cursor, limit)


@router.post("/matches", response_model=DecisionOut, status_code=201, responses=problems(403))
async def manual_match(who: Reviewer, match: matches.ManualMatchIn) -> DecisionOut:
    """Match a payment to invoices by hand: same currency, same (or linked) counterparty,
    each amount within the invoice's open amount, the total within the payment."""
    return await who.run(matches.manual_match, match, who.name)


for verb, outcome, meaning in (
    ("confirm", "confirmed", "Confirm the match's group (all its allocations)."),
    ("reject", "rejected", "Reject the match's group: its items count as unmatched again."),
):
    add_decision_route(
        router, f"/matches/{{match_id}}/{verb}", outcome, matches.decide_match,
        name=f"{verb}_match", description=meaning, response_model=matches.MatchDecision,
        id_description="A match's id.",
    )  # fmt: skip
