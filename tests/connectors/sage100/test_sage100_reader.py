"""A full read of the seeded sandbox gives back the business the generator describes, as
Sage 100 holds it: the same parties, items, stock, invoices, receipts and orders under
Sage's keys."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from canonical import (
    CanonicalRecord,
    Customer,
    JournalEntry,
    JournalLine,
    Payment,
    SalesInvoice,
    StockLevel,
)
from connectors.sage100 import Sage100Reader, Sage100Writer
from connectors.sage100.keys import ar_invoice_no_for, customer_no_for
from sandbox.datagen import CompanyView, generate_company


@pytest.fixture(scope="module")
def sage_view() -> CompanyView:
    return generate_company("small", 42).view("sage100")


def by_key(records: Iterable[CanonicalRecord]) -> dict[str, Any]:
    return {record.key: record for record in records}


def test_parties_come_back_under_division_keys(
    reader: Sage100Reader, sage_view: CompanyView
) -> None:
    read = by_key(reader.read_all("customer"))
    expected = {"01-" + customer_no_for(c.key)[1]: c for c in sage_view.of("customer")}
    assert read.keys() == expected.keys()
    for key, customer in expected.items():
        got = read[key]
        assert isinstance(got, Customer) and isinstance(customer, Customer)
        assert got.name == customer.name
        assert got.payment_terms_days == customer.payment_terms_days
    assert len(list(reader.read_all("supplier"))) == len(sage_view.of("supplier"))


def test_invoices_come_back_with_what_is_paid(
    reader: Sage100Reader, sage_view: CompanyView
) -> None:
    read = by_key(reader.read_all("sales_invoice"))
    expected = {ar_invoice_no_for(i.key): i for i in sage_view.of("sales_invoice")}
    assert read.keys() == expected.keys()
    for key, invoice in expected.items():
        got = read[key]
        assert isinstance(got, SalesInvoice) and isinstance(invoice, SalesInvoice)
        assert (got.gross_amount, got.amount_paid, got.issue_date, got.due_date) == (
            invoice.gross_amount,
            invoice.amount_paid,
            invoice.issue_date,
            invoice.due_date,
        )
        assert [line.net_amount for line in got.lines] == [
            line.net_amount for line in invoice.lines
        ]


def test_stock_receipts_and_orders_come_back(reader: Sage100Reader, sage_view: CompanyView) -> None:
    stock = by_key(reader.read_all("stock_level"))
    for level in sage_view.of("stock_level"):
        assert isinstance(level, StockLevel)
        got = stock[level.key]
        assert isinstance(got, StockLevel)
        assert got.quantity_on_hand == level.quantity_on_hand
        assert got.quantity_committed == level.quantity_committed
    receipts = list(reader.read_all("payment"))
    expected = [
        p for p in sage_view.of("payment") if isinstance(p, Payment) and p.kind == "receipt"
    ]
    assert sorted(by_key(receipts)[k].amount for k in by_key(receipts)) == sorted(
        p.amount for p in expected
    )
    orders = {key: o.status for key, o in by_key(reader.read_all("order_status")).items()}
    assert orders == {key: o.status for key, o in by_key(sage_view.of("order_status")).items()}


def test_journals_written_are_read_back(writer: Sage100Writer, reader: Sage100Reader) -> None:
    entry = JournalEntry.build(
        system="sage100",
        key="accrual-1",
        posting_date=date(2026, 11, 2),
        description="Rent accrual",
        lines=(
            JournalLine(account="7100-00-00", debit=Decimal("1250.00"), description="Rent accrual"),
            JournalLine(
                account="2100-00-00", credit=Decimal("1250.00"), description="Rent accrual"
            ),
        ),
    )
    key = writer.write(entry)
    read = by_key(reader.read_all("journal_entry"))[key]
    assert read == entry.model_copy(update={"key": key, "source": "G/L"})


def test_stock_adjustments_move_the_stock_read(
    writer: Sage100Writer, reader: Sage100Reader
) -> None:
    before = by_key(reader.read_all("stock_level"))["MIR-00000|001"]
    writer.adjust_stock("MIR-00000", "001", Decimal(-7), date(2026, 11, 2))
    after = by_key(reader.read_all("stock_level"))["MIR-00000|001"]
    assert after.quantity_on_hand == before.quantity_on_hand - 7
