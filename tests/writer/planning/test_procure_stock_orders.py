"""Purchases and supplier payments, stock levels and sales order status, planned over a
ledger read from both sandboxes: right fields and amounts, once, updates not duplicates."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import psycopg
from documents import invoice_of, vat_line
from writer_outbox import apply_in_ledger, mark_succeeded, record_intents

from canonical import (
    Allocation,
    OrderStatus,
    Payment,
    PurchaseInvoice,
    StockLevel,
)
from ledger import NewVersion, append_versions, current
from writer.intents import WriteIntent
from writer.plan import Plan, plan_all
from writer.rules import load_rules

RULES = load_rules()


def _plan(conn: psycopg.Connection[Any], *flows: str) -> Plan:
    return plan_all(conn, RULES, approval_threshold=Decimal(5000), flows=list(flows))


def _about(plan: Plan, *keys: str) -> list[Any]:
    return [i for i in plan.intents if i.source_key in keys]


def _linked(conn: psycopg.Connection[Any], entity: str) -> tuple[str, str]:
    row = conn.execute(
        "SELECT kashflow_key, sage100_key FROM ledger.current_link WHERE entity = %s"
        " ORDER BY kashflow_key LIMIT 1",
        (entity,),
    ).fetchone()
    assert row is not None
    return row[0], row[1]


def _purchase(key: str, supplier: str, net: str, **fields: Any) -> PurchaseInvoice:
    return invoice_of(
        PurchaseInvoice,
        vat_line(1, "Printer paper", net, "7500"),
        system="kashflow",
        key=key,
        supplier_key=supplier,
        issue_date=date(2026, 11, 3),
        **fields,
    )


def _posted(conn: psycopg.Connection[Any], key: str, net: str) -> tuple[str, str, WriteIntent]:
    """A KashFlow purchase of the first linked supplier, planned and applied as a Sage 100
    A/P invoice: the supplier's KashFlow key, its Sage 100 vendor and the applied intent."""
    supplier, vendor = _linked(conn, "supplier")
    append_versions(conn, [NewVersion.of(_purchase(key, supplier, net))])
    [created] = _about(_plan(conn, "purchases"), key)
    apply_in_ledger(conn, [created])
    return supplier, vendor, created


def test_a_purchase_becomes_one_ap_invoice_and_an_edit_an_adjustment_of_it(
    ledger: psycopg.Connection[Any],
) -> None:
    supplier, vendor = _linked(ledger, "supplier")
    append_versions(ledger, [NewVersion.of(_purchase("80001", supplier, "100"))])
    [intent] = _about(_plan(ledger, "purchases"), "80001")
    record: Any = intent.record
    assert (intent.flow, intent.operation, intent.target_key) == (
        "purchase_to_sage100",
        "create",
        f"{vendor}|80001",
    )
    assert (record.supplier_key, record.lines[0].gl_account, record.gross_amount) == (
        vendor,
        "7500-00-00",
        Decimal(120),
    )
    record_intents(ledger, [intent])
    assert not _about(_plan(ledger, "purchases"), "80001")
    append_versions(ledger, [NewVersion.of(_purchase("80001", supplier, "150"))])
    [up] = _about(_plan(ledger, "purchases"), "80001")
    assert (up.operation, up.target_key, dict(up.native_fields)) == (
        "create",
        f"{vendor}|80001-2",
        {"InvoiceType": "AD", "ApplyToInvoiceNo": "80001"},
    )
    lines = [(line.gl_account, line.net_amount, line.tax_amount) for line in up.record.lines]
    assert lines == [("7500-00-00", Decimal(50), Decimal(10))]
    assert up.depends_on == (intent.idempotency_key,), "waits for the posting"
    assert not up.requires_approval

    record_intents(ledger, [up])
    append_versions(ledger, [NewVersion.of(_purchase("80001", supplier, "90"))])
    [down] = _about(_plan(ledger, "purchases"), "80001")
    assert (down.target_key, dict(down.native_fields)["InvoiceType"]) == (
        f"{vendor}|80001-3",
        "AD",
    )
    down_record: Any = down.record
    assert (down_record.net_amount, down_record.gross_amount) == (Decimal(-60), Decimal(-72)), (
        "the posting and the adjustment before it are what Sage holds"
    )


