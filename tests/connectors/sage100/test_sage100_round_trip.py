"""Round trip: a canonical record written through the BOI and read back over ODBC is the
record we started from, for customers, vendors, items, AR invoices and AP invoices.

Records are drawn within what Sage 100 can hold (column widths, its tax classes and
terms codes, dates in open periods, the company currency); see `connectors.sage100.mapping`
for what Sage cannot keep and why.
"""

from __future__ import annotations

import itertools
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from canonical import (
    CanonicalRecord,
    Customer,
    DocumentLine,
    Product,
    PurchaseInvoice,
    SalesInvoice,
    Supplier,
    round_money,
)
from connectors.sage100 import Sage100Reader, Sage100Writer

EXAMPLES = settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

TEXT = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 .,&'-éøłÜ"
INCOME = ("4000-00-00", "4010-00-00", "4020-00-00")
EXPENSE = ("5000-00-00", "7100-00-00", "7500-00-00", "7800-00-00")
TERMS_DAYS = (0, 7, 14, 30, 45, 60, 90)
SEEDED_CUSTOMERS = ("01-HARB0000", "01-CAFZ0001", "01-CEDA0002")
SEEDED_VENDORS = ("01-RST0000", "01-CAF0001", "01-PIO0002")
SEEDED_ITEMS = ("MIR-00000", "STO-00001", "CHA-00002")
invoice_numbers = itertools.count(800_000)


def words(width: int) -> st.SearchStrategy[str]:
    return st.text(TEXT, min_size=1, max_size=width).map(str.strip).filter(bool)


def optional(strategy: st.SearchStrategy[str]) -> st.SearchStrategy[str | None]:
    return st.none() | strategy


def codes(width: int) -> st.SearchStrategy[str]:
    return st.text("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", min_size=1, max_size=width)


money = st.decimals(min_value=0, max_value=99_999, places=2, allow_nan=False)
rates = st.sampled_from((Decimal(0), Decimal(5), Decimal(20)))
open_dates = st.dates(date(2025, 10, 1), date(2027, 12, 31))


@st.composite
def party_fields(
    draw: st.DrawFn, *, number: int, name: int, phone: int, address: int, city: int
) -> dict[str, Any]:
    """What customers and vendors share, drawn within the widths of the party's table: its
    number, name, phone, address lines and city."""
    party_number = draw(codes(number))
    return {
        "system": "sage100",
        "key": "01-" + party_number,
        "party_number": party_number,
        "name": draw(words(name)),
        "email": draw(optional(st.emails().filter(lambda e: len(e) <= 250))),
        "phone": draw(optional(words(phone))),
        "address_lines": tuple(draw(st.lists(words(address), max_size=3))),
        "city": draw(optional(words(city))),
        "region": draw(optional(codes(2))),
        "postcode": draw(optional(words(10))),
        "country": draw(optional(codes(3))),
        "payment_terms_days": draw(st.sampled_from(TERMS_DAYS)),
        "active": draw(st.booleans()),
    }


@st.composite
def customers(draw: st.DrawFn) -> Customer:
    return Customer.build(
        **draw(party_fields(number=20, name=50, phone=20, address=40, city=30)),
        tax_number=draw(optional(words(15))),
        credit_limit=draw(st.none() | money.filter(bool)),
    )


@st.composite
def suppliers(draw: st.DrawFn) -> Supplier:
    return Supplier.build(**draw(party_fields(number=7, name=30, phone=17, address=30, city=20)))


@st.composite
def products(draw: st.DrawFn) -> Product:
    return Product.build(
        system="sage100",
        key=draw(codes(30)),
        name=draw(words(30)),
        description=draw(optional(words(400))),
        unit_price=draw(money),
        unit_cost=draw(st.none() | money.filter(bool)),
        tax_rate=draw(rates),
        sales_account=draw(st.none() | st.sampled_from(INCOME)),
        track_stock=draw(st.booleans()),
        active=draw(st.booleans()),
    )


@st.composite
def document_lines(draw: st.DrawFn, *, sales: bool) -> tuple[DocumentLine, ...]:
    count = draw(st.integers(1, 4))
    lines = []
    for number in range(1, count + 1):
        quantity = Decimal(draw(st.integers(1, 50)))
        price = draw(st.decimals(min_value=0, max_value=5_000, places=2, allow_nan=False))
        rate = draw(rates)
        net = round_money(quantity * price)
        lines.append(
            DocumentLine(
                line_no=number,
                description=draw(st.just("") | words(30) | words(120)),
                product_key=draw(st.none() | st.sampled_from(SEEDED_ITEMS)) if sales else None,
                quantity=quantity,
                unit_price=price,
                net_amount=net,
                tax_rate=rate,
                tax_amount=round_money(net * rate / 100),
                gl_account=draw(st.sampled_from(INCOME if sales else EXPENSE)),
            )
        )
    return tuple(lines)


def totals(lines: tuple[DocumentLine, ...]) -> dict[str, Decimal]:
    net = sum((line.net_amount for line in lines), Decimal(0))
    tax = sum((line.tax_amount for line in lines), Decimal(0))
    return {"net_amount": net, "tax_amount": tax, "gross_amount": net + tax}


@st.composite
def document_fields(draw: st.DrawFn, *, sales: bool) -> dict[str, Any]:
    """What A/R and A/P invoices share: dates in open periods, a reference, the lines and
    their totals."""
    issued = draw(open_dates)
    lines = draw(document_lines(sales=sales))
    return {
        "issue_date": issued,
        "due_date": issued + timedelta(days=draw(st.integers(0, 90))),
        "reference": draw(optional(words(30))),
        "lines": lines,
        **totals(lines),
    }


@st.composite
def sales_invoices(draw: st.DrawFn) -> SalesInvoice:
    return SalesInvoice.build(
        system="sage100",
        key=f"{next(invoice_numbers):07d}",
        customer_key=draw(st.sampled_from(SEEDED_CUSTOMERS)),
        **draw(document_fields(sales=True)),
    )


@st.composite
def purchase_invoices(draw: st.DrawFn) -> PurchaseInvoice:
    supplier = draw(st.sampled_from(SEEDED_VENDORS))
    return PurchaseInvoice.build(
        system="sage100",
        key=f"{supplier}|AP{next(invoice_numbers)}",
        supplier_key=supplier,
        **draw(document_fields(sales=False)),
    )


def read_back(reader: Sage100Reader, record: CanonicalRecord) -> CanonicalRecord:
    found = [r for r in reader.read_all(record.entity) if r.key == record.key]
    assert len(found) == 1, f"{record.entity} {record.key} not read back"
    return found[0]


RECORDS: dict[str, st.SearchStrategy[CanonicalRecord]] = {
    "customers": customers(),
    "vendors": suppliers(),
    "items": products(),
    "ar_invoices": sales_invoices(),
    "ap_invoices": purchase_invoices(),
}


@pytest.mark.parametrize("kind", RECORDS)
@EXAMPLES
@given(data=st.data())
def test_records_survive_the_round_trip(
    kind: str, data: st.DataObject, writer: Sage100Writer, reader: Sage100Reader
) -> None:
    record = data.draw(RECORDS[kind], label=kind)
    assert writer.write(record) == record.key
    assert read_back(reader, record) == record
