"""A/R documents through the BOI: invoices (`AR_Invoice_bus`), posted on write to invoice
history and open invoices, taking stock and raising the customer's balance, and credit
and debit memos (InvoiceType CM, DM: entered as positive amounts, kept negative in history
for a credit) that apply to an open invoice's balance or stand as open items of their
own; and cash receipts (`AR_CashReceipts_bus`), applied to open invoices and lowering it.
"""

from __future__ import annotations

import sqlite3
from decimal import Decimal
from typing import Any

from sandbox.sage100.boi.documents import (
    _extension,
    _PostedDocument,
    _tax_split,
)
from sandbox.sage100.boi.objects import _Buffer, _money
from sandbox.sage100.boi.posting import Entry, bank_cash_account, control_account, post_to_gl

INVOICE_TYPES = ("IN", "CM", "DM")
"""AR_Invoice_bus InvoiceType: invoice, credit memo, debit memo."""


def _signed(line: dict[str, Any], sign: Decimal) -> dict[str, Any]:
    """A line as history keeps it: a credit memo's quantity and amounts negative."""
    if sign > 0:
        return dict(line)
    return line | {
        column: str(-_money(line.get(column)))
        for column in ("QuantityShipped", "QuantityOrdered", "ExtensionAmt", "TaxAmt")
    }