def test_an_edit_of_a_posted_purchase_that_cannot_be_adjusted_is_refused_in_one_line(
    ledger: psycopg.Connection[Any],
) -> None:
    (supplier, vendor), (other, other_vendor) = [
        (row[0], row[1])
        for row in ledger.execute(
            "SELECT kashflow_key, sage100_key FROM ledger.current_link WHERE entity = 'supplier'"
            " ORDER BY kashflow_key LIMIT 2"
        )
    ]
    append_versions(ledger, [NewVersion.of(_purchase("80011", supplier, "100"))])
    record_intents(ledger, _about(_plan(ledger, "purchases"), "80011"))

    append_versions(ledger, [NewVersion.of(_purchase("80011", other, "100"))])
    plan = _plan(ledger, "purchases")
    assert not _about(plan, "80011")
    [refused] = [r for r in plan.rejections if r.key == "80011"]
    assert refused.field == "supplier_key"
    assert refused.line().startswith(
        f"kashflow purchase_invoice 80011: supplier_key: supplier changed from {vendor} to"
        f" {other_vendor} after Sage 100 posted A/P invoice 80011: not adjusted"
    )
    assert "\n" not in refused.line()

    moved = _purchase("80011", supplier, "100", reference="PO-7")
    append_versions(ledger, [NewVersion.of(moved)])
    plan = _plan(ledger, "purchases")
    [refused] = [r for r in plan.rejections if r.key == "80011"]
    assert refused.field == "reference" and "only amounts are adjusted" in refused.message

    large = _purchase("80011", supplier, "9000", reference="PO-7")
    append_versions(ledger, [NewVersion.of(large)])
    [adjustment] = _about(_plan(ledger, "purchases"), "80011")
    assert adjustment.requires_approval, "an adjustment over the threshold waits for approval"
    assert adjustment.warnings == ("reference changed too: Sage 100 keeps the posted invoice's",)


def test_an_adjusted_ap_invoice_read_back_is_not_taken_for_a_payment(
    ledger: psycopg.Connection[Any],
) -> None:
    supplier, vendor, created = _posted(ledger, "80021", "100")
    append_versions(ledger, [NewVersion.of(_purchase("80021", supplier, "80"))])
    [adjustment] = _about(_plan(ledger, "purchases"), "80021")
    apply_in_ledger(ledger, [adjustment])
    lowered = created.record.model_copy(update={"amount_paid": Decimal(24)})  # balance 96
    append_versions(ledger, [NewVersion.of(lowered)])
    plan = _plan(ledger, "purchases")
    assert not _about(plan, "80021", f"{vendor}|80021", f"{vendor}|80021-2")

    paid = created.record.model_copy(update={"amount_paid": Decimal(34)})
    append_versions(ledger, [NewVersion.of(paid)])
    [payment] = _about(_plan(ledger, "purchases"), f"{vendor}|80021")
    assert payment.record.allocations == (Allocation(invoice_key="80021", amount=Decimal(10)),), (
        "only what was paid, not what the adjustment took off"
    )


def test_sage_paying_an_ap_invoice_pays_the_kashflow_purchase_once(
    ledger: psycopg.Connection[Any],
) -> None:
    supplier, vendor, created = _posted(ledger, "80002", "50")
    paid = created.record.model_copy(update={"amount_paid": Decimal(60)})
    append_versions(ledger, [NewVersion.of(paid)])
    [payment] = _about(_plan(ledger, "purchases"), f"{vendor}|80002")
    record: Any = payment.record
    assert (payment.flow, record.kind, record.counterparty_key) == (
        "supplier_paid_status_to_kashflow",
        "supplier_payment",
        supplier,
    )
    assert record.allocations == (Allocation(invoice_key="80002", amount=Decimal(60)),)
    record_intents(ledger, [payment])
    assert not _about(_plan(ledger, "purchases"), f"{vendor}|80002", "80002")


def test_a_stock_change_in_sage_sets_the_kashflow_level_once(
    ledger: psycopg.Connection[Any],
) -> None:
    level = next(
        v.record()
        for v in current(ledger, "sage100", "stock_level")
        if v.native_key.endswith("|000")
    )
    assert isinstance(level, StockLevel)
    first = _about(_plan(ledger, "stock"), level.key)
    record_intents(ledger, first)
    assert not _about(_plan(ledger, "stock"), level.key)
    moved = level.model_copy(update={"quantity_on_hand": level.quantity_on_hand + 7})
    append_versions(ledger, [NewVersion.of(moved)])
    [intent] = _about(_plan(ledger, "stock"), level.key)
    record: Any = intent.record
    assert (intent.target_system, record.product_key, record.quantity_on_hand) == (
        "kashflow",
        level.product_key,
        level.quantity_on_hand + 7,
    )


