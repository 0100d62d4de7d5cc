"""Canonical records: validated on construction, immutable, stable hashes, JSON round-trip."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from canonical import (
    Customer,
    DocumentLine,
    JournalEntry,
    JournalLine,
    Payment,
    SalesInvoice,
    ValidationFailed,
    content_hash,
    parse_record,
    record_type,
)


def invoice(**changes: object) -> SalesInvoice:
    fields: dict[str, object] = {
        "system": "kashflow",
        "key": "10001",
        "customer_key": "ACME0001",
        "issue_date": "2026-10-01",
        "due_date": "2026-10-31",
        "lines": [
            {"line_no": 1, "description": "Oak table", "quantity": 2, "unit_price": "50.00",
             "net_amount": "100.00", "tax_rate": 20, "tax_amount": "20.00"},
        ],
        "net_amount": "100.00",
        "tax_amount": "20.00",
        "gross_amount": "120.00",
    }  # fmt: skip
    fields.update(changes)
    return SalesInvoice.build(**fields)


def test_errors_name_the_record_and_the_field() -> None:
    with pytest.raises(ValidationFailed) as raised:
        invoice(net_amount="12,50")

    error = raised.value
    assert (error.system, error.entity, error.key, error.field) == (
        "kashflow",
        "sales_invoice",
        "10001",
        "net_amount",
    )
    assert "not a number" in str(error)
    assert str(error).startswith("kashflow/sales_invoice/10001 field net_amount")


def test_totals_must_add_up() -> None:
    with pytest.raises(ValidationFailed, match=r"gross_amount 121\.00 is not net_amount"):
        invoice(gross_amount="121.00")
    with pytest.raises(ValidationFailed, match="not the sum of the lines"):
        invoice(net_amount="90.00", gross_amount="110.00")


def test_due_date_before_issue_date_is_refused() -> None:
    with pytest.raises(ValidationFailed, match="due_date"):
        invoice(due_date="2026-09-01")


def test_currency_is_an_iso_code() -> None:
    assert invoice(currency="gbp").currency == "GBP"
    with pytest.raises(ValidationFailed) as raised:
        invoice(currency="pounds")
    assert raised.value.field == "currency"


@pytest.mark.parametrize(
    "build",
    [
        lambda currency: Customer.build(
            system="sage100", key="01-ACME", name="Acme", currency=currency
        ),
        lambda currency: Payment.build(
            system="kashflow",
            key="P1",
            kind="receipt",
            payment_date="2026-10-05",
            amount="10.00",
            currency=currency,
        ),
    ],
    ids=["customer", "payment"],
)
def test_every_record_with_a_currency_reads_it_as_an_iso_code(
    build: Callable[[str], Customer | Payment],
) -> None:
    assert build(" usd ").currency == "USD"
    for bad in ("US", "US1", "EURO"):
        with pytest.raises(ValidationFailed, match="three-letter ISO code") as raised:
            build(bad)
        assert raised.value.field == "currency"


def test_journal_must_balance_and_lines_are_one_sided() -> None:
    with pytest.raises(ValidationFailed, match="out of balance"):
        JournalEntry.build(
            system="sage100", key="J1", posting_date="2026-10-01",
            lines=[{"account": "1200", "debit": 10}, {"account": "4000", "credit": 9}],
        )  # fmt: skip
    with pytest.raises(ValidationError, match="not both"):
        JournalLine(account="1200", debit=Decimal(1), credit=Decimal(1))


def test_allocations_cannot_exceed_the_payment() -> None:
    with pytest.raises(ValidationFailed, match="exceed"):
        Payment.build(
            system="kashflow", key="R1", kind="receipt", payment_date="2026-10-01", amount=10,
            allocations=[{"invoice_key": "1", "amount": 6}, {"invoice_key": "2", "amount": 5}],
        )  # fmt: skip


def test_records_are_immutable() -> None:
    record = invoice()
    with pytest.raises(ValidationError):
        setattr(record, "net_amount", Decimal(0))  # noqa: B010  (frozen: refused at run time)


def test_hash_ignores_number_formatting_and_key_order() -> None:
    a = invoice(net_amount="100.0000", tax_amount=20.0, gross_amount=120)
    b = invoice()

    assert a.content_hash == b.content_hash
    assert content_hash({"a": 1, "b": [1, 2]}) == content_hash({"b": [1, 2], "a": 1})
    assert invoice(reference="PO1").content_hash != b.content_hash


def test_hash_ignores_identity_but_not_content() -> None:
    kashflow = Customer(system="kashflow", key="ACME", name="Acme Ltd")
    sage = Customer(system="sage100", key="01-ACME", name="Acme Ltd")

    assert kashflow.content_hash == sage.content_hash


def test_unknown_entity_is_a_clear_error() -> None:
    with pytest.raises(ValidationFailed, match="unknown entity 'invoice'"):
        record_type("invoice")


money = st.decimals(min_value=Decimal("-1000000"), max_value=Decimal("1000000"), places=2)
names = st.text(min_size=1, max_size=40).map(str.strip).filter(bool)


@st.composite
def sales_invoices(draw: st.DrawFn) -> SalesInvoice:
    count = draw(st.integers(min_value=0, max_value=4))
    lines = []
    for no in range(1, count + 1):
        net, tax = draw(money), draw(money)
        lines.append(
            DocumentLine(line_no=no, description=draw(names), net_amount=net, tax_amount=tax,
                         quantity=draw(st.decimals(min_value=0, max_value=1000, places=3)),
                         tax_rate=draw(st.sampled_from([Decimal(0), Decimal(5), Decimal(20)])))
        )  # fmt: skip
    net = sum((line.net_amount for line in lines), Decimal(0)) if lines else draw(money)
    tax = sum((line.tax_amount for line in lines), Decimal(0)) if lines else draw(money)
    issued = draw(st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 1, 1)))
    return SalesInvoice(
        system=draw(st.sampled_from(["kashflow", "sage100"])),
        key=draw(st.from_regex(r"[A-Z0-9]{1,10}", fullmatch=True)),
        customer_key=draw(names),
        issue_date=issued,
        due_date=issued + timedelta(days=draw(st.integers(0, 120))),
        reference=draw(st.none() | names),
        lines=tuple(lines),
        net_amount=net,
        tax_amount=tax,
        gross_amount=net + tax,
    )


@given(sales_invoices())
def test_json_round_trip_is_identity(record: SalesInvoice) -> None:
    again = SalesInvoice.from_json(record.to_json())

    assert again == record
    assert again.content_hash == record.content_hash


@given(sales_invoices())
def test_ledger_payload_round_trip_is_identity(record: SalesInvoice) -> None:
    again = parse_record(record.system, record.entity, record.key, record.payload())

    assert again == record
