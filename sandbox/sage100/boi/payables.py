"""A/P documents through the BOI: vendor invoices (`AP_Invoice_bus`), posted on write as a
header, distribution lines to GL accounts, and an open invoice, raising the vendor's
balance, and adjustments of a posted invoice (InvoiceType AD, ApplyToInvoiceNo: signed
amounts, kept as entered, moving that invoice's open balance and the vendor's; the type and
column are chosen, not confirmed by the reference); and manual checks
(`AP_ManualCheck_bus`), posted on write into check history, paying down open invoices and
lowering it.
"""

from __future__ import annotations

import sqlite3
from decimal import Decimal
from typing import Any, ClassVar

from sandbox.sage100.boi.documents import (
    _DocumentObject,
    _extension,
    _PostedDocument,
    _tax_split,
)
from sandbox.sage100.boi.objects import _Buffer, _money
from sandbox.sage100.boi.posting import Entry, bank_cash_account, control_account, post_to_gl

INVOICE_TYPES = ("IN", "AD")
"""AP_Invoice_bus InvoiceType: invoice, adjustment of a posted invoice (chosen)."""


class AP_Invoice_bus(_PostedDocument):  # noqa: N801 (Sage's own class name)
    """A/P invoice entry, posted on write: header, distribution lines, open invoice."""

    TABLE = "AP_InvoiceHeader"
    LINE_TABLE = "AP_InvoiceDetail"
    LINE_REQUIRED = "AccountKey"
    LINE_ACCOUNT = "AccountKey"
    TERMS_TABLE = "AP_TermsCode"
    KEY = ("APDivisionNo", "VendorNo", "InvoiceNo")
    REQUIRED = ("InvoiceDate", "TermsCode")
    POSTING_DATE = "InvoiceDate"
    JOURNAL, MODULE = "PJ", "A/P"
    NO_LINES = "The invoice has no lines."
    DUPLICATE = "The InvoiceNo {InvoiceNo} already exists for vendor {APDivisionNo}-{VendorNo}."

    def nSetKey(self, *key: Any) -> int:
        self._key_values.setdefault("APDivisionNo", "01")
        if not self._key_values.get("VendorNo"):
            self._release()
            self.nEditState = 0
            return self._fail("The VendorNo is required.")
        return super().nSetKey(*key)

    def _check_key(self) -> str | None:
        return self._vendor_problem(self._key_values["APDivisionNo"], self._key_values["VendorNo"])

    def _existing(self) -> sqlite3.Row | None:
        where = {k: self._key_values[k] for k in self.KEY}
        return self._row(self.TABLE, where) or self._row("AP_OpenInvoice", where)

    def _defaults(self) -> dict[str, Any]:
        vendor = self._vendor(self._key_values["APDivisionNo"], self._key_values["VendorNo"])
        return {
            "TermsCode": (vendor["TermsCode"] if vendor else "") or "",
            "HoldPayment": "N",
            "InvoiceType": "IN",
        }

    def _check_value(self, column: str, value: Any) -> str | None:
        if column == "InvoiceType" and value not in INVOICE_TYPES:
            return f"The InvoiceType {value} is not valid; use {', '.join(INVOICE_TYPES)}."
        return super()._check_value(column, value)

    def _line_defaults(self) -> dict[str, Any]:
        return {"QuantityOrdered": "1"}

    def _finish_line(self, line: _Buffer) -> str | None:
        _extension(line, "QuantityOrdered", "UnitCost")
        return None

    def _post(self, header: dict[str, Any]) -> str | None:
        problem = self._adjustment_problem(header)
        if problem:
            return problem
        taxable, non_taxable, tax = _tax_split(self.oLines.written)
        total = taxable + non_taxable + tax
        self._default_due_date("AP_TermsCode", header)
        header |= {
            "TaxableAmt": str(taxable),
            "NonTaxableAmt": str(non_taxable),
            "SalesTaxAmt": str(tax),
            "InvoiceAmt": str(total),
        }
        self._upsert(self.TABLE, self._buffer, created=True)
        for seq, values in enumerate(self.oLines.written, start=1):
            detail = values | {
                "APDivisionNo": header["APDivisionNo"],
                "VendorNo": header["VendorNo"],
                "InvoiceNo": header["InvoiceNo"],
                "LineKey": f"{seq:06d}",
                "LineSeqNo": f"{seq:014d}",
            }
            self._put(self.LINE_TABLE, detail)
        self._post_to_gl(header, total, tax)
        if header.get("InvoiceType") == "AD":
            problem = self._adjust(header, total)
            if problem:
                return problem
        else:
            self._open_item(header, total)
        _vendor_balance(self, header["APDivisionNo"], header["VendorNo"], total)
        return None

    def _post_to_gl(self, header: dict[str, Any], total: Decimal, tax: Decimal) -> None:
        """Purchases journal: each line's account and the tax account debited, A/P control
        credited with the gross (an adjustment by its sign: a negative one the reverse)."""
        payable = control_account(self, "accounts payable")
        entries: list[Entry] = [
            (line["AccountKey"], _money(line.get("ExtensionAmt"))) for line in self.oLines.written
        ]
        if tax:
            entries.append((control_account(self, "sales tax payable"), tax))
        entries.append((payable, -total))
        comment = f"{header['InvoiceType']} {header['VendorNo']} {header['InvoiceNo']}"
        post_to_gl(self, comment, entries)

    def _adjustment_problem(self, header: dict[str, Any]) -> str | None:
        """Why the document cannot post as it is: an adjustment applies to an open invoice
        of its own vendor and leaves no negative balance; only an adjustment applies."""
        applied_to = header.get("ApplyToInvoiceNo") or ""
        if header.get("InvoiceType") != "AD":
            return "The ApplyToInvoiceNo is for adjustments only." if applied_to else None
        if not applied_to:
            return "The ApplyToInvoiceNo is required for an adjustment."
        division, vendor_no = header["APDivisionNo"], header["VendorNo"]
        where = {"APDivisionNo": division, "VendorNo": vendor_no, "InvoiceNo": applied_to}
        invoice = self._row("AP_OpenInvoice", where)
        if invoice is None:
            return _not_open(applied_to, division, vendor_no)
        total = sum(_tax_split(self.oLines.written), Decimal(0))
        if _money(invoice["Balance"]) + total < 0:
            return (
                f"The adjustment of {total:.2f} exceeds the balance"
                f" {_money(invoice['Balance']):.2f} of invoice {applied_to}."
            )
        return None

    def _adjust(self, header: dict[str, Any], total: Decimal) -> str | None:
        """An adjustment moves the open balance of the invoice it applies to; it has no
        open item of its own."""
        where = {"APDivisionNo": header["APDivisionNo"], "VendorNo": header["VendorNo"],
                 "InvoiceNo": header["ApplyToInvoiceNo"]}  # fmt: skip
        invoice = self._row("AP_OpenInvoice", where)
        assert invoice is not None  # checked before the header was written
        self._update(
            "AP_OpenInvoice", {"Balance = ?": str(_money(invoice["Balance"]) + total)}, where
        )
        return None

    def _open_item(self, header: dict[str, Any], total: Decimal) -> None:
        open_invoice = {
            "APDivisionNo": header["APDivisionNo"],
            "VendorNo": header["VendorNo"],
            "InvoiceNo": header["InvoiceNo"],
            "InvoiceDate": header["InvoiceDate"],
            "InvoiceDueDate": header["InvoiceDueDate"],
            "InvoiceAmt": str(total),
            "Balance": str(total),
            "Comment": header.get("Comment") or "",
        }
        self._put("AP_OpenInvoice", open_invoice)


