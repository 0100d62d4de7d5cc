"""`/reconciliation`: unmatched items with totals, payment matches, confirm/reject, manual."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response
from pydantic import Field

from api.auth import Caller, Reader, Reviewer
from api.routes.common import BODY, QUERY, problems
from api.routes.decisions import add_decision_route
from api.routes.listings import add_listing_route
from api.services import matches, unmatched
from api.services.decisions import DecisionOut
from api.services.pages import DEFAULT_LIMIT, MAX_LIMIT

router = APIRouter(prefix="/reconciliation", tags=["reconciliation"])
JSON = "application/json"


class UnmatchedQuery(unmatched.UnmatchedFilters):
    """The listing's query parameters: the filters (each optional), the cursor, the limit."""

    cursor: str | None = Field(
        default=None, description="Opaque: the `next_cursor` of the page before.", max_length=2000
    )
    limit: int = Field(default=DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, description="Items per page.")


async def unmatched_page(caller: Caller, asked: UnmatchedQuery) -> bytes:
    """The page as JSON (served by the route, and ahead of it by `api.hot_reads`)."""
    return await caller.read(unmatched.read_unmatched_page, asked, asked.cursor, asked.limit)


@router.get("/unmatched", response_model=unmatched.UnmatchedPage, responses=problems(403))
async def list_unmatched(caller: Reader, asked: Annotated[UnmatchedQuery, Query()]) -> Response:
    """Open invoices and unallocated payments left by the newest reconcile run (less those
    matched by a person since), in (system, entity, key) order; totals by currency on the
    first page."""
    return Response(await QUERY.located(unmatched_page(caller, asked)), media_type=JSON)


@router.get(
    "/unmatched/summary", response_model=unmatched.UnmatchedSummary, responses=problems(403)
)
async def unmatched_summary(caller: Reader) -> unmatched.UnmatchedSummary:
    """Unmatched amounts by currency, by system and by age bucket."""
    return await caller.run(unmatched.unmatched_summary)


add_listing_route(
    router,
    "/matches",
    matches.list_matches,
    description="Payment matches of the newest reconcile run, with score, rules and status now.",
)


@router.post("/matches", response_model=DecisionOut, status_code=201, responses=problems(403))
async def manual_match(who: Reviewer, match: matches.ManualMatchIn) -> DecisionOut:
    """Match a payment to invoices by hand: same currency, same (or linked) counterparty,
    each amount within the invoice's open amount, the total within the payment."""
    return await BODY.located(who.run(matches.manual_match, match, who.name))


for verb, outcome, meaning in (
    ("confirm", "confirmed", "Confirm the match's group (all its allocations)."),
    ("reject", "rejected", "Reject the match's group: its items count as unmatched again."),
):
    add_decision_route(
        router, f"/matches/{{match_id}}/{verb}", outcome, matches.decide_match,
        name=f"{verb}_match", description=meaning, response_model=matches.MatchDecision,
        id_description="A match's id.",
    )  # fmt: skip
