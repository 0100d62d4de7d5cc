"""Supplier payments through the connector against the emulator: one written as a manual
check (AP_ManualCheck_bus) reads back over ODBC as the payment we started from and pays
the A/P invoice down; Sage's refusals are permanent `SageRefused` naming the field, a
check in use is a transient lock."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from canonical import Allocation, Payment, PurchaseInvoice, TransientError, ValidationFailed
from connectors.sage100 import Sage100Reader, Sage100Writer, SageRecordLocked, SageRefused
from connectors.sage100.keys import check_key
from ledgerbridge.sage100_session import SandboxBOISession


def open_invoice(reader: Sage100Reader, above: Decimal = Decimal(20)) -> PurchaseInvoice:
    invoices = [
        i
        for i in reader.read_all("purchase_invoice")
        if isinstance(i, PurchaseInvoice) and i.amount_open > above
    ]
    return min(invoices, key=lambda i: i.key)


def check_of(invoice: PurchaseInvoice, amount: Decimal, number: str = "RT1") -> Payment:
    return Payment.build(
        system="sage100",
        key=check_key("A", number, "000000"),
        kind="supplier_payment",
        counterparty_key=invoice.supplier_key,
        payment_date=date(2026, 11, 2),
        amount=amount,
        bank_account="A",
        reference=number,
        allocations=(Allocation(invoice_key=invoice.key, amount=amount),),
    )


def test_a_supplier_payment_survives_the_round_trip_and_pays_the_invoice(
    writer: Sage100Writer, reader: Sage100Reader
) -> None:
    invoice = open_invoice(reader)
    payment = check_of(invoice, Decimal("12.34"))
    assert writer.write(payment) == payment.key
    [read] = [p for p in reader.read_all("supplier_payment") if p.key == payment.key]
    assert read == payment
    [after] = [i for i in reader.read_all("purchase_invoice") if i.key == invoice.key]
    assert isinstance(after, PurchaseInvoice)
    assert after.amount_open == invoice.amount_open - Decimal("12.34")
    assert payment.key in reader.key_set("supplier_payment")
    assert payment.key not in reader.key_set("payment")


def test_paying_more_than_is_open_is_refused_naming_the_amount(
    writer: Sage100Writer, reader: Sage100Reader
) -> None:
    invoice = open_invoice(reader)
    with pytest.raises(SageRefused) as refused:
        writer.write(check_of(invoice, invoice.amount_open + Decimal("0.01")))
    assert refused.value.field == "AmountPaid"
    assert refused.value.bus_object == "AP_ManualCheck_bus"
    assert refused.value.remote_message == (
        f"The AmountPaid {invoice.amount_open + Decimal('0.01'):.2f} exceeds the balance"
        f" {invoice.amount_open:.2f} of invoice {invoice.key.rpartition('|')[2]}."
    )


def test_a_check_number_used_before_is_refused(
    writer: Sage100Writer, reader: Sage100Reader
) -> None:
    invoice = open_invoice(reader)
    writer.write(check_of(invoice, Decimal(1)))
    with pytest.raises(SageRefused) as refused:
        writer.write(check_of(invoice, Decimal(2)))
    assert refused.value.field == "CheckNo"
    assert "already been used for bank code A" in (refused.value.remote_message or "")


def test_an_invoice_of_another_vendor_is_refused_before_any_call(
    writer: Sage100Writer, reader: Sage100Reader
) -> None:
    invoice = open_invoice(reader)
    payment = check_of(invoice, Decimal(1)).model_copy(update={"counterparty_key": "01-ZZZ9999"})
    with pytest.raises(ValidationFailed) as refused:
        writer.write(payment)
    assert not isinstance(refused.value, SageRefused)  # refused here, not by Sage
    assert refused.value.field == "allocations.invoice_key"


def test_a_check_in_use_by_another_user_is_a_transient_lock(
    writer: Sage100Writer, reader: Sage100Reader, company_db: object
) -> None:
    other = SandboxBOISession(str(company_db), user="clerk")
    held = other.open_object("AP_ManualCheck_bus")
    held.nSetKeyValue("BankCode$", "A")
    held.nSetKeyValue("CheckNo$", "RT1")
    assert held.nSetKey() == 2
    try:
        with pytest.raises(SageRecordLocked) as locked:
            writer.write(check_of(open_invoice(reader), Decimal(1)))
        assert isinstance(locked.value, TransientError)
    finally:
        held.nClear()
        other.close()
