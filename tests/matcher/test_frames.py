"""The matcher's frames are built from canonical records: the records' own defaults and
derived amounts, each frame in its named schema, and what `match_payments` accepts."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import polars as pl
import record_builders

from canonical import (
    Customer,
    DocumentLine,
    PurchaseInvoice,
    SalesInvoice,
    Supplier,
)
from ledger import IdentityLink
from matcher.frames import (
    INVOICE_SCHEMA,
    PARTY_SCHEMA,
    PAYMENT_SCHEMA,
    TRANSACTION_SCHEMA,
    invoice_frame,
    party_frame,
    payment_frame,
    shared_ids,
    transaction_frame,
)
from matcher.payments import match_payments

LINKS = shared_ids([IdentityLink("customer", "ACME", "01-ACME")])


def test_a_payment_row_carries_what_is_left_to_allocate_and_the_shared_counterparty() -> None:
    receipt = record_builders.receipt("sage100", "R1", "01-ACME", "150.00", "INV 7", [("7", "100")])
    frame = payment_frame([receipt], LINKS, {("sage100", "R1"): "kashflow:P9"})
    assert frame.schema == PAYMENT_SCHEMA
    assert frame.row(0, named=True) == {
        "payment_id": "sage100:R1",
        "system": "sage100",
        "counterparty_id": "kashflow:ACME",
        "amount": Decimal("150.00"),
        "unallocated": Decimal("50.00"),
        "currency": "GBP",
        "date": date(2026, 9, 20),
        "reference": "INV 7",
        "linked_to": "kashflow:P9",
    }


def test_an_invoice_row_is_what_is_still_open_and_falls_due_after_default_terms() -> None:
    invoice = SalesInvoice(
        system="kashflow",
        key="7",
        customer_key="BRIGHT",
        issue_date=date(2026, 9, 1),
        net_amount=Decimal("100"),
        tax_amount=Decimal("20"),
        gross_amount=Decimal("120"),
        amount_paid=Decimal("20"),
    )
    frame = invoice_frame([invoice], LINKS)
    assert frame.schema == INVOICE_SCHEMA
    row = frame.row(0, named=True)
    assert row["counterparty_id"] == "kashflow:BRIGHT"
    assert row["amount_open"] == Decimal("100.00")
    assert row["due_date"] == date(2026, 10, 1)


def test_the_payment_and_invoice_frames_are_what_match_payments_reads() -> None:
    receipt = record_builders.receipt("kashflow", "P1", "ACME", "120", "7")
    invoice = record_builders.sales_invoice("kashflow", "7", "ACME", "120")
    matched = match_payments(payment_frame([receipt], LINKS, {}), invoice_frame([invoice], LINKS))
    assert matched.select("payment_id", "invoice_id", "status").rows() == [
        ("kashflow:P1", "kashflow:7", "auto")
    ]


def test_a_party_row_joins_its_address_and_is_coded_by_its_party_number_else_its_key() -> None:
    parties: list[Customer | Supplier] = [
        Customer(
            system="sage100",
            key="01-ACME0019",
            party_number="ACME0019",
            name="Acme",
            address_lines=("1 A St", "B"),
        ),
        Supplier(system="kashflow", key="BRI0003", name="Bright"),
        Supplier(system="sage100", key="01-FLEET", name="Fleetway"),
    ]
    frame = party_frame(parties)
    assert frame.schema == PARTY_SCHEMA
    assert frame.select("id", "address", "code").rows() == [
        ("01-ACME0019", "1 A St B", "ACME0019"),
        ("BRI0003", None, "BRI0003"),
        ("01-FLEET", None, "01-FLEET"),
    ]


def test_a_purchase_transaction_is_numbered_by_its_supplier_reference_with_a_weighted_rate() -> (
    None
):
    lines = (
        DocumentLine(
            line_no=1,
            net_amount=Decimal("100"),
            tax_rate=Decimal("20"),
            tax_amount=Decimal("20"),
            quantity=Decimal("2"),
        ),
        DocumentLine(
            line_no=2,
            net_amount=Decimal("300"),
            tax_rate=Decimal("0"),
            quantity=Decimal("-1"),
            gl_account="7502",
        ),
    )
    purchase = PurchaseInvoice(
        system="kashflow",
        key="5001",
        supplier_key="BRI0003",
        issue_date=date(2026, 9, 1),
        reference="SUP-77",
        lines=lines,
        net_amount=Decimal("400"),
        tax_amount=Decimal("20"),
        gross_amount=Decimal("420"),
    )
    frame = transaction_frame([purchase])
    assert frame.schema == TRANSACTION_SCHEMA
    row = frame.row(0, named=True)
    assert (row["transaction_id"], row["number"], row["counterparty_id"]) == (
        "5001",
        "SUP-77",
        "BRI0003",
    )
    assert row["tax_rate"] == 5.0
    assert (row["line_count"], row["min_quantity"]) == (2, -1.0)
    assert row["nominal_code"] == "7502"  # the largest line's account


def test_empty_inputs_give_empty_frames_of_the_named_schemas() -> None:
    assert payment_frame([], {}, {}).schema == PAYMENT_SCHEMA
    assert invoice_frame([], {}).schema == INVOICE_SCHEMA
    assert transaction_frame([]).equals(pl.DataFrame(schema=TRANSACTION_SCHEMA))
