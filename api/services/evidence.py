"""What a reviewer needs beside a result to judge it: the facts of the records a match, GL
suggestion or anomaly concerns (amount, currency, date, reference, counterparty, the line's
description), as the ledger holds them now. Read through `ledger.history`, one record at a
time, for the page of results on screen."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import psycopg
from pydantic import BaseModel

from api.services.decisions import RecordRef
from ledger import history

PARTY_FIELDS = ("customer_key", "supplier_key", "counterparty_key")


class RecordFacts(BaseModel):
    ref: RecordRef
    deleted: bool = False
    amount: Decimal | None = None
    currency: str | None = None
    day: date | None = None
    reference: str | None = None
    counterparty: str | None = None
    name: str | None = None


class LineFacts(BaseModel):
    description: str | None = None
    nominal: str | None = None
    currency: str | None = None
    supplier: str | None = None


def _newest(conn: psycopg.Connection[Any], ref: RecordRef) -> dict[str, Any] | None:
    versions = history(conn, ref.system, ref.entity, ref.key)
    if not versions:
        return None
    return versions[-1].payload or {}


def record_facts(conn: psycopg.Connection[Any], ref: RecordRef) -> RecordFacts | None:
    """The record's newest version in brief; None when the ledger has none."""
    payload = _newest(conn, ref)
    if payload is None:
        return None
    if not payload:
        return RecordFacts(ref=ref, deleted=True)
    amount = payload.get("gross_amount", payload.get("amount"))
    day = payload.get("issue_date") or payload.get("payment_date")
    return RecordFacts(
        ref=ref,
        amount=Decimal(str(amount)) if amount is not None else None,
        currency=payload.get("currency"),
        day=date.fromisoformat(str(day)[:10]) if day else None,
        reference=payload.get("reference") or payload.get("number"),
        counterparty=next((str(payload[f]) for f in PARTY_FIELDS if payload.get(f)), None),
        name=payload.get("name"),
    )


def facts_of(
    conn: psycopg.Connection[Any], refs: list[RecordRef | None]
) -> dict[tuple[str, str, str], RecordFacts]:
    """Facts of each distinct record among `refs`, keyed by (system, entity, key)."""
    found: dict[tuple[str, str, str], RecordFacts] = {}
    for ref in refs:
        if ref is None or (ref.system, ref.entity, ref.key) in found:
            continue
        facts = record_facts(conn, ref)
        if facts is not None:
            found[(ref.system, ref.entity, ref.key)] = facts
    return found


def purchase_line_facts(
    conn: psycopg.Connection[Any], purchase_key: str, line_no: int
) -> LineFacts:
    """A KashFlow purchase line's description and nominal, its currency and supplier name."""
    purchase = _newest(conn, RecordRef(system="kashflow", entity="purchase_invoice",
                                       key=purchase_key)) or {}  # fmt: skip
    line: dict[str, Any] = next(
        (x for x in purchase.get("lines") or () if x.get("line_no") == line_no), {}
    )
    supplier = None
    if purchase.get("supplier_key"):
        party = _newest(conn, RecordRef(system="kashflow", entity="supplier",
                                        key=str(purchase["supplier_key"])))  # fmt: skip
        supplier = (party or {}).get("name") or str(purchase["supplier_key"])
    return LineFacts(
        description=line.get("description"), nominal=line.get("gl_account"),
        currency=purchase.get("currency"), supplier=supplier,
    )  # fmt: skip
