"""Approvals: write intents over the approval threshold wait for a person to approve or
reject them. A decision of kind ``approval`` about the intent's idempotency key is what
the applier reads before it writes (the newest one wins)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Literal

import psycopg
from pydantic import BaseModel, Field

from api.services.decisions import DecisionOut, RecordRef, decide
from api.services.errors import Conflict, NotFound
from api.services.pages import Page, check_limit, decode_cursor, page_of
from api.services.sql import query

LISTING = "approvals"
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
    target_system: str | None = None


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
    source_entity = key.split(":")[2] if key.count(":") >= 4 else entity
    return ApprovalOut(
        id=intent_id, idempotency_key=key, target_system=target, entity=entity,
        operation=operation,
        source=RecordRef(system=source_system, entity=source_entity, key=source_key)
        if source_system and source_key else None,
        target_key=target_key, amount=_amount(payload), currency=payload.get("currency"),
        payload=payload, planned_at=created_at, status=outcome or "pending", applied=applied,
        decided_by=actor, decided_at=decided_at,
    )  # fmt: skip


def _rows(conn: psycopg.Connection[Any], **params: Any) -> list[Any]:
    defaults = {"after": 0, "intent_id": None, "status": None, "target_system": None, "limit": 51}
    return conn.execute(query("approvals_page"), {**defaults, **params}).fetchall()


def list_approvals(
    conn: psycopg.Connection[Any],
    filters: ApprovalFilters,
    cursor: str | None = None,
    limit: int = 50,
) -> ApprovalPage:
    check_limit(limit)
    after = decode_cursor(LISTING, cursor, 1) or [0]
    rows = _rows(conn, after=after[0], status=filters.status,
                 target_system=filters.target_system, limit=limit + 1)  # fmt: skip
    items, next_cursor = page_of(LISTING, rows, limit, _out, lambda row: [row[0]])
    return ApprovalPage(items=items, next_cursor=next_cursor)


def get_approval(conn: psycopg.Connection[Any], intent_id: int) -> ApprovalOut:
    rows = _rows(conn, intent_id=intent_id)
    if not rows:
        raise NotFound(f"no write intent {intent_id} waiting for approval", field="id")
    return _out(rows[0])


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
    subject = {
        "idempotency_key": approval.idempotency_key,
        "intent_id": intent_id,
        "records": [approval.source.as_subject()] if approval.source else [],
    }
    return decide(conn, "approval", subject, outcome, actor, reason)
