"""Payment matches: what the newest reconcile run paired (each allocation with its score and
the rules that fired), confirmed or rejected by a person a group at a time, and manual
matches of items a person chose, checked for amount, currency and counterparty."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any, Literal

import psycopg
from pydantic import BaseModel, Field

from api.services.decisions import (
    DecisionOut,
    ReasonText,
    RecordRef,
    RecordRefIn,
    RunRef,
    decide,
    latest_run,
)
from api.services.errors import Conflict, InvalidRequest, NotFound
from api.services.pages import Listing, Page
from api.services.texts import Name, NameText, RecordKey, RuleName
from canonical import SYSTEMS
from ledger.decisions import decisions_about

MatchStatus = Literal["suggested", "auto", "confirmed", "rejected"]
INVOICE_OF = {
    "receipt": ("sales_invoice", "customer"),
    "supplier_payment": ("purchase_invoice", "supplier"),
}


class MatchFilters(BaseModel):
    status: MatchStatus | None = None
    min_score: float | None = Field(default=None, ge=0, le=1)
    rule: RuleName = Field(default=None, description="Only matches where this rule fired.")
    system: Name = None


class MatchOut(BaseModel):
    """One allocation of a payment to an invoice; a group is decided as a whole."""

    id: int = Field(description="The match result's id.")
    run_id: int
    group_id: str = Field(examples=["sage100:17"])
    status: MatchStatus
    score: float = Field(ge=0, le=1)
    rules: list[str] = Field(examples=[["same_counterparty", "amount_exact", "reference_exact"]])
    amount: Decimal | None = Field(description="Amount allocated.", examples=["250.00"])
    payment: RecordRef | None
    invoice: RecordRef | None
    detail: dict[str, Any]
    decided_by: str | None = None
    decided_at: Any | None = None


class MatchPage(Page[MatchOut]):
    run: RunRef | None


class MatchDecision(BaseModel):
    decision: DecisionOut
    matches: list[MatchOut] = Field(description="Every allocation of the group decided.")


class ManualAllocation(BaseModel):
    system: NameText = Field(examples=["sage100"])
    key: RecordKey = Field(examples=["0000123"])
    amount: Decimal = Field(gt=0, examples=["250.00"])


class ManualMatchIn(BaseModel):
    """A payment and the invoices it settles, as a person matched them."""

    payment: RecordRefIn
    invoices: list[ManualAllocation] = Field(min_length=1, max_length=200)
    reason: ReasonText = None


def _build(row: Any) -> MatchOut:
    (result_id, run_id, group_id, status, score, rules, amount, ls, le, lk, rs, re_, rk,
     detail, actor, decided_at) = row  # fmt: skip
    return MatchOut(
        id=result_id, run_id=run_id, group_id=group_id, status=status, score=score,
        rules=list(rules), amount=amount,
        payment=RecordRef(system=ls, entity=le, key=lk) if lk is not None else None,
        invoice=RecordRef(system=rs, entity=re_, key=rk) if rk is not None else None,
        detail=detail, decided_by=actor, decided_at=decided_at,
    )  # fmt: skip


MATCHES = Listing(
    "matches", "matches_page", {"after": 0}, _build,
    defaults={"status": None, "min_score": None, "rule": None, "system": None, "group": None},
)  # fmt: skip


def list_matches(
    conn: psycopg.Connection[Any],
    filters: MatchFilters,
    cursor: str | None = None,
    limit: int = 50,
    run_id: int | None = None,
) -> MatchPage:
    """One page of the newest reconcile run's payment matches (or those of `run_id`)."""
    after = MATCHES.after(cursor, limit)
    run = latest_run(conn)
    chosen = run_id if run_id is not None else (run.run_id if run else None)
    if chosen is None:
        return MatchPage(items=[], run=None)
    items, next_cursor = MATCHES.read(conn, after, limit, run_id=chosen, **filters.model_dump())
    return MatchPage(items=items, next_cursor=next_cursor, run=run)


def _group(conn: psycopg.Connection[Any], result_id: int) -> list[MatchOut]:
    row = conn.execute(
        "SELECT run_id, group_id FROM ledger.match_result"
        " WHERE result_id = %s AND kind = 'payment'",
        (result_id,),
    ).fetchone()
    if row is None:
        raise NotFound(f"no payment match {result_id}", field="id")
    run_id, group_id = row
    return [_build(r) for r in MATCHES.rows(conn, run_id=run_id, group=group_id, limit=1000)]


def decide_match(
    conn: psycopg.Connection[Any],
    result_id: int,
    outcome: Literal["confirmed", "rejected"],
    actor: str,
    reason: str | None = None,
) -> MatchDecision:
    """Confirms or rejects the group of match `result_id` (all its allocations at once)."""
    group = _group(conn, result_id)
    status = group[0].status
    if status == outcome:
        raise Conflict(f"match {result_id} is {status} already")
    records: list[dict[str, str]] = []
    for match in group:
        for ref in (match.payment, match.invoice):
            if ref is not None and ref.as_subject() not in records:
                records.append(ref.as_subject())
    subject = {
        "match": f"{group[0].run_id}:{group[0].group_id}",
        "run_id": group[0].run_id,
        "group_id": group[0].group_id,
        "result_ids": [m.id for m in group],
        "records": records,
    }
    decision = decide(conn, "match", subject, outcome, actor, reason)
    return MatchDecision(decision=decision, matches=_group(conn, result_id))


