"""Posting an A/R or A/P document through the BOI emulator writes its G/L detail as Sage
does: balanced GL_DetailPosting rows to the document's accounts and the control accounts,
in the document's own transaction. Read back over ODBC; accounts are found by number."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from boi_documents import NewObject, ap_invoice, cash_receipt
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

Query = Callable[..., list[dict[str, Any]]]


def money(value: Any) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.01"))


def key(query: Query, account: str) -> str:
    [row] = query("SELECT AccountKey FROM GL_Account WHERE Account = ?", account)
    return str(row["AccountKey"])


def posted(query: Query, journal: str, comment: str) -> dict[str, tuple[Decimal, Decimal]]:
    """AccountKey -> (debit, credit) of the one register `journal` posted for `comment`;
    checks the register is one number, balanced and sequenced."""
    rows = query(
        "SELECT * FROM GL_DetailPosting WHERE SourceJournal = ? AND PostingComment = ?"
        " ORDER BY SequenceNo",
        journal,
        comment,
    )
    assert rows, f"no {journal} posting for {comment}"
    assert len({row["JournalRegisterNo"] for row in rows}) == 1
    assert [row["SequenceNo"] for row in rows] == [f"{n:06d}" for n in range(1, len(rows) + 1)]
    debit = sum((money(row["DebitAmount"]) for row in rows), Decimal(0))
    credit = sum((money(row["CreditAmount"]) for row in rows), Decimal(0))
    assert debit == credit
    return {
        row["AccountKey"]: (money(row["DebitAmount"]), money(row["CreditAmount"])) for row in rows
    }


def add_line(document: Any, **values: Any) -> None:
    assert document.oLines.nAddLine() == 1
    for column, value in values.items():
        assert document.oLines.nSetValue(column, value) == 1, document.oLines.sLastErrorMsg
    assert document.oLines.nWrite() == 1, document.oLines.sLastErrorMsg


def ar_invoice(new_object: NewObject, kind: str = "IN", applied_to: str = "") -> tuple[Any, str]:
    invoice = new_object("AR_Invoice_bus")
    status, invoice_no = invoice.nGetNextInvoiceNo("")
    assert status == 1 and invoice.nSetKey(invoice_no) == 2
    assert invoice.nSetValue("CustomerNo$", "HARB0000") == 1
    if kind != "IN":
        assert invoice.nSetValue("InvoiceType$", kind) == 1
        assert invoice.nSetValue("ApplyToInvoiceNo$", applied_to) == 1
    assert invoice.nSetValue("InvoiceDate$", "20261102") == 1
    return invoice, invoice_no


def test_an_ar_invoice_debits_receivables_and_credits_sales_and_tax(
    new_object: NewObject, query: Query
) -> None:
    invoice, invoice_no = ar_invoice(new_object)
    add_line(invoice, **{"ItemCode$": "MIR-00000"}, QuantityShipped=2, UnitPrice=10, TaxAmt=4)
    add_line(invoice, **{"ItemCode$": "/MISC"}, QuantityShipped=1, UnitPrice=5)
    assert invoice.nWrite() in (1, -1), invoice.sLastErrorMsg

    assert posted(query, "SJ", f"IN {invoice_no}") == {
        key(query, "1100-00-00"): (Decimal("29.00"), Decimal("0.00")),
        key(query, "4000-00-00"): (Decimal("0.00"), Decimal("20.00")),  # the item's account
        key(query, "4010-00-00"): (Decimal("0.00"), Decimal("5.00")),
        key(query, "2200-00-00"): (Decimal("0.00"), Decimal("4.00")),
    }
    [row] = query(
        "SELECT PostingDate, SourceModule FROM GL_DetailPosting WHERE PostingComment = ?"
        " AND AccountKey = ?",
        f"IN {invoice_no}",
        key(query, "1100-00-00"),
    )
    assert str(row["PostingDate"]) == "2026-11-02" and row["SourceModule"] == "A/R"


def test_a_credit_memo_posts_the_reverse_and_a_debit_memo_as_an_invoice(
    new_object: NewObject, query: Query
) -> None:
    invoice, invoice_no = ar_invoice(new_object)
    add_line(invoice, **{"ItemCode$": "/MISC"}, QuantityShipped=1, UnitPrice=50, TaxAmt=10)
    assert invoice.nWrite() in (1, -1), invoice.sLastErrorMsg
    credit, credit_no = ar_invoice(new_object, "CM", invoice_no)
    add_line(credit, **{"ItemCode$": "/MISC"}, QuantityShipped=1, UnitPrice=20, TaxAmt=4)
    assert credit.nWrite() == 1, credit.sLastErrorMsg
    debit, debit_no = ar_invoice(new_object, "DM", invoice_no)
    add_line(debit, **{"ItemCode$": "/MISC"}, QuantityShipped=1, UnitPrice=3)
    assert debit.nWrite() in (1, -1), debit.sLastErrorMsg

    receivable, sales, tax = (key(query, a) for a in ("1100-00-00", "4010-00-00", "2200-00-00"))
    assert posted(query, "SJ", f"CM {credit_no}") == {
        receivable: (Decimal("0.00"), Decimal("24.00")),
        sales: (Decimal("20.00"), Decimal("0.00")),
        tax: (Decimal("4.00"), Decimal("0.00")),
    }
    assert posted(query, "SJ", f"DM {debit_no}") == {
        receivable: (Decimal("3.00"), Decimal("0.00")),
        sales: (Decimal("0.00"), Decimal("3.00")),
    }


def test_a_cash_receipt_debits_the_banks_cash_account_and_credits_receivables(
    new_object: NewObject, query: Query
) -> None:
    target = query(
        "SELECT CustomerNo, InvoiceNo FROM AR_OpenInvoice WHERE Balance > 10 ORDER BY InvoiceNo"
    )[0]
    receipt, deposit_no = cash_receipt(new_object, target["CustomerNo"], "CHK77")
    add_line(receipt, **{"InvoiceNo$": target["InvoiceNo"]}, CashAmountApplied="10.50")
    assert receipt.nWrite() == 1, receipt.sLastErrorMsg

    [bank] = query("SELECT CashAccountKey FROM GL_Bank WHERE BankCode = 'A'")
    assert bank["CashAccountKey"] == key(query, "1200-00-00")
    assert posted(query, "CR", f"Deposit {deposit_no} check CHK77") == {
        bank["CashAccountKey"]: (Decimal("10.50"), Decimal("0.00")),
        key(query, "1100-00-00"): (Decimal("0.00"), Decimal("10.50")),
    }


def test_an_ap_invoice_debits_expenses_and_tax_and_an_adjustment_posts_by_its_sign(
    new_object: NewObject, query: Query
) -> None:
    paper, phone = key(query, "7500-00-00"), key(query, "7502-00-00")
    payable, tax = key(query, "2100-00-00"), key(query, "2200-00-00")
    invoice = ap_invoice(new_object, "RST0000", "SUP-88")
    add_line(invoice, **{"AccountKey$": paper}, QuantityOrdered=3, UnitCost=10, TaxAmt=6)
    add_line(invoice, **{"AccountKey$": phone}, UnitCost="12.50")
    assert invoice.nWrite() == 1, invoice.sLastErrorMsg
    assert posted(query, "PJ", "IN RST0000 SUP-88") == {
        paper: (Decimal("30.00"), Decimal("0.00")),
        tax: (Decimal("6.00"), Decimal("0.00")),
        phone: (Decimal("12.50"), Decimal("0.00")),
        payable: (Decimal("0.00"), Decimal("48.50")),
    }
    [row] = query("SELECT DISTINCT SourceModule FROM GL_DetailPosting WHERE SourceJournal = 'PJ'")
    assert row["SourceModule"] == "A/P"

    down = ap_invoice(new_object, "RST0000", "SUP-88-A1", "AD", "SUP-88")
    add_line(down, **{"AccountKey$": paper}, UnitCost=-5)
    assert down.nWrite() == 1, down.sLastErrorMsg
    assert posted(query, "PJ", "AD RST0000 SUP-88-A1") == {
        paper: (Decimal("0.00"), Decimal("5.00")),
        payable: (Decimal("5.00"), Decimal("0.00")),
    }
    up = ap_invoice(new_object, "RST0000", "SUP-88-A2", "AD", "SUP-88")
    add_line(up, **{"AccountKey$": phone}, UnitCost=2)
    assert up.nWrite() == 1, up.sLastErrorMsg
    assert posted(query, "PJ", "AD RST0000 SUP-88-A2") == {
        phone: (Decimal("2.00"), Decimal("0.00")),
        payable: (Decimal("0.00"), Decimal("2.00")),
    }
    registers = query(
        "SELECT DISTINCT JournalRegisterNo FROM GL_DetailPosting WHERE SourceJournal = 'PJ'"
    )
    assert len(registers) == 3


def test_a_manual_check_debits_payables_and_credits_the_banks_cash_account(
    new_object: NewObject, query: Query
) -> None:
    target = query(
        "SELECT VendorNo, InvoiceNo FROM AP_OpenInvoice WHERE Balance > 10"
        " ORDER BY VendorNo, InvoiceNo"
    )[0]
    check = new_object("AP_ManualCheck_bus")
    assert check.nSetKeyValue("BankCode$", "A") == 1
    assert check.nSetKeyValue("CheckNo$", "M2001") == 1
    assert check.nSetKey() == 2
    assert check.nSetValue("VendorNo$", target["VendorNo"]) == 1
    assert check.nSetValue("CheckDate$", "20261102") == 1
    add_line(check, **{"InvoiceNo$": target["InvoiceNo"]}, AmountPaid="7.25")
    assert check.nWrite() == 1, check.sLastErrorMsg
    assert posted(query, "CD", "Check A M2001") == {
        key(query, "2100-00-00"): (Decimal("7.25"), Decimal("0.00")),
        key(query, "1200-00-00"): (Decimal("0.00"), Decimal("7.25")),
    }


def refused_invoice(new_object: NewObject, odbc: Any, change: str) -> tuple[Any, str]:
    """An A/R invoice of one /MISC line, which its write refuses once the company has had
    `change` made to it."""
    odbc.cursor().execute(change)
    invoice, invoice_no = ar_invoice(new_object)
    add_line(invoice, **{"ItemCode$": "/MISC"}, QuantityShipped=1, UnitPrice=5)
    assert invoice.nWrite() == 0
    return invoice, invoice_no


def test_an_inactive_control_account_refuses_the_document_and_nothing_posts(
    new_object: NewObject, query: Query, odbc: Any
) -> None:
    change = "UPDATE GL_Account SET Status = 'I' WHERE Account = '1100-00-00'"
    invoice, invoice_no = refused_invoice(new_object, odbc, change)
    assert (
        invoice.sLastErrorMsg
        == f"The AccountKey {key(query, '1100-00-00')} (1100-00-00) is inactive."
    )
    for table in ("AR_InvoiceHistoryHeader", "AR_InvoiceHistoryDetail", "AR_OpenInvoice"):
        assert query(f"SELECT 1 FROM {table} WHERE InvoiceNo = ?", invoice_no) == []
    assert (
        query("SELECT 1 FROM GL_DetailPosting WHERE PostingComment = ?", f"IN {invoice_no}") == []
    )


def test_a_line_with_no_sales_account_refuses_the_invoice(
    new_object: NewObject, query: Query, odbc: Any
) -> None:
    change = "UPDATE CI_Item SET SalesAcctKey = '' WHERE ItemCode = '/MISC'"
    invoice, invoice_no = refused_invoice(new_object, odbc, change)
    assert invoice.sLastErrorMsg == (
        f"IN {invoice_no}: a credit of 5.00 has no GL account to post to."
    )
    assert query("SELECT 1 FROM AR_InvoiceHistoryHeader WHERE InvoiceNo = ?", invoice_no) == []


def test_a_line_to_an_inactive_account_is_still_refused(
    new_object: NewObject, query: Query, odbc: Any
) -> None:
    odbc.cursor().execute("UPDATE GL_Account SET Status = 'I' WHERE Account = '7500-00-00'")
    invoice = ap_invoice(new_object, "RST0000", "SUP-99")
    assert invoice.oLines.nAddLine() == 1
    assert invoice.oLines.nSetValue("AccountKey$", key(query, "7500-00-00")) == 0
    assert invoice.oLines.sLastErrorMsg.endswith("(7500-00-00) is inactive.")


lines = st.lists(
    st.tuples(
        st.sampled_from(["MIR-00000", "/MISC"]),
        st.integers(1, 4),
        st.integers(1, 100_000).map(lambda cents: Decimal(cents) / 100),
        st.integers(0, 5_000).map(lambda cents: Decimal(cents) / 100),
    ),
    min_size=1,
    max_size=4,
)


@settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(lines=lines)
def test_any_posted_invoice_debits_and_credits_its_gross(
    new_object: NewObject, query: Query, lines: list[tuple[str, int, Decimal, Decimal]]
) -> None:
    invoice, invoice_no = ar_invoice(new_object)
    for item, quantity, price, tax in lines:
        add_line(
            invoice,
            **{"ItemCode$": item},
            QuantityShipped=quantity,
            UnitPrice=str(price),
            TaxAmt=str(tax),
        )
    assert invoice.nWrite() in (1, -1), invoice.sLastErrorMsg
    gross = sum((quantity * price + tax for _, quantity, price, tax in lines), Decimal(0))
    entries = posted(query, "SJ", f"IN {invoice_no}")
    assert sum(debit for debit, _ in entries.values()) == gross
    assert sum(credit for _, credit in entries.values()) == gross
