"""Round trip, as a property: a canonical record written to KashFlow through the client
and read back is the same record — VAT amounts and rounding, dates, currencies and
non-ASCII names included. And KashFlow's date forms are all read."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from canonical import (
    Allocation,
    Customer,
    DocumentLine,
    Payment,
    PurchaseInvoice,
    SalesInvoice,
    Supplier,
    round_money,
)
from connectors.kashflow import KashFlowClient, parse_date, parse_datetime

EXAMPLES = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
numbers = itertools.count(700_000)
codes = itertools.count(1)

# Letters from several scripts, with spaces and punctuation inside but never at the ends.
letters = st.characters(
    whitelist_categories=("Lu", "Ll", "Nd"), max_codepoint=0x30FF, blacklist_characters="\x00"
)
names = st.builds(
    lambda head, middle, tail: f"{head}{middle}{tail}",
    letters,
    st.text(st.one_of(letters, st.sampled_from(" &'.-/")), max_size=60),
    letters,
)
optional_text = st.one_of(st.none(), names)
money = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("99999.99"), places=2)
days = st.dates(min_value=date(2000, 1, 1), max_value=date(2035, 12, 31))
currencies = st.sampled_from(["GBP", "EUR", "USD"])


@st.composite
def parties(draw: st.DrawFn, kind: type[Customer] | type[Supplier]) -> Customer | Supplier:
    fields: dict[str, Any] = {
        "system": "kashflow",
        "key": (code := f"RT{next(codes):05d}"),
        "party_number": code,
        "name": draw(names),
        "email": draw(st.one_of(st.none(), st.emails())),
        "phone": draw(st.one_of(st.none(), st.from_regex(r"\A0[0-9]{3} [0-9]{6}\Z"))),
        "address_lines": tuple(draw(st.lists(names, max_size=2))),
        "city": draw(optional_text),
        "region": draw(optional_text),
        "postcode": draw(st.one_of(st.none(), st.from_regex(r"\A[A-Z]{1,2}[0-9] [0-9][A-Z]{2}\Z"))),
        "country": draw(st.one_of(st.none(), st.sampled_from(["GB", "IE", "DE", "PL"]))),
        "tax_number": draw(st.one_of(st.none(), st.from_regex(r"\AGB[0-9]{9}\Z"))),
        "currency": draw(currencies),
        "payment_terms_days": draw(st.integers(0, 120)),
        "active": draw(st.booleans()),
    }
    if kind is Customer:
        fields["credit_limit"] = draw(st.one_of(st.none(), money))
    return kind(**fields)


@st.composite
def lines(draw: st.DrawFn) -> tuple[DocumentLine, ...]:
    result = []
    for number in range(1, draw(st.integers(1, 4)) + 1):
        quantity = draw(st.decimals(min_value=Decimal("0.001"), max_value=Decimal(500), places=3))
        price = draw(st.decimals(min_value=Decimal("0.0001"), max_value=Decimal(5000), places=4))
        rate = draw(st.sampled_from([Decimal(0), Decimal(5), Decimal(20), Decimal("17.5")]))
        net = round_money(quantity * price)
        result.append(
            DocumentLine(
                line_no=number, description=draw(st.one_of(st.just(""), names)),
                quantity=quantity, unit_price=price, net_amount=net, tax_rate=rate,
                tax_amount=round_money(net * rate / 100),
                gl_account=draw(st.sampled_from([None, "4000", "4010", "7500"])),
            )
        )  # fmt: skip
    return tuple(result)


def document_fields(draw: st.DrawFn) -> dict[str, object]:
    document_lines = draw(lines())
    net = sum((line.net_amount for line in document_lines), Decimal(0))
    tax = sum((line.tax_amount for line in document_lines), Decimal(0))
    issued = draw(days)
    return {
        "system": "kashflow",
        "key": str(next(numbers)),
        "issue_date": issued,
        "due_date": issued + timedelta(days=draw(st.integers(0, 90))),
        "currency": draw(currencies),
        "reference": draw(optional_text),
        "lines": document_lines,
        "net_amount": net,
        "tax_amount": tax,
        "gross_amount": net + tax,
    }


@st.composite
def sales_invoices(draw: st.DrawFn) -> SalesInvoice:
    return SalesInvoice(**document_fields(draw), customer_key="ACME0019")  # type: ignore[arg-type]


@st.composite
def purchase_invoices(draw: st.DrawFn) -> PurchaseInvoice:
    return PurchaseInvoice(**document_fields(draw), supplier_key="RTSUPP")  # type: ignore[arg-type]


@EXAMPLES
@given(customer=parties(Customer))
def test_customers_round_trip(client: KashFlowClient, customer: Customer) -> None:
    assert client.customers.create_record(customer) == customer
    assert client.customers.read(customer.key) == customer


@EXAMPLES
@given(supplier=parties(Supplier))
def test_suppliers_round_trip(client: KashFlowClient, supplier: Supplier) -> None:
    client.suppliers.create_record(supplier)
    assert client.suppliers.read(supplier.key) == supplier


@EXAMPLES
@given(invoice=sales_invoices())
def test_sales_invoices_round_trip(client: KashFlowClient, invoice: SalesInvoice) -> None:
    client.invoices.create_record(invoice)
    assert client.invoices.read(invoice.key) == invoice


@EXAMPLES
@given(purchase=purchase_invoices())
def test_purchase_invoices_round_trip(client: KashFlowClient, purchase: PurchaseInvoice) -> None:
    if client.suppliers.find("RTSUPP") is None:
        client.suppliers.create_record(
            Supplier(system="kashflow", key="RTSUPP", name="Round Trip Supplies")
        )
    client.purchases.create_record(purchase)
    assert client.purchases.read(purchase.key) == purchase


@EXAMPLES
@given(
    paid_on=days,
    amount=money,
    method=st.sampled_from(["BACS", "Cheque", "Card", "Cash", "Direct Debit"]),
    account=st.sampled_from(["1200", "1210"]),
    reference=optional_text,
)
def test_payments_round_trip_apart_from_the_key_kashflow_gives(
    client: KashFlowClient,
    paid_on: date,
    amount: Decimal,
    method: str,
    account: str,
    reference: str | None,
) -> None:
    number = "10001"
    payment = Payment(
        system="kashflow", key="OURS", kind="receipt", counterparty_key="JUNI0030",
        payment_date=paid_on, amount=amount, method=method, bank_account=account,
        reference=reference, allocations=(Allocation(invoice_key=number, amount=amount),),
    )  # fmt: skip
    made = client.payments.record(payment)
    assert made, "the payment is found again by its reference, date and amount"
    assert made[-1].model_dump(exclude={"key"}) == payment.model_dump(exclude={"key"})
    for line in client.invoices.payment_lines(number):
        client.invoices.delete_payment_line(number, line["Id"])


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("2013-06-07 12:00:00", datetime(2013, 6, 7, 12)),
        ("2013-06-07T12:00:00", datetime(2013, 6, 7, 12)),
        ("2013-06-07T12:00:00.1234567", datetime(2013, 6, 7, 12, 0, 0, 123456)),
        ("2013-06-07T12:00:00Z", datetime(2013, 6, 7, 12, tzinfo=UTC)),
        (
            "2013-06-07 12:00:00+01:00",
            datetime(2013, 6, 7, 12, tzinfo=timezone(timedelta(hours=1))),
        ),
        (
            "2013-06-07T23:30:00-0500",
            datetime(2013, 6, 7, 23, 30, tzinfo=timezone(-timedelta(hours=5))),
        ),
        ("/Date(1370606400000)/", datetime(2013, 6, 7, 12, tzinfo=UTC)),
        ("2013-06-07", datetime(2013, 6, 7)),
    ],
)
def test_dates_are_read_with_and_without_a_zone(written: str, expected: datetime) -> None:
    assert parse_datetime(written) == expected


def test_a_zone_does_not_move_a_business_date() -> None:
    assert parse_date("2013-06-07T23:30:00-05:00") == date(2013, 6, 7)
    assert parse_date("2013-06-07T00:30:00+01:00") == date(2013, 6, 7)
    assert parse_date(None) is None and parse_date("") is None
