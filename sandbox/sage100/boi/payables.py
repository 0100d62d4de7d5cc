"""A/P documents through the BOI: vendor invoices (`AP_Invoice_bus`), posted on write as a
header, distribution lines to GL accounts, and an open invoice.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from sandbox.sage100.boi.documents import _DocumentObject, _extension, _tax_split
from sandbox.sage100.boi.objects import _Buffer


class AP_Invoice_bus(_DocumentObject):  # noqa: N801 (Sage's own class name)
    """A/P invoice entry, posted on write: header, distribution lines, open invoice."""

    TABLE = "AP_InvoiceHeader"
    LINE_TABLE = "AP_InvoiceDetail"
    LINE_REQUIRED = "AccountKey"
    LINE_ACCOUNT = "AccountKey"
    TERMS_TABLE = "AP_TermsCode"
    KEY = ("APDivisionNo", "VendorNo", "InvoiceNo")
    REQUIRED = ("InvoiceDate", "TermsCode")

    def nSetKey(self, *key: Any) -> int:
        self._key_values.setdefault("APDivisionNo", "01")
        if not self._key_values.get("VendorNo"):
            self._release()
            self.nEditState = 0
            return self._fail("The VendorNo is required.")
        return super().nSetKey(*key)

    def _check_key(self) -> str | None:
        division = self._key_values["APDivisionNo"]
        vendor_no = self._key_values["VendorNo"]
        vendor = self._vendor(division, vendor_no)
        if vendor is None:
            return f"The VendorNo {division}-{vendor_no} is not on file."
        if (vendor["VendorStatus"] or "A") != "A":
            return f"The VendorNo {division}-{vendor_no} is inactive."
        return None

    def _existing(self) -> sqlite3.Row | None:
        where = {k: self._key_values[k] for k in self.KEY}
        return self._row(self.TABLE, where) or self._row("AP_OpenInvoice", where)

    def _duplicate_message(self) -> str:
        return (
            f"The InvoiceNo {self._key_values['InvoiceNo']} already exists for vendor"
            f" {self._key_values['APDivisionNo']}-{self._key_values['VendorNo']}."
        )

    def _defaults(self) -> dict[str, Any]:
        vendor = self._vendor(self._key_values["APDivisionNo"], self._key_values["VendorNo"])
        return {"TermsCode": (vendor["TermsCode"] if vendor else "") or "", "HoldPayment": "N"}

    def _line_defaults(self) -> dict[str, Any]:
        return {"QuantityOrdered": "1"}

    def _finish_line(self, line: _Buffer) -> str | None:
        _extension(line, "QuantityOrdered", "UnitCost")
        return None

    def _write(self) -> str | None:
        header = self._buffer.values
        problem = self._posting_problem("InvoiceDate", "The invoice has no lines.")
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
        return None