class AR_Invoice_bus(_PostedDocument):  # noqa: N801 (Sage's own class name)
    """A/R invoice data entry, posted on write to invoice history and open invoices."""

    TABLE = "AR_InvoiceHistoryHeader"
    LINE_TABLE = "AR_InvoiceHistoryDetail"
    LINE_REQUIRED = "ItemCode"
    LINE_ACCOUNT = "SalesAcctKey"
    TERMS_TABLE = "AR_TermsCode"
    KEY = ("InvoiceNo",)
    REQUIRED = ("CustomerNo", "InvoiceDate", "TermsCode")
    POSTING_DATE = "InvoiceDate"
    JOURNAL, MODULE = "SJ", "A/R"
    NO_LINES = "The invoice has no lines."
    DUPLICATE = "The InvoiceNo {InvoiceNo} already exists."

    def nGetNextInvoiceNo(self, invoice_no: str = "") -> tuple[int, str]:
        return self._next_document_no(
            "SELECT InvoiceNo FROM AR_InvoiceHistoryHeader UNION SELECT InvoiceNo"
            " FROM AR_OpenInvoice",
            7,
        )

    def _existing(self) -> sqlite3.Row | None:
        number = self._key_values["InvoiceNo"]
        return self._row("AR_InvoiceHistoryHeader", {"InvoiceNo": number}) or self._row(
            "AR_OpenInvoice", {"InvoiceNo": number}
        )

    def _defaults(self) -> dict[str, Any]:
        return {
            "HeaderSeqNo": "000000",
            "ModuleCode": "A/R",
            "InvoiceType": "IN",
            "ARDivisionNo": "01",
            "SourceJournal": "SJ",
        }

    def _check_value(self, column: str, value: Any) -> str | None:
        if column == "InvoiceType" and value not in INVOICE_TYPES:
            return f"The InvoiceType {value} is not valid; use {', '.join(INVOICE_TYPES)}."
        if column == "CustomerNo":
            division = self._buffer.text("ARDivisionNo") or "01"
            where = {"ARDivisionNo": division, "CustomerNo": value}
            problem = self._reference_problem(
                f"CustomerNo {division}-{value}", "AR_Customer", where, status="CustomerStatus"
            )
            if problem:
                return problem
            customer = self._customer(division, value)
            assert customer is not None
            self._buffer.values |= {
                "TermsCode": customer["TermsCode"] or "",
                "BillToName": customer["CustomerName"] or "",
                "BillToAddress1": customer["AddressLine1"] or "",
                "BillToCity": customer["City"] or "",
                "BillToZipCode": customer["ZipCode"] or "",
                "BillToCountryCode": customer["CountryCode"] or "",
            }
        return super()._check_value(column, value)

    def _line_defaults(self) -> dict[str, Any]:
        return {"ItemType": "1", "WarehouseCode": "000", "QuantityShipped": "1"}

    def _check_line_value(self, line: _Buffer, column: str, value: Any) -> str | None:
        if column == "ItemCode":
            problem = self._item_problem(value)
            if problem:
                return problem
            item = self._row("CI_Item", {"ItemCode": value})
            assert item is not None
            line.values |= {
                "ItemType": item["ItemType"] or "1",
                "ItemCodeDesc": line.values.get("ItemCodeDesc") or item["ItemCodeDesc"] or "",
                "SalesAcctKey": line.values.get("SalesAcctKey") or item["SalesAcctKey"] or "",
                "WarehouseCode": item["DefaultWarehouseCode"] or "000",
                "UnitPrice": line.values.get("UnitPrice") or str(item["StandardUnitPrice"] or 0),
            }
        return super()._check_line_value(line, column, value)

    def _finish_line(self, line: _Buffer) -> str | None:
        problem = self._account_problem(line.text("SalesAcctKey"))
        if problem:
            return problem
        _extension(line, "QuantityShipped", "UnitPrice")
        line.values.setdefault("QuantityOrdered", line.values.get("QuantityShipped", "1"))
        return None

    def _post(self, header: dict[str, Any]) -> str | None:
        kind = header.get("InvoiceType") or "IN"
        applied_to = header.get("ApplyToInvoiceNo") or ""
        problem = self._apply_to_problem(kind, applied_to)
        if problem:
            return problem
        sign = Decimal(-1) if kind == "CM" else Decimal(1)
        lines = [_signed(values, sign) for values in self.oLines.written]
        taxable, non_taxable, tax = _tax_split(lines)
        header |= {
            "TaxableSalesAmt": str(taxable),
            "NonTaxableSalesAmt": str(non_taxable),
            "SalesTaxAmt": str(tax),
            "TransactionDate": header["InvoiceDate"],
        }
        self._default_due_date("AR_TermsCode", header)
        self._upsert(self.TABLE, self._buffer, created=True)
        for seq, values in enumerate(lines, start=1):
            detail = values | {
                "InvoiceNo": header["InvoiceNo"],
                "HeaderSeqNo": header["HeaderSeqNo"],
                "DetailSeqNo": f"{seq:06d}",
            }
            self._put(self.LINE_TABLE, detail)
            self._take_stock(values)
        total = taxable + non_taxable + tax
        self._post_to_gl(header, lines, total, tax)
        if applied_to:
            self._apply_to(header, applied_to, total)
        else:
            self._open_item(header, taxable, non_taxable, tax)
        customer = self._customer(header["ARDivisionNo"], header["CustomerNo"])
        if customer is not None and total > 0:
            limit = _money(customer["CreditLimit"])
            owed = _money(customer["CurrentBalance"]) + total
            if limit and owed > limit:
                self._warning = (
                    f"The CustomerNo {header['ARDivisionNo']}-{header['CustomerNo']} is over"
                    f" its credit limit of {limit:.2f} by {owed - limit:.2f}."
                )
        self._update_customer_balance(header["ARDivisionNo"], header["CustomerNo"], total)
        return None

    def _post_to_gl(
        self, header: dict[str, Any], lines: list[dict[str, Any]], total: Decimal, tax: Decimal
    ) -> None:
        """Sales journal: A/R control debited with the gross, each line's sales account
        and sales tax payable credited (a credit memo, signed negative, the reverse)."""
        entries: list[Entry] = [(control_account(self, "accounts receivable"), total)]
        entries += [(line.get("SalesAcctKey") or "", -_money(line.get("ExtensionAmt")))
                    for line in lines]  # fmt: skip
        if tax:
            entries.append((control_account(self, "sales tax payable"), -tax))
        post_to_gl(self, f"{header.get('InvoiceType') or 'IN'} {header['InvoiceNo']}", entries)

    def _apply_to_problem(self, kind: str, applied_to: str) -> str | None:
        """Why a memo cannot apply to `applied_to`: only credit and debit memos apply to
        an invoice, and only to an open invoice of their own customer."""
        if not applied_to:
            return None
        if kind == "IN":
            return "The ApplyToInvoiceNo is for credit and debit memos only."
        division, customer_no = (
            self._buffer.values["ARDivisionNo"],
            self._buffer.values["CustomerNo"],
        )
        where = {"ARDivisionNo": division, "CustomerNo": customer_no, "InvoiceNo": applied_to,
                 "InvoiceType": "IN"}  # fmt: skip
        if self._row("AR_OpenInvoice", where) is None:
            return (
                f"The ApplyToInvoiceNo {applied_to} is not an open invoice of customer"
                f" {division}-{customer_no}."
            )
        return None

    def _apply_to(self, header: dict[str, Any], applied_to: str, total: Decimal) -> None:
        """A memo applied to an invoice moves that invoice's open balance (a credit down,
        a debit up); it has no open item of its own."""
        where = {"ARDivisionNo": header["ARDivisionNo"], "CustomerNo": header["CustomerNo"],
                 "InvoiceNo": applied_to, "InvoiceType": "IN"}  # fmt: skip
        invoice = self._row("AR_OpenInvoice", where)
        assert invoice is not None
        self._update(
            "AR_OpenInvoice", {"Balance = ?": str(_money(invoice["Balance"]) + total)}, where
        )

    def _open_item(
        self, header: dict[str, Any], taxable: Decimal, non_taxable: Decimal, tax: Decimal
    ) -> None:
        open_invoice = {
            "ARDivisionNo": header["ARDivisionNo"],
            "CustomerNo": header["CustomerNo"],
            "InvoiceNo": header["InvoiceNo"],
            "InvoiceType": header["InvoiceType"],
            "InvoiceDate": header["InvoiceDate"],
            "InvoiceDueDate": header["InvoiceDueDate"],
            "InvoiceHistoryHeaderSeqNo": header["HeaderSeqNo"],
            "PostingDate": header["InvoiceDate"],
            "TermsCode": header["TermsCode"],
            "CustomerPONo": header.get("CustomerPONo") or "",
            "Comment": header.get("Comment") or "",
            "TaxableAmt": str(taxable),
            "NonTaxableAmt": str(non_taxable),
            "SalesTaxAmt": str(tax),
            "Balance": str(taxable + non_taxable + tax),
        }
        self._put("AR_OpenInvoice", open_invoice)

    def _take_stock(self, line: dict[str, Any]) -> None:
        if line.get("ItemType") != "1":
            return
        quantity = _money(line.get("QuantityShipped"))
        where = {"ItemCode": line["ItemCode"], "WarehouseCode": line.get("WarehouseCode") or "000"}
        if self._update(
            "IM_ItemWarehouse", {"QuantityOnHand = QuantityOnHand - ?": str(quantity)}, where
        ):
            self._item_total(line["ItemCode"], -quantity)

    def _update_customer_balance(self, division: str, customer_no: str, delta: Decimal) -> None:
        stamp = self._stamp()
        changes = {
            "CurrentBalance = COALESCE(CurrentBalance, 0) + ?": str(delta),
            "DateLastActivity = ?": stamp["DateUpdated"],
        }
        self._update(
            "AR_Customer", changes, {"ARDivisionNo": division, "CustomerNo": customer_no}, stamp
        )


