"""Incremental reads by (DateUpdated, TimeUpdated): after N writes a read from the last
watermark returns exactly those N records; records stamped in the same instant as the
watermark, or across midnight, are never skipped (they may come back: at least once);
deletes show in the key set; the connection string comes from configuration."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from canonical import Allocation, Customer, DocumentLine, Payment, SalesInvoice
from cdc.sage100 import Watermark, read_changes
from connectors.sage100 import Sage100Reader, Sage100Writer
from ledgerbridge.config import load_settings


def customer(number: int) -> Customer:
    return Customer.build(
        system="sage100", key=f"01-NEW{number:04d}", name=f"New customer {number}"
    )


def invoice(number: int) -> SalesInvoice:
    line = DocumentLine(
        line_no=1,
        product_key="MIR-00000",
        description="Mirror",
        unit_price=Decimal(40),
        net_amount=Decimal(40),
        gl_account="4000-00-00",
    )
    return SalesInvoice.build(
        system="sage100",
        key=f"{900_000 + number:07d}",
        customer_key="01-CEDA0002",
        issue_date=date(2026, 11, 2),
        due_date=date(2026, 12, 2),
        lines=(line,),
        net_amount=Decimal(40),
        gross_amount=Decimal(40),
    )


def keys(records: list[Any]) -> set[str]:
    return {record.key for record in records}


@pytest.fixture
def start(reader: Sage100Reader) -> dict[str, Watermark]:
    """Where each entity stands after a first, full read of the seeded company."""
    marks = {}
    for entity in ("customer", "sales_invoice", "payment"):
        batch = read_changes(reader, entity, None)
        assert batch.records and batch.watermark is not None
        marks[entity] = batch.watermark
    return marks


@pytest.mark.parametrize("count", [1, 5, 12])
def test_after_n_writes_a_read_returns_exactly_those_n(
    count: int, writer: Sage100Writer, reader: Sage100Reader, clock: Any, start: Any
) -> None:
    written = set()
    for number in range(count):
        clock.advance(seconds=1)
        written.add(writer.write(customer(number)))
    batch = read_changes(reader, "customer", start["customer"])
    assert keys(batch.records) == written
    assert batch.watermark is not None
    assert clock.now - timedelta(seconds=0.04) <= batch.watermark.updated_at <= clock.now


def test_invoices_written_are_the_invoices_read(
    writer: Sage100Writer, reader: Sage100Reader, clock: Any, start: Any
) -> None:
    written = {writer.write(invoice(n)) for n in range(3)}
    batch = read_changes(reader, "sales_invoice", start["sales_invoice"])
    assert keys(batch.records) == written == {"0900000", "0900001", "0900002"}


def test_writes_in_the_same_second_are_never_skipped(
    writer: Sage100Writer, reader: Sage100Reader, clock: Any, start: Any
) -> None:
    writer.write(customer(1))
    writer.write(customer(2))
    first = read_changes(reader, "customer", start["customer"])
    assert keys(first.records) == {"01-NEW0001", "01-NEW0002"}
    writer.write(customer(3))  # the same instant as the watermark
    second = read_changes(reader, "customer", first.watermark)
    assert keys(second.records) == {"01-NEW0003"}
    writer.write(customer(1).model_copy(update={"name": "Renamed in the same instant"}))
    third = read_changes(reader, "customer", second.watermark)
    assert [r.name for r in third.records if isinstance(r, Customer) and r.key == "01-NEW0001"] == [
        "Renamed in the same instant"
    ]


def test_writes_across_midnight_are_all_read(
    writer: Sage100Writer, reader: Sage100Reader, clock: Any, start: Any
) -> None:
    clock.now = datetime(2026, 11, 2, 23, 59, 59, 500_000)
    writer.write(customer(1))
    clock.now = datetime(2026, 11, 3, 0, 0, 0, 500_000)
    writer.write(customer(2))
    batch = read_changes(reader, "customer", start["customer"])
    assert keys(batch.records) == {"01-NEW0001", "01-NEW0002"}
    assert batch.watermark is not None and batch.watermark.updated_at.date() == date(2026, 11, 3)

    clock.now = datetime(2026, 11, 3, 0, 1, 0)
    writer.write(customer(3))
    later = read_changes(reader, "customer", batch.watermark)
    assert keys(later.records) == {"01-NEW0003"}

    # a write stamped before midnight by a lagging clock, after the read at 00:01:
    # the overlap window reaches back over midnight and finds it
    clock.now = datetime(2026, 11, 2, 23, 59, 59, 900_000)
    writer.write(customer(4))
    last = read_changes(reader, "customer", later.watermark)
    assert keys(last.records) == {"01-NEW0004"}


def test_a_late_stamp_inside_the_overlap_is_caught(
    writer: Sage100Writer, reader: Sage100Reader, clock: Any, start: Any
) -> None:
    clock.now = datetime(2026, 11, 3, 0, 0, 30)
    writer.write(customer(1))
    batch = read_changes(reader, "customer", start["customer"])
    clock.now = datetime(2026, 11, 2, 23, 59, 50)  # a writer whose clock lags
    writer.write(customer(2))
    assert "01-NEW0002" in keys(read_changes(reader, "customer", batch.watermark).records)


def test_nothing_changed_returns_nothing_and_keeps_the_watermark(
    reader: Sage100Reader, start: Any
) -> None:
    batch = read_changes(reader, "customer", start["customer"])
    assert batch.records == []
    assert batch.watermark == start["customer"]


def test_a_lost_watermark_window_reads_again_rather_than_miss(
    writer: Sage100Writer, reader: Sage100Reader, start: Any
) -> None:
    writer.write(customer(1))
    first = read_changes(reader, "customer", start["customer"])
    assert first.watermark is not None
    forgetful = Watermark(first.watermark.updated_at)  # no record of what was delivered
    assert keys(read_changes(reader, "customer", forgetful).records) == {"01-NEW0001"}


def test_a_receipt_changes_the_invoice_it_pays(
    writer: Sage100Writer, reader: Sage100Reader, clock: Any, start: Any
) -> None:
    writer.write(invoice(1))
    after_invoice = read_changes(reader, "sales_invoice", start["sales_invoice"])
    clock.advance(minutes=5)
    receipt = Payment.build(
        system="sage100",
        key="R900001",
        kind="receipt",
        counterparty_key="01-CEDA0002",
        payment_date=date(2026, 11, 2),
        amount=Decimal(15),
        method="Cheque",
        reference="CHQ 4411",
        allocations=(Allocation(invoice_key="0900001", amount=Decimal(15)),),
    )
    receipt_key = writer.write(receipt)
    clock.advance(minutes=5)
    changed = read_changes(reader, "sales_invoice", after_invoice.watermark)
    paid = next(r for r in changed.records if r.key == "0900001")
    assert isinstance(paid, SalesInvoice) and paid.amount_paid == Decimal(15)
    payments = read_changes(reader, "payment", start["payment"])
    assert keys(payments.records) == {receipt_key}
    (payment,) = payments.records
    assert isinstance(payment, Payment)
    assert (payment.amount, payment.reference, payment.method) == (
        Decimal(15),
        "CHQ 4411",
        "CHECK",
    )
    assert payment.allocations == (Allocation(invoice_key="0900001", amount=Decimal(15)),)


def test_deletes_show_in_the_key_set(writer: Sage100Writer, reader: Sage100Reader) -> None:
    before = reader.key_set("customer")
    writer.delete_customer("01-HARB0000")
    after = reader.key_set("customer")
    assert before - after == {"01-HARB0000"}
    assert after < before


def test_small_batches_read_the_same_records(company_db: Path, reader: Sage100Reader) -> None:
    with Sage100Reader(f"DRIVER=SQLite3;Database={company_db}", batch_size=7) as small:
        for entity in ("customer", "sales_invoice", "purchase_invoice", "stock_level"):
            assert list(small.read_all(entity)) == list(reader.read_all(entity))


def test_the_connection_string_comes_from_configuration(
    company_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(
        "LEDGERBRIDGE_SAGE100__ODBC_CONNECTION_STRING", f"DRIVER=SQLite3;Database={company_db}"
    )
    monkeypatch.setenv("LEDGERBRIDGE_SAGE100__OVERLAP_SECONDS", "300")
    settings = load_settings()
    with Sage100Reader.from_settings(settings.sage100) as configured:
        assert configured.overlap == timedelta(seconds=300)
        assert "01-HARB0000" in configured.key_set("customer")


def test_a_watermark_is_stored_as_text() -> None:
    mark = Watermark(datetime(2026, 11, 2, 13, 30, 0, 36_000))
    assert Watermark.from_text(mark.to_text()) == mark