def _current(
    conn: psycopg.Connection[Any], system: str, entity: str, key: str, field: str
) -> dict[str, Any]:
    """The payload of the record now; refused naming `field`'s key when the ledger has no
    such record, or its system when no such system (which the query could not take)."""
    if system not in SYSTEMS:
        raise InvalidRequest(f"unknown system {system!r}", field=f"{field}.system")
    row = conn.execute(
        "SELECT payload FROM ledger.current_record WHERE system = %s::ledger.system"
        " AND entity = %s::ledger.entity AND native_key = %s",
        (system, entity, key),
    ).fetchone()
    if row is None:
        raise InvalidRequest(
            f"{system} {entity} {key!r} is not in the ledger", field=f"{field}.key"
        )
    payload: dict[str, Any] = row[0]
    return payload


def _same_party(
    conn: psycopg.Connection[Any], entity: str, one: tuple[str, str], other: tuple[str, str]
) -> bool:
    if one == other:
        return True
    pair = {one[0]: one[1], other[0]: other[1]}
    if set(pair) != {"kashflow", "sage100"}:
        return False
    row = conn.execute(
        "SELECT 1 FROM ledger.current_link WHERE entity = %s AND kashflow_key = %s"
        " AND sage100_key = %s",
        (entity, pair["kashflow"], pair["sage100"]),
    ).fetchone()
    return row is not None


def _open_amount(invoice: dict[str, Any]) -> Decimal:
    return Decimal(str(invoice["gross_amount"])) - Decimal(str(invoice.get("amount_paid") or 0))


def allocate_open(
    conn: psycopg.Connection[Any],
    payment: RecordRef,
    invoices: list[RecordRef],
    reason: str | None = None,
) -> ManualMatchIn:
    """A manual match of `payment` to `invoices` as a person ticks them
    on the review pages: each invoice, in the order given, is allocated what it has open,
    up to what is left of the payment. `manual_match` checks the result like any other."""
    if payment.entity != "payment":
        raise InvalidRequest("payment.entity must be payment", field="payment.entity")
    paid = _current(conn, payment.system, "payment", payment.key, "payment")
    invoice_entity = INVOICE_OF[paid["kind"]][0]
    left = Decimal(str(paid["amount"]))
    allocations = []
    for index, ref in enumerate(invoices):
        key = ref.key
        if ref.entity != invoice_entity:
            raise InvalidRequest(
                f"{ref.entity.replace('_', ' ')} {key} cannot take a {paid['kind']}: it settles"
                f" {invoice_entity.replace('_', ' ')}s",
                field=f"invoices.{index}.entity",
            )
        if left <= 0:
            raise InvalidRequest(
                f"payment {payment.key} ({paid['amount']}) is used up before invoice {key}",
                field=f"invoices.{index}",
            )
        invoice = _current(conn, ref.system, invoice_entity, key, f"invoices.{index}")
        amount = min(_open_amount(invoice), left)
        if amount <= 0:
            raise InvalidRequest(f"invoice {key} has nothing open", field=f"invoices.{index}")
        allocations.append(ManualAllocation(system=ref.system, key=key, amount=amount))
        left -= amount
    return ManualMatchIn(
        payment=RecordRefIn.model_validate(payment.as_subject()), invoices=allocations,
        reason=reason,
    )  # fmt: skip


def manual_match(conn: psycopg.Connection[Any], match: ManualMatchIn, actor: str) -> DecisionOut:
    """Records a person's match of one payment to invoices, once it adds up: the invoices
    are of the payment's kind, in its currency, of the same counterparty (or one linked to
    it), each allocation within what the invoice has open, the sum within the payment."""
    if match.payment.entity != "payment":
        raise InvalidRequest("payment.entity must be payment", field="payment.entity")
    payment = _current(conn, match.payment.system, "payment", match.payment.key, "payment")
    invoice_entity, party_entity = INVOICE_OF[payment["kind"]]
    currency = payment.get("currency") or "GBP"
    party = (match.payment.system, payment.get("counterparty_key") or "")
    total = Decimal(0)
    records = [match.payment.as_subject()]
    for index, allocation in enumerate(match.invoices):
        field = f"invoices.{index}"
        invoice = _current(conn, allocation.system, invoice_entity, allocation.key, field)
        if (invoice.get("currency") or "GBP") != currency:
            raise InvalidRequest(
                f"invoice {allocation.key} is in {invoice.get('currency')}, the payment in"
                f" {currency}",
                field=f"{field}.key",
            )
        invoice_party = (allocation.system, invoice[f"{party_entity}_key"])
        if not _same_party(conn, party_entity, party, invoice_party):
            raise InvalidRequest(
                f"invoice {allocation.key} is of {party_entity} {invoice_party[1]}, the payment"
                f" of {party[1] or 'no one'}",
                field=f"{field}.key",
            )
        open_amount = _open_amount(invoice)
        if allocation.amount > open_amount:
            raise InvalidRequest(
                f"{allocation.amount} is more than invoice {allocation.key} has open"
                f" ({open_amount})",
                field=f"{field}.amount",
            )
        total += allocation.amount
        records.append(
            {"system": allocation.system, "entity": invoice_entity, "key": allocation.key}
        )
    if total > Decimal(str(payment["amount"])):
        raise InvalidRequest(
            f"allocations total {total}, more than the payment's {payment['amount']}",
            field="invoices",
        )
    subject = {
        "match": f"manual:{uuid.uuid4()}",
        "manual": True,
        "records": records,
        "allocations": [
            {"system": a.system, "entity": invoice_entity, "key": a.key, "amount": str(a.amount)}
            for a in match.invoices
        ],
    }
    return decide(conn, "match", subject, "confirmed", actor, match.reason)


def match_history(conn: psycopg.Connection[Any], result_id: int) -> list[DecisionOut]:
    group = _group(conn, result_id)
    subject = {"match": f"{group[0].run_id}:{group[0].group_id}"}
    return [DecisionOut.of(d) for d in decisions_about(conn, subject, "match")]