class AR_CashReceipts_bus(_PostedDocument):  # noqa: N801 (Sage's own class name)
    """Cash receipts: one check from one customer applied to open invoices (`oLines`)."""

    TABLE = "AR_CashReceiptsHistory"
    LINE_TABLE = "AR_CashReceiptsHistory"
    LINE_REQUIRED = "InvoiceNo"
    LINE_AMOUNT = "CashAmountApplied"
    KEY = ("DepositNo", "ARDivisionNo", "CustomerNo", "CheckNo")
    POSTING_DATE = "DepositDate"
    JOURNAL, MODULE = "CR", "A/R"
    NO_LINES = "The receipt is not applied to any invoice."
    DUPLICATE = "Check {CheckNo} is already posted to deposit {DepositNo}."

    def nGetNextDepositNo(self, deposit_no: str = "") -> tuple[int, str]:
        return self._next_document_no("SELECT DepositNo FROM AR_CashReceiptsHistory", 5)

    def _check_key(self) -> str | None:
        division = self._key_values["ARDivisionNo"]
        customer_no = self._key_values["CustomerNo"]
        if self._customer(division, customer_no) is None:
            return f"The CustomerNo {division}-{customer_no} is not on file."
        return None

    def _defaults(self) -> dict[str, Any]:
        return {
            "BankCode": "A",
            "DepositType": "C",
            "DepositDate": self.session.today().isoformat(),
            "TransactionType": "P",
            "CreditCardEntryNo": "000000",
        }

    def _check_line_value(self, line: _Buffer, column: str, value: Any) -> str | None:
        if column == "InvoiceNo":
            open_invoice = self._row(
                "AR_OpenInvoice",
                {
                    "ARDivisionNo": self._buffer.values["ARDivisionNo"],
                    "CustomerNo": self._buffer.values["CustomerNo"],
                    "InvoiceNo": value,
                },
            )
            if open_invoice is None:
                return f"The InvoiceNo {value} is not an open invoice of this customer."
        return None

    def _post(self, header: dict[str, Any]) -> str | None:
        total = Decimal(0)
        customer = self._customer(header["ARDivisionNo"], header["CustomerNo"])
        assert customer is not None
        for seq, values in enumerate(self.oLines.written, start=1):
            where = {
                "ARDivisionNo": header["ARDivisionNo"],
                "CustomerNo": header["CustomerNo"],
                "InvoiceNo": values["InvoiceNo"],
            }
            open_invoice = self._row("AR_OpenInvoice", where)
            assert open_invoice is not None
            applied = _money(values["CashAmountApplied"])
            balance = _money(open_invoice["Balance"])
            if applied > balance:
                return (
                    f"The amount applied {applied} exceeds the balance {balance}"
                    f" of invoice {values['InvoiceNo']}."
                )
            self._put(
                self.TABLE,
                dict(header)
                | values
                | {
                    "SequenceNo": f"{seq:06d}",
                    "PostingDate": header["DepositDate"],
                    "CustomerName": customer["CustomerName"],
                    "InvoiceType": open_invoice["InvoiceType"],
                    "InvoiceBalance": str(balance - applied),
                },
            )
            self._update("AR_OpenInvoice", {"Balance = ?": str(balance - applied)}, where)
            total += applied
        self._post_to_gl(header, total)
        paid = {
            "CurrentBalance = COALESCE(CurrentBalance, 0) - ?": str(total),
            "LastPaymentAmt = ?": str(total),
            "DateLastPayment = ?": header["DepositDate"],
        }
        customer_key = {"ARDivisionNo": header["ARDivisionNo"], "CustomerNo": header["CustomerNo"]}
        self._update("AR_Customer", paid, customer_key)
        return None

    def _post_to_gl(self, header: dict[str, Any], total: Decimal) -> None:
        """Cash receipts journal: the bank's cash account debited, A/R control credited."""
        cash = bank_cash_account(self, header["BankCode"])
        receivable = control_account(self, "accounts receivable")
        comment = f"Deposit {header['DepositNo']} check {header['CheckNo']}"
        post_to_gl(self, comment, [(cash, total), (receivable, -total)])
