"""The BOI emulator behaves as Sage's business objects do: the COM call pattern, return
codes 1/-1/0 with `sLastErrorMsg`, Sage's validations, and the postings that follow a
write. Every effect is checked by reading the company back over ODBC."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

import pyodbc
import pytest
from boi_documents import NewObject, ap_invoice, cash_receipt

from sandbox.sage100.boi import BOIConnectionLost, BOIError, ProvideXScript

Query = Callable[..., list[dict[str, Any]]]


def one(query: Query, sql: str, *params: Any) -> dict[str, Any]:
    rows = query(sql, *params)
    assert len(rows) == 1, rows
    return rows[0]


def money(value: Any) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.01"))


def new_customer(new_object: NewObject, customer_no: str = "ACME") -> Any:
    customer = new_object("AR_Customer_bus")
    assert customer.nSetKeyValue("ARDivisionNo$", "01") == 1
    assert customer.nSetKeyValue("CustomerNo$", customer_no) == 1
    assert customer.nSetKey() == 2
    return customer


# -- masters ------------------------------------------------------------------------------


def test_a_customer_script_written_for_com_runs_unchanged(
    new_object: NewObject, query: Query, clock: Any
) -> None:
    customer = new_customer(new_object)
    assert customer.nSetValue("CustomerName$", "Acme Trading Ltd") == 1
    assert customer.nSetValue("TermsCode$", "03") == 1
    assert customer.nSetValue("CreditLimit", 5000) == 1
    assert customer.nWrite() == 1, customer.sLastErrorMsg

    row = one(query, "SELECT * FROM AR_Customer WHERE CustomerNo = ?", "ACME")
    assert row["CustomerName"] == "Acme Trading Ltd"
    assert money(row["CreditLimit"]) == Decimal("5000.00")
    assert row["DateCreated"] == row["DateUpdated"] == date(2026, 11, 2)
    assert row["TimeCreated"] == row["TimeUpdated"] == "13.50000"
    assert len(row["UserUpdatedKey"]) == 10

    clock.advance(minutes=15)
    again = new_object("AR_Customer_bus")
    again.nSetKeyValue("ARDivisionNo$", "01")
    again.nSetKeyValue("CustomerNo$", "ACME")
    assert again.nSetKey() == 1
    assert again.nGetValue("CustomerName$") == (1, "Acme Trading Ltd")
    assert again.nSetValue("CustomerName$", "Acme Trading Limited") == 1
    assert again.nWrite() == 1
    row = one(query, "SELECT * FROM AR_Customer WHERE CustomerNo = ?", "ACME")
    assert row["CustomerName"] == "Acme Trading Limited"
    assert (row["TimeCreated"], row["TimeUpdated"]) == ("13.50000", "13.75000")


def test_string_columns_take_a_dollar_suffix(new_object: NewObject) -> None:
    customer = new_customer(new_object)
    assert customer.nSetValue("CustomerName", "Acme") == 0
    assert customer.sLastErrorMsg == "The column CustomerName is not in the IOList."
    assert customer.nSetValue("CreditLimit$", "5") == 0
    assert customer.sLastErrorMsg == "The column CreditLimit$ is not in the IOList."


def test_a_value_longer_than_its_column_is_refused(new_object: NewObject) -> None:
    customer = new_customer(new_object)
    assert customer.nSetValue("CustomerName$", "x" * 51) == 0
    assert (
        customer.sLastErrorMsg == "The CustomerName is too long: 51 characters, the maximum is 50."
    )
    assert customer.nSetKeyValue("CustomerNo$", "C" * 21) == 0
    assert customer.sLastErrorMsg == "The CustomerNo is too long: 21 characters, the maximum is 20."


def test_a_numeric_column_refuses_text(new_object: NewObject) -> None:
    customer = new_customer(new_object)
    assert customer.nSetValue("CreditLimit", "lots") == 0
    assert customer.sLastErrorMsg == "The CreditLimit must be numeric: 'lots'."


@pytest.mark.parametrize(
    ("bus", "division", "number"),
    [
        ("AR_Customer_bus", "ARDivisionNo", "CustomerNo"),
        ("AP_Vendor_bus", "APDivisionNo", "VendorNo"),
    ],
)
def test_a_division_is_two_digits(
    new_object: NewObject, bus: str, division: str, number: str
) -> None:
    master = new_object(bus)
    assert master.nSetKeyValue(f"{division}$", "1") == 1
    assert master.nSetKeyValue(f"{number}$", "ACME") == 1
    assert master.nSetKey() == 0
    assert master.sLastErrorMsg == f"The {division} 1 is invalid; divisions are two digits."


def test_a_customer_needs_terms(new_object: NewObject) -> None:
    customer = new_customer(new_object)
    customer.nSetValue("CustomerName$", "Acme")
    assert customer.nWrite() == 0
    assert customer.sLastErrorMsg == "The TermsCode is required."
    assert customer.nSetValue("TermsCode$", "99") == 0
    assert customer.sLastErrorMsg == "The TermsCode 99 is not on file."


def test_user_defined_columns_are_accepted(
    new_object: NewObject, odbc: pyodbc.Connection, query: Query
) -> None:
    odbc.cursor().execute("ALTER TABLE AR_Customer ADD UDF_REGION varchar(10)")
    customer = new_customer(new_object)
    customer.nSetValue("CustomerName$", "Acme")
    customer.nSetValue("TermsCode$", "03")
    assert customer.nSetValue("UDF_SHIP_SPEC$", "Y") == 1
    assert customer.nSetValue("UDF_REGION$", "North") == 1
    assert customer.nWrite() == 1
    row = one(query, "SELECT UDF_SHIP_SPEC, UDF_REGION FROM AR_Customer WHERE CustomerNo='ACME'")
    assert row == {"UDF_SHIP_SPEC": "Y", "UDF_REGION": "North"}


def test_a_record_in_use_by_another_session_is_locked(
    script: ProvideXScript, new_object: NewObject
) -> None:
    first, second = new_object("AR_Customer_bus"), new_object("AR_Customer_bus")
    for customer in (first, second):
        customer.nSetKeyValue("ARDivisionNo$", "01")
        customer.nSetKeyValue("CustomerNo$", "HARB0000")
    assert first.nSetKey() == 1
    assert second.nSetKey() == 0
    assert second.sLastErrorMsg == "The record 01-HARB0000 is in use by another user."
    assert first.nClear() == 1
    assert second.nSetKey() == 1


def test_delete_removes_the_record(new_object: NewObject, query: Query) -> None:
    customer = new_object("AR_Customer_bus")
    customer.nSetKeyValue("ARDivisionNo$", "01")
    customer.nSetKeyValue("CustomerNo$", "HARB0000")
    assert customer.nSetKey() == 1
    assert customer.nDelete() == 1
    assert query("SELECT CustomerNo FROM AR_Customer WHERE CustomerNo = 'HARB0000'") == []


def test_business_objects_need_a_session_with_a_program(script: ProvideXScript) -> None:
    session = script.NewObject("SY_Session")
    session.nSetUser("ledgerbridge", "secret")
    with pytest.raises(BOIError):
        script.NewObject("AR_Customer_bus", session)


# -- A/R invoices and receipts --------------------------------------------------------------


def start_invoice(new_object: NewObject, customer_no: str = "HARB0000") -> Any:
    invoice = new_object("AR_Invoice_bus")
    status, invoice_no = invoice.nGetNextInvoiceNo("")
    assert status == 1 and len(invoice_no) == 7 and invoice_no.isdigit()
    assert invoice.nSetKey(invoice_no) == 2
    assert invoice.nSetValue("ARDivisionNo$", "01") == 1
    assert invoice.nSetValue("CustomerNo$", customer_no) == 1, invoice.sLastErrorMsg
    return invoice


def add_line(document: Any, **values: Any) -> int:
    assert document.oLines.nAddLine() == 1
    for column, value in values.items():
        status = document.oLines.nSetValue(column, value)
        if status != 1:
            return int(status)
    return int(document.oLines.nWrite())


def test_posting_an_invoice_keeps_open_invoices_balance_and_stock(
    new_object: NewObject, query: Query
) -> None:
    before = one(query, "SELECT CurrentBalance FROM AR_Customer WHERE CustomerNo = 'HARB0000'")
    stock = one(
        query,
        "SELECT QuantityOnHand FROM IM_ItemWarehouse WHERE ItemCode = 'MIR-00000'"
        " AND WarehouseCode = '000'",
    )
    invoice = start_invoice(new_object)
    invoice.nSetValue("InvoiceDate$", "20261102")
    invoice.nSetValue("CustomerPONo$", "PO-991")
    line = {"ItemCode$": "MIR-00000", "QuantityShipped": 2, "UnitPrice": "10.00"}
    assert add_line(invoice, **line, TaxRate=20, TaxAmt="4.00") == 1
    assert (
        add_line(
            invoice,
            **{"ItemCode$": "/MISC", "ItemCodeDesc$": "Delivery"},
            QuantityShipped=1,
            UnitPrice=5,
        )
        == 1
    )
    assert invoice.nWrite() == -1  # posted, with a warning: this customer is over its limit
    assert invoice.sLastErrorMsg.startswith("The CustomerNo 01-HARB0000 is over its credit limit")

    header = one(query, "SELECT * FROM AR_InvoiceHistoryHeader WHERE CustomerPONo = 'PO-991'")
    assert header["TermsCode"] == "02"  # the customer's terms, by default
    assert header["InvoiceDueDate"] == date(2026, 11, 16)
    assert money(header["TaxableSalesAmt"]) == Decimal("20.00")
    assert money(header["NonTaxableSalesAmt"]) == Decimal("5.00")
    details = query(
        "SELECT * FROM AR_InvoiceHistoryDetail WHERE InvoiceNo = ? ORDER BY DetailSeqNo",
        header["InvoiceNo"],
    )
    assert [d["DetailSeqNo"] for d in details] == ["000001", "000002"]
    assert details[0]["SalesAcctKey"] == "000000006"  # the item's sales account
    opened = one(
        query, "SELECT Balance FROM AR_OpenInvoice WHERE InvoiceNo = ?", header["InvoiceNo"]
    )
    assert money(opened["Balance"]) == Decimal("29.00")
    after = one(query, "SELECT CurrentBalance FROM AR_Customer WHERE CustomerNo = 'HARB0000'")
    assert money(after["CurrentBalance"]) == money(before["CurrentBalance"]) + Decimal("29.00")
    left = one(
        query,
        "SELECT QuantityOnHand FROM IM_ItemWarehouse WHERE ItemCode = 'MIR-00000'"
        " AND WarehouseCode = '000'",
    )
    assert Decimal(str(left["QuantityOnHand"])) == Decimal(str(stock["QuantityOnHand"])) - 2
    total = one(query, "SELECT TotalQuantityOnHand FROM CI_Item WHERE ItemCode = 'MIR-00000'")
    assert Decimal(str(total["TotalQuantityOnHand"])) == Decimal(149 + 147 + 36 - 2)


def test_an_invoice_over_the_credit_limit_posts_with_a_warning(
    new_object: NewObject, query: Query
) -> None:
    customer = query(
        "SELECT CustomerNo, CreditLimit, CurrentBalance FROM AR_Customer"
        " WHERE CurrentBalance < CreditLimit ORDER BY CustomerNo"
    )[0]
    room = money(customer["CreditLimit"]) - money(customer["CurrentBalance"])
    invoice = start_invoice(new_object, customer["CustomerNo"])
    invoice.nSetValue("InvoiceDate$", "20261102")
    add_line(invoice, **{"ItemCode$": "/MISC"}, UnitPrice=str(room + Decimal("12.34")))
    assert invoice.nWrite() == -1
    assert invoice.sLastErrorMsg == (
        f"The CustomerNo 01-{customer['CustomerNo']} is over its credit limit of"
        f" {money(customer['CreditLimit'])} by 12.34."
    )
    posted = query(
        "SELECT Balance FROM AR_OpenInvoice"
        " WHERE CustomerNo = ? AND InvoiceDate = {d '2026-11-02'}",
        customer["CustomerNo"],
    )
    assert [money(p["Balance"]) for p in posted] == [room + Decimal("12.34")]


def test_an_invoice_for_an_unknown_customer_is_refused(new_object: NewObject) -> None:
    invoice = new_object("AR_Invoice_bus")
    assert invoice.nSetKey("0900001") == 2
    assert invoice.nSetValue("CustomerNo$", "NOSUCH") == 0
    assert invoice.sLastErrorMsg == "The CustomerNo 01-NOSUCH is not on file."


def test_an_invoice_needs_a_date(new_object: NewObject) -> None:
    invoice = start_invoice(new_object)
    add_line(invoice, **{"ItemCode$": "MIR-00000"}, UnitPrice=1)
    assert invoice.nWrite() == 0
    assert invoice.sLastErrorMsg == "The InvoiceDate is required."


def test_an_invoice_line_needs_a_known_active_item(new_object: NewObject, query: Query) -> None:
    invoice = start_invoice(new_object)
    assert add_line(invoice, **{"ItemCode$": "NOSUCH"}) == 0
    assert invoice.oLines.sLastErrorMsg == "The ItemCode NOSUCH is not on file."

    item = new_object("CI_ItemCode_bus")
    assert item.nSetKey("STO-00001") == 1
    assert item.nSetValue("InactiveItem$", "Y") == 1
    assert item.nWrite() == 1
    assert add_line(invoice, **{"ItemCode$": "STO-00001"}) == 0
    assert invoice.oLines.sLastErrorMsg == "The ItemCode STO-00001 is inactive."


def test_an_invoice_number_is_used_once(new_object: NewObject) -> None:
    invoice = new_object("AR_Invoice_bus")
    assert invoice.nSetKey("0010001") == 0
    assert invoice.sLastErrorMsg == "The InvoiceNo 0010001 already exists."


def test_an_invoice_in_a_closed_period_is_refused(new_object: NewObject) -> None:
    invoice = start_invoice(new_object)
    invoice.nSetValue("InvoiceDate$", "20250315")
    add_line(invoice, **{"ItemCode$": "MIR-00000"}, UnitPrice=1)
    assert invoice.nWrite() == 0
    assert invoice.sLastErrorMsg == "The InvoiceDate 2025-03-15 is in a closed period (2025-03)."


def test_a_date_must_be_a_date(new_object: NewObject) -> None:
    invoice = start_invoice(new_object)
    assert invoice.nSetValue("InvoiceDate$", "2026-11-02") == 0
    assert invoice.sLastErrorMsg == "The InvoiceDate is not a valid date: '2026-11-02'."


def _memo(new_object: NewObject, number: str, customer_no: str, kind: str, applied_to: str) -> Any:
    memo = new_object("AR_Invoice_bus")
    assert memo.nSetKey(number) == 2
    assert memo.nSetValue("CustomerNo$", customer_no) == 1
    assert memo.nSetValue("InvoiceType$", kind) == 1, memo.sLastErrorMsg
    assert memo.nSetValue("ApplyToInvoiceNo$", applied_to) == 1
    assert memo.nSetValue("InvoiceDate$", "20261102") == 1
    return memo


def test_a_credit_memo_applied_to_an_invoice_lowers_its_balance_and_is_negative_in_history(
    new_object: NewObject, query: Query
) -> None:
    target = query(
        "SELECT CustomerNo, InvoiceNo, Balance FROM AR_OpenInvoice WHERE Balance > 30"
        " AND InvoiceType = 'IN' ORDER BY InvoiceNo"
    )[0]
    owed = "SELECT CurrentBalance FROM AR_Customer WHERE CustomerNo = ?"
    before = money(one(query, owed, target["CustomerNo"])["CurrentBalance"])
    credit = _memo(new_object, "CR-1", target["CustomerNo"], "CM", target["InvoiceNo"])
    assert add_line(credit, **{"ItemCode$": "/MISC"}, UnitPrice="20.00", TaxRate=20,
                    TaxAmt="4.00") == 1  # fmt: skip
    assert credit.nWrite() == 1, credit.sLastErrorMsg
    header = one(query, "SELECT * FROM AR_InvoiceHistoryHeader WHERE InvoiceNo = 'CR-1'")
    assert (header["InvoiceType"], header["ApplyToInvoiceNo"]) == ("CM", target["InvoiceNo"])
    assert (money(header["TaxableSalesAmt"]), money(header["SalesTaxAmt"])) == (
        Decimal("-20.00"), Decimal("-4.00"),
    )  # fmt: skip
    detail = one(query, "SELECT * FROM AR_InvoiceHistoryDetail WHERE InvoiceNo = 'CR-1'")
    assert (money(detail["ExtensionAmt"]), money(detail["QuantityShipped"])) == (
        Decimal("-20.00"), Decimal("-1.00"),
    )  # fmt: skip
    opened = one(
        query, "SELECT Balance FROM AR_OpenInvoice WHERE InvoiceNo = ?", target["InvoiceNo"]
    )
    assert money(opened["Balance"]) == money(target["Balance"]) - Decimal("24.00")
    assert query("SELECT * FROM AR_OpenInvoice WHERE InvoiceNo = 'CR-1'") == []
    after = money(one(query, owed, target["CustomerNo"])["CurrentBalance"])
    assert after == before - Decimal("24.00")


def test_a_debit_memo_raises_the_balance_and_a_memo_applies_only_to_its_customers_invoice(
    new_object: NewObject, query: Query
) -> None:
    mine, other = query(
        "SELECT CustomerNo, InvoiceNo, Balance FROM AR_OpenInvoice WHERE InvoiceType = 'IN'"
        " ORDER BY InvoiceNo"
    )[:2]
    assert mine["CustomerNo"] != other["CustomerNo"]
    debit = _memo(new_object, "DR-1", mine["CustomerNo"], "DM", mine["InvoiceNo"])
    add_line(debit, **{"ItemCode$": "/MISC"}, UnitPrice="15.00")
    assert debit.nWrite() in (1, -1), debit.sLastErrorMsg
    opened = one(query, "SELECT Balance FROM AR_OpenInvoice WHERE InvoiceNo = ?", mine["InvoiceNo"])
    assert money(opened["Balance"]) == money(mine["Balance"]) + Decimal("15.00")

    stray = _memo(new_object, "CR-2", mine["CustomerNo"], "CM", other["InvoiceNo"])
    add_line(stray, **{"ItemCode$": "/MISC"}, UnitPrice="5.00")
    assert stray.nWrite() == 0
    assert stray.sLastErrorMsg == (
        f"The ApplyToInvoiceNo {other['InvoiceNo']} is not an open invoice of customer"
        f" 01-{mine['CustomerNo']}."
    )
    assert query("SELECT * FROM AR_InvoiceHistoryHeader WHERE InvoiceNo = 'CR-2'") == []
    odd = new_object("AR_Invoice_bus")
    assert odd.nSetKey("XX-1") == 2
    assert odd.nSetValue("InvoiceType$", "ZZ") == 0
    assert odd.sLastErrorMsg == "The InvoiceType ZZ is not valid; use IN, CM, DM."


def test_a_cash_receipt_reduces_the_open_invoice_and_the_balance(
    new_object: NewObject, query: Query
) -> None:
    target = query(
        "SELECT CustomerNo, InvoiceNo, Balance FROM AR_OpenInvoice WHERE Balance > 10"
        " ORDER BY InvoiceNo"
    )[0]
    customer_before = one(
        query, "SELECT CurrentBalance FROM AR_Customer WHERE CustomerNo = ?", target["CustomerNo"]
    )
    receipt, deposit_no = cash_receipt(new_object, target["CustomerNo"], "CHK1001")
    assert len(deposit_no) == 5
    assert add_line(receipt, **{"InvoiceNo$": target["InvoiceNo"]}, CashAmountApplied=10) == 1
    assert receipt.nWrite() == 1, receipt.sLastErrorMsg

    opened = one(
        query, "SELECT Balance FROM AR_OpenInvoice WHERE InvoiceNo = ?", target["InvoiceNo"]
    )
    assert money(opened["Balance"]) == money(target["Balance"]) - 10
    customer = one(
        query,
        "SELECT CurrentBalance, LastPaymentAmt FROM AR_Customer WHERE CustomerNo = ?",
        target["CustomerNo"],
    )
    assert money(customer["CurrentBalance"]) == money(customer_before["CurrentBalance"]) - 10
    assert money(customer["LastPaymentAmt"]) == Decimal("10.00")
    history = one(query, "SELECT * FROM AR_CashReceiptsHistory WHERE CheckNo = 'CHK1001'")
    assert money(history["CashAmountApplied"]) == Decimal("10.00")


# -- A/P invoices ---------------------------------------------------------------------------


def test_an_ap_invoice_needs_a_known_vendor(new_object: NewObject) -> None:
    invoice = new_object("AP_Invoice_bus")
    invoice.nSetKeyValue("InvoiceNo$", "INV-1")
    assert invoice.nSetKey() == 0
    assert invoice.sLastErrorMsg == "The VendorNo is required."
    invoice.nSetKeyValue("VendorNo$", "NOSUCH")
    assert invoice.nSetKey() == 0
    assert invoice.sLastErrorMsg == "The VendorNo 01-NOSUCH is not on file."


def test_an_ap_invoice_posts_to_open_invoices(new_object: NewObject, query: Query) -> None:
    invoice = new_object("AP_Invoice_bus")
    for column, value in (
        ("APDivisionNo$", "01"),
        ("VendorNo$", "RST0000"),
        ("InvoiceNo$", "SUP-77"),
    ):
        invoice.nSetKeyValue(column, value)
    assert invoice.nSetKey() == 2
    invoice.nSetValue("InvoiceDate$", "20261101")
    assert (
        add_line(
            invoice,
            **{"AccountKey$": "000000017", "CommentText$": "Paper"},
            QuantityOrdered=3,
            UnitCost=10,
            TaxRate=20,
            TaxAmt=6,
        )
        == 1
    )
    assert invoice.nWrite() == 1, invoice.sLastErrorMsg
    opened = one(
        query,
        "SELECT InvoiceAmt, Balance, InvoiceDueDate FROM AP_OpenInvoice WHERE InvoiceNo = 'SUP-77'",
    )
    assert money(opened["InvoiceAmt"]) == money(opened["Balance"]) == Decimal("36.00")
    assert opened["InvoiceDueDate"] == date(2026, 12, 16)  # vendor terms: net 45

    again = new_object("AP_Invoice_bus")
    for column, value in (
        ("APDivisionNo$", "01"),
        ("VendorNo$", "RST0000"),
        ("InvoiceNo$", "SUP-77"),
    ):
        again.nSetKeyValue(column, value)
    assert again.nSetKey() == 0
    assert again.sLastErrorMsg == "The InvoiceNo SUP-77 already exists for vendor 01-RST0000."


def test_an_ap_adjustment_moves_the_invoice_and_vendor_balance_and_is_kept_in_history(
    new_object: NewObject, query: Query
) -> None:
    target = query(
        "SELECT VendorNo, InvoiceNo, InvoiceAmt, Balance FROM AP_OpenInvoice WHERE Balance > 30"
        " ORDER BY VendorNo, InvoiceNo"
    )[0]
    owed = "SELECT BalanceDue FROM AP_Vendor WHERE VendorNo = ?"
    before = money(one(query, owed, target["VendorNo"])["BalanceDue"])
    down = ap_invoice(new_object, target["VendorNo"], "ADJ-1", "AD", target["InvoiceNo"])
    assert add_line(down, **{"AccountKey$": "000000017"}, UnitCost="-20.00", TaxRate=20,
                    TaxAmt="-4.00") == 1  # fmt: skip
    assert down.nWrite() == 1, down.sLastErrorMsg
    header = one(query, "SELECT * FROM AP_InvoiceHeader WHERE InvoiceNo = 'ADJ-1'")
    assert (header["InvoiceType"], header["ApplyToInvoiceNo"]) == ("AD", target["InvoiceNo"])
    assert (money(header["InvoiceAmt"]), money(header["SalesTaxAmt"])) == (
        Decimal("-24.00"), Decimal("-4.00"),
    )  # fmt: skip
    detail = one(query, "SELECT * FROM AP_InvoiceDetail WHERE InvoiceNo = 'ADJ-1'")
    assert money(detail["ExtensionAmt"]) == Decimal("-20.00")
    balance = "SELECT InvoiceAmt, Balance FROM AP_OpenInvoice WHERE VendorNo = ? AND InvoiceNo = ?"
    opened = one(query, balance, target["VendorNo"], target["InvoiceNo"])
    assert money(opened["Balance"]) == money(target["Balance"]) - Decimal("24.00")
    assert money(opened["InvoiceAmt"]) == money(target["InvoiceAmt"])
    assert query("SELECT * FROM AP_OpenInvoice WHERE InvoiceNo = 'ADJ-1'") == []
    assert money(one(query, owed, target["VendorNo"])["BalanceDue"]) == before - Decimal("24.00")

    up = ap_invoice(new_object, target["VendorNo"], "ADJ-2", "AD", target["InvoiceNo"])
    assert add_line(up, **{"AccountKey$": "000000017"}, UnitCost="10.00") == 1
    assert up.nWrite() == 1, up.sLastErrorMsg
    opened = one(query, balance, target["VendorNo"], target["InvoiceNo"])
    assert money(opened["Balance"]) == money(target["Balance"]) - Decimal("14.00")
    assert money(one(query, owed, target["VendorNo"])["BalanceDue"]) == before - Decimal("14.00")


def test_an_ap_adjustment_is_refused_off_an_open_invoice_of_its_vendor_or_below_zero(
    new_object: NewObject, query: Query
) -> None:
    mine, other = query(
        "SELECT VendorNo, InvoiceNo, Balance FROM AP_OpenInvoice WHERE Balance > 0"
        " ORDER BY VendorNo, InvoiceNo"
    )[:2]
    if mine["VendorNo"] == other["VendorNo"]:
        other = query(
            "SELECT VendorNo, InvoiceNo FROM AP_OpenInvoice WHERE VendorNo <> ?"
            " ORDER BY VendorNo, InvoiceNo", mine["VendorNo"],
        )[0]  # fmt: skip
    stray = ap_invoice(new_object, mine["VendorNo"], "ADJ-3", "AD", other["InvoiceNo"])
    add_line(stray, **{"AccountKey$": "000000017"}, UnitCost="-1.00")
    assert stray.nWrite() == 0
    assert stray.sLastErrorMsg == (
        f"The InvoiceNo {other['InvoiceNo']} is not an open invoice of vendor"
        f" 01-{mine['VendorNo']}."
    )
    too_much = ap_invoice(new_object, mine["VendorNo"], "ADJ-4", "AD", mine["InvoiceNo"])
    over = money(mine["Balance"]) + 1
    add_line(too_much, **{"AccountKey$": "000000017"}, UnitCost=str(-over))
    assert too_much.nWrite() == 0
    assert too_much.sLastErrorMsg == (
        f"The adjustment of {-over:.2f} exceeds the balance {money(mine['Balance']):.2f}"
        f" of invoice {mine['InvoiceNo']}."
    )
    plain = ap_invoice(new_object, mine["VendorNo"], "ADJ-5", "IN", mine["InvoiceNo"])
    add_line(plain, **{"AccountKey$": "000000017"}, UnitCost="1.00")
    assert plain.nWrite() == 0
    assert plain.sLastErrorMsg == "The ApplyToInvoiceNo is for adjustments only."
    assert query("SELECT * FROM AP_InvoiceHeader WHERE InvoiceNo LIKE 'ADJ-%'") == []
    assert money(
        one(
            query, "SELECT Balance FROM AP_OpenInvoice WHERE VendorNo = ? AND InvoiceNo = ?",
            mine["VendorNo"], mine["InvoiceNo"],
        )["Balance"]
    ) == money(mine["Balance"])  # fmt: skip
    odd = new_object("AP_Invoice_bus")
    odd.nSetKeyValue("VendorNo$", mine["VendorNo"])
    odd.nSetKeyValue("InvoiceNo$", "ADJ-6")
    assert odd.nSetKey() == 2
    assert odd.nSetValue("InvoiceType$", "CM") == 0
    assert odd.sLastErrorMsg == "The InvoiceType CM is not valid; use IN, AD."


def test_a_line_needs_a_known_active_gl_account(new_object: NewObject) -> None:
    account = new_object("GL_Account_bus")
    assert account.nSetKeyValue("Account$", "7900-00-00") == 1
    assert account.nSetKey() == 1
    assert account.nSetValue("Status$", "I") == 1
    assert account.nWrite() == 1

    invoice = new_object("AP_Invoice_bus")
    invoice.nSetKeyValue("VendorNo$", "RST0000")
    invoice.nSetKeyValue("InvoiceNo$", "SUP-78")
    assert invoice.nSetKey() == 2
    assert add_line(invoice, **{"AccountKey$": "999999999"}) == 0
    assert invoice.sLastErrorMsg == "The AccountKey 999999999 is not on file."
    assert add_line(invoice, **{"AccountKey$": "000000022"}) == 0
    assert invoice.sLastErrorMsg == "The AccountKey 000000022 (7900-00-00) is inactive."


def test_a_new_gl_account_gets_the_next_account_key(new_object: NewObject, query: Query) -> None:
    account = new_object("GL_Account_bus")
    account.nSetKeyValue("Account$", "8300-00-00")
    assert account.nSetKey() == 2
    account.nSetValue("AccountDesc$", "Subscriptions")
    assert account.nWrite() == 1
    row = one(query, "SELECT * FROM GL_Account WHERE Account = '8300-00-00'")
    assert (row["AccountKey"], row["MainAccountCode"], row["Status"]) == ("000000024", "8300", "A")


# -- journals and stock -----------------------------------------------------------------------


def start_journal(new_object: NewObject, posting_date: str) -> Any:
    journal = new_object("GL_GeneralJournal_bus")
    status, entry_no = journal.nGetNextEntryNo("")
    assert status == 1
    journal.nSetKeyValue("EntryNo$", entry_no)
    assert journal.nSetKey() == 2
    journal.nSetValue("PostingDate$", posting_date)
    journal.nSetValue("Comment$", "Accrual")
    return journal


def test_a_journal_out_of_balance_is_refused(new_object: NewObject) -> None:
    journal = start_journal(new_object, "20261102")
    add_line(journal, **{"AccountKey$": "000000013"}, DebitAmount=110)
    add_line(journal, **{"AccountKey$": "000000002"}, CreditAmount=100)
    assert journal.nWrite() == 0
    assert journal.sLastErrorMsg == "The journal entry is out of balance by 10.00."


def test_a_journal_in_a_closed_period_is_refused(new_object: NewObject) -> None:
    journal = start_journal(new_object, "20240630")
    add_line(journal, **{"AccountKey$": "000000013"}, DebitAmount=100)
    add_line(journal, **{"AccountKey$": "000000002"}, CreditAmount=100)
    assert journal.nWrite() == 0
    assert journal.sLastErrorMsg == "The PostingDate 2024-06-30 is in a closed period (2024-06)."


def test_a_balanced_journal_posts_to_gl_detail(new_object: NewObject, query: Query) -> None:
    journal = start_journal(new_object, "20261102")
    add_line(journal, **{"AccountKey$": "000000013"}, DebitAmount=100)
    add_line(journal, **{"AccountKey$": "000000002", "PostingComment$": "Bank"}, CreditAmount=100)
    assert journal.nWrite() == 1, journal.sLastErrorMsg
    rows = query(
        "SELECT * FROM GL_DetailPosting WHERE PostingDate = {d '2026-11-02'} ORDER BY SequenceNo"
    )
    assert [
        (r["AccountKey"], money(r["DebitAmount"]), money(r["CreditAmount"]), r["PostingComment"])
        for r in rows
    ] == [
        ("000000013", Decimal("100.00"), Decimal("0.00"), "Accrual"),
        ("000000002", Decimal("0.00"), Decimal("100.00"), "Bank"),
    ]


def test_an_inventory_adjustment_maintains_item_warehouse(
    new_object: NewObject, query: Query
) -> None:
    adjustment = new_object("IM_Transaction_bus")
    _, entry_no = adjustment.nGetNextEntryNo("")
    adjustment.nSetKeyValue("EntryNo$", entry_no)
    assert adjustment.nSetKey() == 2
    adjustment.nSetValue("TransactionDate$", "20261102")
    assert (
        add_line(
            adjustment, **{"ItemCode$": "MIR-00000", "WarehouseCode$": "001"}, TransactionQty=10
        )
        == 1
    )
    assert (
        add_line(
            adjustment, **{"ItemCode$": "STO-00001", "WarehouseCode$": "002"}, TransactionQty=5
        )
        == 1
    )
    assert adjustment.nWrite() == 1, adjustment.sLastErrorMsg
    levels = {
        (r["ItemCode"], r["WarehouseCode"]): Decimal(str(r["QuantityOnHand"]))
        for r in query(
            "SELECT ItemCode, WarehouseCode, QuantityOnHand FROM IM_ItemWarehouse"
            " WHERE DateUpdated = {d '2026-11-02'}"
        )
    }
    assert levels == {("MIR-00000", "001"): Decimal(157), ("STO-00001", "002"): Decimal(5)}


def test_a_lost_host_fails_every_call(script: ProvideXScript, new_object: NewObject) -> None:
    customer = new_object("AR_Customer_bus")
    script.drop_connection()
    with pytest.raises(BOIConnectionLost):
        customer.nSetKeyValue("CustomerNo$", "ACME")
