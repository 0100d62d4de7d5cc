"""Purchases and supplier payments, stock levels and sales order status, planned over a
ledger read from both sandboxes: right fields and amounts, once, updates not duplicates."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import psycopg
from writer_outbox import apply_in_ledger, record_intents

from canonical import Allocation, DocumentLine, OrderStatus, PurchaseInvoice, StockLevel
from ledger import NewVersion, append_versions, current
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
    line = DocumentLine(
        line_no=1,
        description="Printer paper",
        unit_price=Decimal(net),
        net_amount=Decimal(net),
        tax_rate=Decimal(20),
        tax_amount=Decimal(net) / 5,
        gl_account="7500",
    )
    return PurchaseInvoice(
        system="kashflow",
        key=key,
        supplier_key=supplier,
        issue_date=date(2026, 11, 3),
        lines=(line,),
        net_amount=Decimal(net),
        tax_amount=Decimal(net) / 5,
        gross_amount=Decimal(net) * Decimal("1.2"),
        **fields,
    )


def test_a_purchase_becomes_one_ap_invoice_and_an_edit_an_update(
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
    [update] = _about(_plan(ledger, "purchases"), "80001")
    assert (update.operation, update.target_key) == ("update", f"{vendor}|80001")


def test_sage_paying_an_ap_invoice_pays_the_kashflow_purchase_once(
    ledger: psycopg.Connection[Any],
) -> None:
    supplier, vendor = _linked(ledger, "supplier")
    purchase = _purchase("80002", supplier, "50")
    append_versions(ledger, [NewVersion.of(purchase)])
    [created] = _about(_plan(ledger, "purchases"), "80002")
    apply_in_ledger(ledger, [created])
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