def test_a_shipped_sales_order_shows_on_the_kashflow_quote_once(
    ledger: psycopg.Connection[Any],
) -> None:
    customer, sage_customer = _linked(ledger, "customer")
    order = OrderStatus(
        system="sage100",
        key="0000999",
        customer_key=sage_customer,
        order_date=date(2026, 11, 1),
        status="open",
    )
    append_versions(ledger, [NewVersion.of(order)])
    record_intents(ledger, _about(_plan(ledger, "order_status"), "0000999"))
    shipped = order.model_copy(update={"status": "shipped", "ship_date": date(2026, 11, 4)})
    append_versions(ledger, [NewVersion.of(shipped)])
    [intent] = _about(_plan(ledger, "order_status"), "0000999")
    record: Any = intent.record
    assert (intent.operation, intent.target_key, record.status, record.customer_key) == (
        "update",
        "999",
        "shipped",
        customer,
    )
    record_intents(ledger, [intent])
    assert not _about(_plan(ledger, "order_status"), "0000999")


def _check(vendor: str, number: str, invoice_key: str, amount: str, on: date) -> Payment:
    """A Sage 100 A/P check as the connector reads it from check history."""
    return Payment(
        system="sage100",
        key=f"CHECK|A|{number}|000000",
        kind="supplier_payment",
        counterparty_key=vendor,
        payment_date=on,
        amount=Decimal(amount),
        bank_account="A",
        reference=number,
        allocations=(Allocation(invoice_key=invoice_key, amount=Decimal(amount)),),
    )


def test_each_sage_check_pays_the_kashflow_purchase_once_with_its_date_and_number(
    ledger: psycopg.Connection[Any],
) -> None:
    _, vendor, created = _posted(ledger, "80003", "100")
    ap_key = f"{vendor}|80003"
    first = _check(vendor, "C1", ap_key, "30", date(2026, 11, 4))
    second = _check(vendor, "C2", ap_key, "50", date(2026, 11, 9))
    paid = created.record.model_copy(update={"amount_paid": Decimal(90)})  # 10 by no check
    append_versions(ledger, [NewVersion.of(r) for r in (paid, first, second)])

    plan = _about(_plan(ledger, "purchases"), first.key, second.key, ap_key)
    made = {i.source_key: (i.record.amount, i.record.reference) for i in plan}
    assert made == {
        first.key: (Decimal(30), "Sage check C1"),
        second.key: (Decimal(50), "Sage check C2"),
        ap_key: (Decimal(10), f"Sage {ap_key}"),  # what no check explains
    }
    dates = {i.source_key: i.record.payment_date for i in plan}
    assert (dates[first.key], dates[second.key]) == (date(2026, 11, 4), date(2026, 11, 9))
    assert all(i.flow == "supplier_paid_status_to_kashflow" for i in plan)
    assert all(i.record.allocations[0].invoice_key == "80003" for i in plan)
    [from_first] = [i for i in plan if i.source_key == first.key]
    apply_in_ledger(ledger, [from_first])
    again = _about(_plan(ledger, "purchases"), first.key, second.key, ap_key)
    assert sorted((i.source_key, i.record.amount) for i in again) == [
        (ap_key, Decimal(10)),
        (second.key, Decimal(50)),
    ], "the check mirrored already is not planned again"
    record_intents(ledger, again)
    assert _about(_plan(ledger, "purchases"), first.key, second.key, ap_key) == []


def test_a_check_we_posted_from_kashflow_is_not_mirrored_back(
    ledger: psycopg.Connection[Any],
) -> None:
    supplier, vendor, created = _posted(ledger, "80004", "100")
    ap_key = f"{vendor}|80004"
    payment = Payment(
        system="kashflow", key="P880004", kind="supplier_payment", counterparty_key=supplier,
        payment_date=date(2026, 11, 5), amount=Decimal(120), method="BACS",
        allocations=(Allocation(invoice_key="80004", amount=Decimal(120)),),
    )  # fmt: skip
    kashflow_paid = _purchase("80004", supplier, "100", amount_paid=Decimal(120))
    append_versions(ledger, [NewVersion.of(payment), NewVersion.of(kashflow_paid)])
    [posting] = _about(_plan(ledger, "purchases"), "P880004")
    assert (posting.flow, posting.record.bank_account, posting.record.reference) == (
        "supplier_payment_to_sage100",
        "A",
        "P880004",
    )
    assert posting.warnings == ("a manual check from bank A",)
    record_intents(ledger, [posting])
    mark_succeeded(ledger, [posting])
    # Read back from Sage: the check we posted and the invoice it paid.
    check = _check(vendor, "P880004", ap_key, "120", date(2026, 11, 5))
    sage_paid = created.record.model_copy(update={"amount_paid": Decimal(120)})
    append_versions(ledger, [NewVersion.of(check), NewVersion.of(sage_paid)])
    assert _about(_plan(ledger, "purchases"), check.key, ap_key, "P880004", "80004") == []
