"""What Sage refuses reaches the caller as a typed error: permanent refusals as
`SageRefused` (a ValidationFailed), a record in use as `SageRecordLocked` and a lost host
as `SageConnectionLost` (both transient), each naming the business object, the key,
the field and Sage's own `sLastErrorMsg`."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from sage100_fixtures import hold_customer

from canonical import (
    Customer,
    DocumentLine,
    JournalEntry,
    JournalLine,
    PermanentError,
    Product,
    PurchaseInvoice,
    SalesInvoice,
    TransientError,
)
from connectors.sage100 import (
    Lookups,
    Sage100Reader,
    Sage100Writer,
    SageConnectionLost,
    SageRecordLocked,
    SageRefused,
)
from ledgerbridge.sage100_session import SandboxBOISession


def sales_invoice(key: str = "700001", **changes: object) -> SalesInvoice:
    fields: dict[str, object] = {
        "system": "sage100",
        "key": key,
        "customer_key": "01-HARB0000",
        "issue_date": date(2026, 11, 2),
        "due_date": date(2026, 11, 16),
        "lines": (
            DocumentLine(
                line_no=1,
                product_key="MIR-00000",
                description="Mirror",
                quantity=Decimal(1),
                unit_price=Decimal(10),
                net_amount=Decimal(10),
                gl_account="4000-00-00",
            ),
        ),
        "net_amount": Decimal(10),
        "gross_amount": Decimal(10),
    }
    return SalesInvoice.build(**(fields | changes))


def purchase_invoice(supplier_key: str, account: str = "7500-00-00") -> PurchaseInvoice:
    return PurchaseInvoice.build(
        system="sage100",
        key=f"{supplier_key}|SUP-1",
        supplier_key=supplier_key,
        issue_date=date(2026, 11, 2),
        lines=(DocumentLine(line_no=1, net_amount=Decimal(5), gl_account=account),),
        net_amount=Decimal(5),
        gross_amount=Decimal(5),
    )


def refusal(excinfo: pytest.ExceptionInfo[SageRefused]) -> tuple[str | None, ...]:
    error = excinfo.value
    return (error.bus_object, error.entity, error.key, error.field, error.remote_message)


def test_an_invoice_for_an_unknown_customer(writer: Sage100Writer) -> None:
    with pytest.raises(SageRefused) as excinfo:
        writer.write(sales_invoice(customer_key="01-NOSUCH"))
    assert refusal(excinfo) == (
        "AR_Invoice_bus",
        "sales_invoice",
        "0700001",
        "CustomerNo",
        "The CustomerNo 01-NOSUCH is not on file.",
    )
    assert isinstance(excinfo.value, PermanentError)
    assert excinfo.value.system == "sage100"


def test_an_invoice_for_an_unknown_vendor(writer: Sage100Writer) -> None:
    with pytest.raises(SageRefused) as excinfo:
        writer.write(purchase_invoice("01-NOSUCH"))
    assert refusal(excinfo) == (
        "AP_Invoice_bus",
        "purchase_invoice",
        "01-NOSUCH|SUP-1",
        "VendorNo",
        "The VendorNo 01-NOSUCH is not on file.",
    )


def test_an_unknown_item(writer: Sage100Writer) -> None:
    line = sales_invoice().lines[0].model_copy(update={"product_key": "NOSUCH-1"})
    with pytest.raises(SageRefused) as excinfo:
        writer.write(sales_invoice(lines=(line,)))
    assert refusal(excinfo)[3:] == ("ItemCode", "The ItemCode NOSUCH-1 is not on file.")


def test_an_inactive_item(writer: Sage100Writer, reader: Sage100Reader) -> None:
    product = next(p for p in reader.read_all("product") if p.key == "STO-00001")
    assert isinstance(product, Product)
    writer.write(product.model_copy(update={"active": False}))
    line = sales_invoice().lines[0].model_copy(update={"product_key": "STO-00001"})
    with pytest.raises(SageRefused) as excinfo:
        writer.write(sales_invoice(lines=(line,)))
    assert refusal(excinfo)[3:] == ("ItemCode", "The ItemCode STO-00001 is inactive.")


def test_an_unknown_gl_account_from_stale_lookups(session: SandboxBOISession) -> None:
    stale = Lookups(accounts={"999999999": "9999-00-00"})
    with pytest.raises(SageRefused) as excinfo:
        Sage100Writer(session, stale).write(purchase_invoice("01-RST0000", "9999-00-00"))
    assert refusal(excinfo)[3:] == ("AccountKey", "The AccountKey 999999999 is not on file.")


def test_an_inactive_gl_account(writer: Sage100Writer, reader: Sage100Reader) -> None:
    bank_charges = next(a for a in reader.read_all("gl_account") if a.key == "7900-00-00")
    writer.write(bank_charges.model_copy(update={"active": False}))
    with pytest.raises(SageRefused) as excinfo:
        writer.write(purchase_invoice("01-RST0000", "7900-00-00"))
    assert refusal(excinfo)[3:] == (
        "AccountKey",
        "The AccountKey 000000022 (7900-00-00) is inactive.",
    )


def test_a_value_too_long(writer: Sage100Writer) -> None:
    customer = Customer.build(
        system="sage100", key="01-LONGNAME", name="N" * 60, payment_terms_days=30
    )
    with pytest.raises(SageRefused) as excinfo:
        writer.write(customer)
    assert refusal(excinfo) == (
        "AR_Customer_bus",
        "customer",
        "01-LONGNAME",
        "CustomerName",
        "The CustomerName is too long: 60 characters, the maximum is 50.",
    )


def test_a_duplicate_invoice_number(writer: Sage100Writer) -> None:
    writer.write(sales_invoice())
    with pytest.raises(SageRefused) as excinfo:
        writer.write(sales_invoice())
    assert refusal(excinfo)[2:] == (
        "0700001",
        "InvoiceNo",
        "The InvoiceNo 0700001 already exists.",
    )


def test_a_posting_to_a_closed_period(writer: Sage100Writer) -> None:
    with pytest.raises(SageRefused) as excinfo:
        writer.write(sales_invoice(issue_date=date(2025, 3, 15), due_date=date(2025, 4, 15)))
    assert refusal(excinfo)[3:] == (
        "InvoiceDate",
        "The InvoiceDate 2025-03-15 is in a closed period (2025-03).",
    )
    entry = JournalEntry.build(
        system="sage100",
        key="accrual-1",
        posting_date=date(2024, 6, 30),
        lines=(
            JournalLine(account="7100-00-00", debit=Decimal(100)),
            JournalLine(account="1200-00-00", credit=Decimal(100)),
        ),
    )
    with pytest.raises(SageRefused) as journal:
        writer.write(entry)
    assert refusal(journal)[0] == "GL_GeneralJournal_bus"
    assert refusal(journal)[3:] == (
        "PostingDate",
        "The PostingDate 2024-06-30 is in a closed period (2024-06).",
    )


def test_a_record_in_use_is_a_transient_lock(
    writer: Sage100Writer, company_db: Path, reader: Sage100Reader
) -> None:
    other, held = hold_customer(company_db)
    customer = next(c for c in reader.read_all("customer") if c.key == "01-HARB0000")
    with pytest.raises(SageRecordLocked) as excinfo:
        writer.write(customer)
    error = excinfo.value
    assert isinstance(error, TransientError)
    assert (error.bus_object, error.key, error.remote_message) == (
        "AR_Customer_bus",
        "01-HARB0000",
        "The record 01-HARB0000 is in use by another user.",
    )
    held.nClear()
    assert writer.write(customer) == "01-HARB0000"
    other.script.close()


def test_a_lost_host_is_a_transient_connection_loss(
    writer: Sage100Writer, session: SandboxBOISession
) -> None:
    session.script.drop_connection()
    with pytest.raises(SageConnectionLost) as excinfo:
        writer.write(sales_invoice())
    assert isinstance(excinfo.value, TransientError)
    assert excinfo.value.bus_object == "AR_Invoice_bus"
    session.script.restore_connection()
    assert writer.write(sales_invoice()) == "0700001"


def test_a_warning_does_not_stop_the_write_and_is_kept(writer: Sage100Writer) -> None:
    assert writer.write(sales_invoice()) == "0700001"  # this customer is over its limit
    assert writer.warnings == [
        "AR_Invoice_bus 0700001: The CustomerNo 01-HARB0000 is over its credit limit"
        " of 1000.00 by 6004.76."
    ]


def test_a_bad_journal_line_is_refused_before_sage_hands_out_a_number(
    writer: Sage100Writer,
) -> None:
    def entry(key: str, account: str) -> JournalEntry:
        return JournalEntry.build(
            system="sage100", key=key, posting_date=date(2026, 11, 2),
            lines=(JournalLine(account=account, debit=Decimal(100)),
                   JournalLine(account="1200-00-00", credit=Decimal(100))),
        )  # fmt: skip

    first = writer.write(entry("accrual-1", "7100-00-00"))
    with pytest.raises(PermanentError) as excinfo:
        writer.write(entry("accrual-2", "9999-99-99"))
    assert not isinstance(excinfo.value, SageRefused)  # ours, not Sage's
    assert (excinfo.value.key, excinfo.value.field) == ("accrual-2", "lines.account")
    second = writer.write(entry("accrual-3", "7100-00-00"))
    assert int(second.removeprefix("GJ-")) == int(first.removeprefix("GJ-")) + 1
