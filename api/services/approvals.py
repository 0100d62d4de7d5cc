"""Approvals: write intents over the approval threshold wait for a person to approve or
reject them. The decision is recorded by the writer's own `writer.outbox.approve` and
`reject`: a decision of kind ``approval`` about the intent's idempotency key, which the
applier reads before it writes (the newest one wins)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Literal

import psycopg
from pydantic import BaseModel, Field

from api.services.decisions import DecisionOut, RecordRef, check_reason
from api.services.errors import Conflict
from api.services.pages import Listing, Page
from api.services.texts import Name
from writer import outbox

ApprovalStatus = Literal["pending", "approved", "rejected"]


class ApprovalOut(BaseModel):
    id: int = Field(description="The write intent's id.")
    idempotency_key: str = Field(
        examples=["sales_invoice_to_sage100:kashflow:sales_invoice:10042:v1"]
    )
    target_system: str = Field(examples=["sage100"])
    entity: str = Field(examples=["sales_invoice"])
    operation: str = Field(examples=["create"])
    source: RecordRef | None
    target_key: str | None
    amount: Decimal | None = Field(
        description="The write's amount, when it has one.", examples=["7200.00"]
    )
    currency: str | None = Field(examples=["GBP"])
    payload: dict[str, Any]
    planned_at: datetime
    status: ApprovalStatus
    applied: bool = Field(description="Whether the write has been carried out.")
    decided_by: str | None = None
    decided_at: datetime | None = None


class ApprovalPage(Page[ApprovalOut]):
    pass


class ApprovalFilters(BaseModel):
    status: ApprovalStatus | None = None
    target_system: Name = None


def _amount(payload: dict[str, Any]) -> Decimal | None:
    for name in ("gross_amount", "amount", "net_amount"):
        if payload.get(name) is not None:
            try:
                return Decimal(str(payload[name]))
            except InvalidOperation:
                return None
    return None


def _out(row: Any) -> ApprovalOut:
    (intent_id, key, target, entity, operation, source_system, source_key, target_key, payload,
     created_at, outcome, actor, decided_at, applied) = row  # fmt: skip
    source = outbox.planned_from(key, entity, source_system, source_key)
    return ApprovalOut(
        id=intent_id, idempotency_key=key, target_system=target, entity=entity,
        operation=operation,
        source=RecordRef(**source) if source else None,
        target_key=target_key, amount=_amount(payload), currency=payload.get("currency"),
        payload=payload, planned_at=created_at, status=outcome or "pending", applied=applied,
        decided_by=actor, decided_at=decided_at,
    )  # fmt: skip


APPROVALS = Listing(
    "approvals", "approvals_page", {"after": 0}, _out,
    defaults={"intent_id": None, "status": None, "target_system": None},
)  # fmt: skip


def list_approvals(
    conn: psycopg.Connection[Any],
    filters: ApprovalFilters,
    cursor: str | None = None,
    limit: int = 50,
) -> ApprovalPage:
    """Writes over the approval threshold, pending, approved or rejected."""
    items, next_cursor = APPROVALS.page(conn, cursor, limit, **filters.model_dump())
    return ApprovalPage(items=items, next_cursor=next_cursor)


def get_approval(conn: psycopg.Connection[Any], intent_id: int) -> ApprovalOut:
    missing = f"no write intent {intent_id} waiting for approval"
    return APPROVALS.one(conn, missing, intent_id=intent_id)


def decide_approval(
    conn: psycopg.Connection[Any],
    intent_id: int,
    outcome: Literal["approved", "rejected"],
    actor: str,
    reason: str | None = None,
) -> DecisionOut:
    approval = get_approval(conn, intent_id)
    if approval.applied:
        raise Conflict(f"write intent {intent_id} has been applied already")
    if approval.status == outcome:
        raise Conflict(f"write intent {intent_id} is {outcome} already")
    approve_or_reject = outbox.approve if outcome == "approved" else outbox.reject
    decision = approve_or_reject(conn, approval.idempotency_key, actor, check_reason(reason))
    return DecisionOut.of(decision)