def _vendor_balance(
    document: _DocumentObject, division: str, vendor_no: str, delta: Decimal, paid_on: str = ""
) -> None:
    """Keeps AP_Vendor.BalanceDue with the vendor's open invoices (and, for a payment, its
    LastPaymentDate)."""
    changes = {"BalanceDue = COALESCE(BalanceDue, 0) + ?": str(delta)}
    if paid_on:
        changes["LastPaymentDate = ?"] = paid_on
    document._update("AP_Vendor", changes, {"APDivisionNo": division, "VendorNo": vendor_no})


def _not_open(invoice_no: str, division: str, vendor_no: str) -> str:
    return f"The InvoiceNo {invoice_no} is not an open invoice of vendor {division}-{vendor_no}."


class AP_ManualCheck_bus(_PostedDocument):  # noqa: N801 (named as Sage names its objects)
    """Manual Check and Payment Entry: one check to one vendor from one bank, applied to
    the vendor's open invoices (`oLines`: InvoiceNo, AmountPaid), posted on write into
    AP_CheckHistoryHeader/Detail. The object's name and columns are chosen, not confirmed
    by the reference."""

    TABLE = "AP_CheckHistoryHeader"
    LINE_TABLE = "AP_CheckHistoryDetail"
    LINE_REQUIRED = "InvoiceNo"
    LINE_AMOUNT = "AmountPaid"
    KEY = ("BankCode", "CheckNo")
    REQUIRED = ("VendorNo", "CheckDate")
    POSTING_DATE = "CheckDate"
    JOURNAL, MODULE = "CD", "A/P"
    NO_LINES = "The check is not applied to any invoice."
    DUPLICATE = "The CheckNo {CheckNo} has already been used for bank code {BankCode}."
    CODES: ClassVar[dict[str, tuple[str, ...]]] = {
        "CheckType": ("M", "W"),
        "ACHElectronicPayment": ("Y", "N"),
    }

    def _check_key(self) -> str | None:
        bank_code = self._key_values["BankCode"]
        where = {"BankCode": bank_code}
        return self._reference_problem(
            f"BankCode {bank_code}", "GL_Bank", where, status="BankStatus"
        )

    def _defaults(self) -> dict[str, Any]:
        return {
            "CheckSeqNo": "000000",
            "CheckType": "M",
            "APDivisionNo": "01",
            "CheckDate": self.session.today().isoformat(),
            "SourceJournal": "CD",
            "ACHElectronicPayment": "N",
        }

    def _vendor_no(self) -> tuple[str, str]:
        return self._buffer.text("APDivisionNo") or "01", self._buffer.text("VendorNo")

    def _check_value(self, column: str, value: Any) -> str | None:
        if column == "VendorNo":
            division = self._buffer.text("APDivisionNo") or "01"
            problem = self._vendor_problem(division, value)
            if problem:
                return problem
            vendor = self._vendor(division, value)
            assert vendor is not None
            self._buffer.values["VendorName"] = vendor["VendorName"] or ""
        return super()._check_value(column, value)

    def _line_defaults(self) -> dict[str, Any]:
        return {"InvoiceSeqNo": "000000"}

    def _check_line_value(self, line: _Buffer, column: str, value: Any) -> str | None:
        if column == "InvoiceNo":
            division, vendor_no = self._vendor_no()
            if not vendor_no:
                return "The VendorNo is required before the invoices it pays."
            where = {"APDivisionNo": division, "VendorNo": vendor_no, "InvoiceNo": value}
            if self._row("AP_OpenInvoice", where) is None:
                return _not_open(value, division, vendor_no)
            if any(written["InvoiceNo"] == value for written in self.oLines.written):
                return f"The InvoiceNo {value} is already paid on this check."
        return None

    def _post(self, header: dict[str, Any]) -> str | None:
        division, vendor_no = self._vendor_no()
        total = Decimal(0)
        for values in self.oLines.written:
            where = {
                "APDivisionNo": division,
                "VendorNo": vendor_no,
                "InvoiceNo": values["InvoiceNo"],
            }
            open_invoice = self._row("AP_OpenInvoice", where)
            if open_invoice is None:  # paid off by another session since the line was set
                return _not_open(values["InvoiceNo"], division, vendor_no)
            paid, balance = _money(values["AmountPaid"]), _money(open_invoice["Balance"])
            if paid > balance:
                return (
                    f"The AmountPaid {paid:.2f} exceeds the balance {balance:.2f}"
                    f" of invoice {values['InvoiceNo']}."
                )
            self._put(
                self.LINE_TABLE,
                values
                | {
                    "BankCode": header["BankCode"],
                    "CheckNo": header["CheckNo"],
                    "CheckSeqNo": header["CheckSeqNo"],
                    "InvoiceDate": open_invoice["InvoiceDate"],
                    "APDivisionNo": division,
                    "VendorNo": vendor_no,
                },
            )
            paid_down = {
                "Balance = ?": str(balance - paid),
                "CheckNo = ?": header["CheckNo"],
                "CheckDate = ?": header["CheckDate"],
            }
            self._update("AP_OpenInvoice", paid_down, where)
            total += paid
        self._post_to_gl(header, total)
        header |= {"CheckAmt": str(total), "TransactionDate": header["CheckDate"]}
        self._upsert(self.TABLE, self._buffer, created=True)
        _vendor_balance(self, division, vendor_no, -total, header["CheckDate"])
        return None

    def _post_to_gl(self, header: dict[str, Any], total: Decimal) -> None:
        """Check disbursements journal: A/P control debited, the bank's cash account
        credited."""
        payable = control_account(self, "accounts payable")
        cash = bank_cash_account(self, header["BankCode"])
        comment = f"Check {header['BankCode']} {header['CheckNo']}"
        post_to_gl(self, comment, [(payable, total), (cash, -total)])
