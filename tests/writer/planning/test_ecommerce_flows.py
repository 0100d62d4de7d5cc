"""Orders from the eCommerce platform and payments from the payment gateway, recorded in
the ledger as records of their own systems, become KashFlow invoices (with the customer
created when new) and invoice payments, once each."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import psycopg
from documents import invoice_of, vat_line
from writer_outbox import apply_in_ledger

from canonical import Allocation, Customer, Payment, SalesInvoice
from ledger import NewVersion, append_versions, current
from writer.outbox import record_intents
from writer.plan import Plan, plan_all
from writer.rules import load_rules

RULES = load_rules()


def _plan(conn: psycopg.Connection[Any]) -> Plan:
    return plan_all(conn, RULES, approval_threshold=Decimal(5000), flows=["ecommerce"])


def _order(key: str, customer: str) -> SalesInvoice:
    return invoice_of(
        SalesInvoice,
        vat_line(1, "Oak side table", "80", "4000", quantity=2),
        system="ecommerce",
        key=key,
        customer_key=customer,
        issue_date=date(2026, 11, 20),
    )


def _payment(key: str, order: str) -> Payment:
    return Payment(
        system="gateway",
        key=key,
        kind="receipt",
        payment_date=date(2026, 11, 20),
        amount=Decimal(96),
        reference=f"ch_{key}",
        allocations=(Allocation(invoice_key=order, amount=Decimal(96)),),
    )


def test_an_order_of_a_new_shopper_creates_customer_invoice_and_payment_once(
    ledger: psycopg.Connection[Any],
) -> None:
    shopper = Customer(system="ecommerce", key="shop-42", name="Jo Bloggs", email="jo@shop.test")
    append_versions(
        ledger,
        [
            NewVersion.of(shopper),
            NewVersion.of(_order("WEB1001", "shop-42")),
            NewVersion.of(_payment("pay_1", "WEB1001")),
        ],
    )
    highest = max(int(v.native_key) for v in current(ledger, "kashflow", "sales_invoice"))
    customer, invoice, payment = _plan(ledger).intents
    assert (customer.flow, customer.target_key, customer.operation) == (
        "ecommerce_customer_to_kashflow",
        "WEBSHOP42",
        "create",
    )
    record: Any = invoice.record
    assert (invoice.target_system, invoice.target_key) == ("kashflow", str(highest + 1))
    assert (record.customer_key, record.reference, record.gross_amount) == (
        "WEBSHOP42",
        "WEB1001",
        Decimal(96),
    )
    assert invoice.depends_on == (customer.idempotency_key,)
    paid: Any = payment.record
    assert paid.allocations == (Allocation(invoice_key=str(highest + 1), amount=Decimal(96)),)
    assert (paid.counterparty_key, paid.method) == ("WEBSHOP42", "Card")
    assert payment.depends_on == (invoice.idempotency_key,)

    record_intents(ledger, [customer, invoice, payment])
    assert not _plan(ledger).intents, "planned twice"
    apply_in_ledger(ledger, [])
    append_versions(ledger, [NewVersion.of(i.record) for i in (customer, invoice)])
    assert not _plan(ledger).intents, "written back after coming back"


def test_a_shopper_known_by_email_is_not_created_again(ledger: psycopg.Connection[Any]) -> None:
    known = next(
        v for v in current(ledger, "kashflow", "customer") if v.payload and v.payload.get("email")
    )
    assert known.payload is not None
    shopper = Customer(
        system="ecommerce", key="shop-7", name="Someone", email=known.payload["email"].upper()
    )
    append_versions(ledger, [NewVersion.of(shopper), NewVersion.of(_order("WEB1002", "shop-7"))])
    [invoice] = _plan(ledger).intents
    record: Any = invoice.record
    assert record.customer_key == known.native_key and not invoice.depends_on


def test_a_payment_for_an_order_not_seen_is_refused_with_its_reason(
    ledger: psycopg.Connection[Any],
) -> None:
    append_versions(ledger, [NewVersion.of(_payment("pay_9", "WEB9999"))])
    plan = _plan(ledger)
    assert not plan.intents
    assert [r.line() for r in plan.rejections] == [
        "gateway payment pay_9: allocations.invoice_key: order WEB9999 has no KashFlow invoice yet"
    ]
