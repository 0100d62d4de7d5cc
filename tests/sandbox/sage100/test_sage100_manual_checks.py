"""A/P manual checks through the BOI emulator (`AP_ManualCheck_bus`): a check posts into
check history, pays down the open invoice and the vendor's balance, stamps what it
touched, and every refusal reads as Sage's would. Effects are read back over ODBC."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

Query = Callable[..., list[dict[str, Any]]]
NewObject = Callable[[str], Any]


def money(value: Any) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.01"))


@pytest.fixture
def open_invoice(query: Query) -> dict[str, Any]:
    """An A/P invoice of the seeded company with more than 10 open."""
    return query(
        "SELECT APDivisionNo, VendorNo, InvoiceNo, Balance FROM AP_OpenInvoice"
        " WHERE Balance > 10 ORDER BY VendorNo, InvoiceNo"
    )[0]


def new_check(
    new_object: NewObject, vendor_no: str, check_no: str = "M1001", bank: str = "A"
) -> tuple[Any, int]:
    check = new_object("AP_ManualCheck_bus")
    assert check.nSetKeyValue("BankCode$", bank) == 1
    assert check.nSetKeyValue("CheckNo$", check_no) == 1
    status = check.nSetKey()
    if status == 2:
        assert check.nSetValue("APDivisionNo$", "01") == 1
        assert check.nSetValue("VendorNo$", vendor_no) == 1, check.sLastErrorMsg
        assert check.nSetValue("CheckDate$", "20261102") == 1
    return check, int(status)


def pay(check: Any, invoice_no: str, amount: Any) -> int:
    assert check.oLines.nAddLine() == 1
    status = check.oLines.nSetValue("InvoiceNo$", invoice_no)
    if status != 1:
        return int(status)
    status = check.oLines.nSetValue("AmountPaid", amount)
    if status != 1:
        return int(status)
    return int(check.oLines.nWrite())


def test_a_manual_check_posts_to_history_and_pays_the_invoice_down(
    new_object: NewObject, query: Query, open_invoice: dict[str, Any]
) -> None:
    vendor_no, invoice_no = open_invoice["VendorNo"], open_invoice["InvoiceNo"]
    [vendor_before] = query("SELECT BalanceDue FROM AP_Vendor WHERE VendorNo = ?", vendor_no)
    check, status = new_check(new_object, vendor_no)
    assert status == 2
    assert check.nSetValue("CheckComment$", "KashFlow P77") == 1
    assert pay(check, invoice_no, 10) == 1, check.sLastErrorMsg
    assert check.nWrite() == 1, check.sLastErrorMsg

    [header] = query("SELECT * FROM AP_CheckHistoryHeader WHERE CheckNo = 'M1001'")
    assert (header["BankCode"], header["CheckSeqNo"], header["VendorNo"]) == (
        "A",
        "000000",
        vendor_no,
    )
    assert money(header["CheckAmt"]) == Decimal("10.00")
    assert header["CheckDate"] == header["TransactionDate"] == date(2026, 11, 2)
    assert header["CheckComment"] == "KashFlow P77"
    assert header["DateUpdated"] == date(2026, 11, 2) and header["TimeUpdated"] == "13.50000"
    [detail] = query("SELECT * FROM AP_CheckHistoryDetail WHERE CheckNo = 'M1001'")
    assert (detail["InvoiceNo"], money(detail["AmountPaid"])) == (invoice_no, Decimal("10.00"))
    [opened] = query(
        "SELECT Balance, CheckNo, DateUpdated, TimeUpdated FROM AP_OpenInvoice"
        " WHERE VendorNo = ? AND InvoiceNo = ?",
        vendor_no,
        invoice_no,
    )
    assert money(opened["Balance"]) == money(open_invoice["Balance"]) - 10
    assert opened["CheckNo"] == "M1001" and opened["TimeUpdated"] == "13.50000"
    [vendor] = query(
        "SELECT BalanceDue, LastPaymentDate, TimeUpdated FROM AP_Vendor WHERE VendorNo = ?",
        vendor_no,
    )
    assert money(vendor["BalanceDue"]) == money(vendor_before["BalanceDue"]) - 10
    assert vendor["LastPaymentDate"] == date(2026, 11, 2)
    assert vendor["TimeUpdated"] == "13.50000"


def test_paying_the_whole_balance_leaves_the_invoice_at_zero(
    new_object: NewObject, query: Query, open_invoice: dict[str, Any]
) -> None:
    check, _ = new_check(new_object, open_invoice["VendorNo"])
    assert pay(check, open_invoice["InvoiceNo"], open_invoice["Balance"]) == 1
    assert check.nWrite() == 1, check.sLastErrorMsg
    [opened] = query(
        "SELECT Balance FROM AP_OpenInvoice WHERE VendorNo = ? AND InvoiceNo = ?",
        open_invoice["VendorNo"],
        open_invoice["InvoiceNo"],
    )
    assert money(opened["Balance"]) == Decimal("0.00")
    again, _ = new_check(new_object, open_invoice["VendorNo"], "M1002")
    assert pay(again, open_invoice["InvoiceNo"], "0.01") == 1
    assert again.nWrite() == 0
    assert again.sLastErrorMsg == (
        f"The AmountPaid 0.01 exceeds the balance 0.00 of invoice {open_invoice['InvoiceNo']}."
    )


def test_an_ap_invoice_raises_the_vendor_balance(new_object: NewObject, query: Query) -> None:
    [vendor] = query("SELECT VendorNo, BalanceDue FROM AP_Vendor ORDER BY VendorNo LIMIT 1")
    [account] = query("SELECT AccountKey FROM GL_Account WHERE Account LIKE '5%' LIMIT 1")
    invoice = new_object("AP_Invoice_bus")
    invoice.nSetKeyValue("APDivisionNo$", "01")
    invoice.nSetKeyValue("VendorNo$", vendor["VendorNo"])
    invoice.nSetKeyValue("InvoiceNo$", "BAL-1")
    assert invoice.nSetKey() == 2
    assert invoice.nSetValue("InvoiceDate$", "20261102") == 1
    assert invoice.oLines.nAddLine() == 1
    assert invoice.oLines.nSetValue("AccountKey$", account["AccountKey"]) == 1
    assert invoice.oLines.nSetValue("UnitCost", 25) == 1
    assert invoice.oLines.nWrite() == 1
    assert invoice.nWrite() == 1, invoice.sLastErrorMsg
    [after] = query("SELECT BalanceDue FROM AP_Vendor WHERE VendorNo = ?", vendor["VendorNo"])
    assert money(after["BalanceDue"]) == money(vendor["BalanceDue"]) + 25


def test_an_unknown_vendor_is_refused(new_object: NewObject) -> None:
    check = new_object("AP_ManualCheck_bus")
    check.nSetKeyValue("BankCode$", "A")
    check.nSetKeyValue("CheckNo$", "M1001")
    assert check.nSetKey() == 2
    assert check.nSetValue("VendorNo$", "NOSUCH") == 0
    assert check.sLastErrorMsg == "The VendorNo 01-NOSUCH is not on file."


def test_an_invoice_that_is_not_open_for_the_vendor_is_refused(
    new_object: NewObject, open_invoice: dict[str, Any]
) -> None:
    check, _ = new_check(new_object, open_invoice["VendorNo"])
    assert pay(check, "NOSUCH-1", 10) == 0
    assert check.sLastErrorMsg == (
        f"The InvoiceNo NOSUCH-1 is not an open invoice of vendor 01-{open_invoice['VendorNo']}."
    )


def test_paying_more_than_the_balance_is_refused_and_nothing_posts(
    new_object: NewObject, query: Query, open_invoice: dict[str, Any]
) -> None:
    check, _ = new_check(new_object, open_invoice["VendorNo"])
    over = money(open_invoice["Balance"]) + Decimal("0.01")
    assert pay(check, open_invoice["InvoiceNo"], over) == 1
    assert check.nWrite() == 0
    assert check.sLastErrorMsg == (
        f"The AmountPaid {over} exceeds the balance {money(open_invoice['Balance'])}"
        f" of invoice {open_invoice['InvoiceNo']}."
    )
    assert query("SELECT CheckNo FROM AP_CheckHistoryHeader WHERE CheckNo = 'M1001'") == []
    [opened] = query(
        "SELECT Balance FROM AP_OpenInvoice WHERE VendorNo = ? AND InvoiceNo = ?",
        open_invoice["VendorNo"],
        open_invoice["InvoiceNo"],
    )
    assert money(opened["Balance"]) == money(open_invoice["Balance"])


def test_a_check_number_used_before_for_the_bank_is_refused(
    new_object: NewObject, open_invoice: dict[str, Any]
) -> None:
    check, _ = new_check(new_object, open_invoice["VendorNo"])
    assert pay(check, open_invoice["InvoiceNo"], 1) == 1
    assert check.nWrite() == 1
    again, status = new_check(new_object, open_invoice["VendorNo"])
    assert status == 0
    assert again.sLastErrorMsg == "The CheckNo M1001 has already been used for bank code A."


def test_a_missing_or_inactive_bank_code_is_refused(
    new_object: NewObject, company_db: Path, open_invoice: dict[str, Any]
) -> None:
    _, status = new_check(new_object, open_invoice["VendorNo"], bank="Z")
    assert status == 0
    check = new_object("AP_ManualCheck_bus")
    check.nSetKeyValue("BankCode$", "Z")
    check.nSetKeyValue("CheckNo$", "M1001")
    assert check.nSetKey() == 0
    assert check.sLastErrorMsg == "The BankCode Z is not on file."
    with sqlite3.connect(company_db) as db:  # the bank closed, as Sage's bank maintenance would
        db.execute("UPDATE GL_Bank SET BankStatus = 'I' WHERE BankCode = 'A'")
    db.close()
    inactive = new_object("AP_ManualCheck_bus")
    inactive.nSetKeyValue("BankCode$", "A")
    inactive.nSetKeyValue("CheckNo$", "M1001")
    assert inactive.nSetKey() == 0
    assert inactive.sLastErrorMsg == "The BankCode A is inactive."


def test_a_check_applied_to_nothing_or_zero_is_refused(
    new_object: NewObject, open_invoice: dict[str, Any]
) -> None:
    check, _ = new_check(new_object, open_invoice["VendorNo"])
    assert pay(check, open_invoice["InvoiceNo"], 0) == 0
    assert check.sLastErrorMsg == "The AmountPaid must be more than zero."
    empty, _ = new_check(new_object, open_invoice["VendorNo"], "M1003")
    assert empty.nWrite() == 0
    assert empty.sLastErrorMsg == "The check is not applied to any invoice."
