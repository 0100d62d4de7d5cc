"""What the sandbox company's rows hold for the generator's records: the columns of a Sage
100 AR_Customer, AP_Vendor, CI_Item, GL_Account, AR_InvoiceHistoryHeader/Detail and
AP_InvoiceHeader/Detail row (Sage 100's own columns, as `schema.sql` declares them), and the codes
this company uses in them (terms, tax classes, account types, order statuses).

Each function gives the columns one record fills; keys, balances and audit stamps are
added by `seed`. Values are `str`, `Decimal` or `date`, as the company file stores them.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from canonical import (
    Customer,
    DocumentLine,
    GLAccount,
    Product,
    PurchaseInvoice,
    SalesInvoice,
    Supplier,
)
from sandbox.sage100 import numbering

Row = dict[str, Any]

TERMS: tuple[tuple[str, str, int], ...] = (
    ("00", "Cash on delivery", 0),
    ("01", "Net 7 days", 7),
    ("02", "Net 14 days", 14),
    ("03", "Net 30 days", 30),
    ("04", "Net 45 days", 45),
    ("05", "Net 60 days", 60),
    ("06", "Net 90 days", 90),
)
"""AR_TermsCode and AP_TermsCode of the company: code, description, DaysBeforeDue."""

DEFAULT_TERMS = "03"

TAX_CLASSES: dict[Decimal, str] = {Decimal(20): "TX", Decimal(5): "RD", Decimal(0): "NT"}
"""CI_Item.TaxClass the company charges each VAT rate under."""

ACCOUNT_TYPES: dict[str, str] = {
    "asset": "A",
    "liability": "L",
    "equity": "C",
    "income": "I",
    "expense": "E",
}
"""GL_Account.AccountType per kind of account."""

ORDER_STATUSES: dict[str, str] = dict(
    zip(
        ("open", "backordered", "on_hold", "shipped", "invoiced", "complete", "cancelled"),
        "OBHSICX",
        strict=True,
    )
)
"""SO_SalesOrderHeader.OrderStatus per state of an order."""

PAYMENT_TYPES: dict[str, str] = dict(
    zip(
        ("BACS", "Cheque", "Card", "Cash", "Direct Debit"),
        ("BACS", "CHECK", "CARD", "CASH", "DD"),
        strict=True,
    )
)
"""AR_CashReceiptsHistory.PaymentType per payment method."""

MISC_CHARGE_ITEM = "/MISC"
"""The miscellaneous charge item of invoice lines that sell no product."""


def terms_code(days: int, *, record: str) -> str:
    """The company's terms code for a number of days before due."""
    for terms, _, terms_days in TERMS:
        if terms_days == days:
            return terms
    raise ValueError(f"{record}: no terms code for {days} days (payment_terms_days)")


def payment_type(method: str | None) -> str:
    if not method:
        return ""
    return PAYMENT_TYPES.get(method, method.upper()[:5])


@dataclass(frozen=True)
class Chart:
    """The company's GL chart: AccountKey of each formatted Account."""

    account_keys: dict[str, str]

    def key_of(self, main_code: str, *, record: str) -> str:
        formatted = numbering.account(main_code)
        if formatted not in self.account_keys:
            raise ValueError(f"{record}: GL account {formatted} is not in the chart")
        return self.account_keys[formatted]


def _party_contact(party: Customer | Supplier, table: str) -> Row:
    if len(party.address_lines) > 3:
        raise ValueError(f"{table} {party.key}: Sage 100 keeps three address lines")
    line1, line2, line3 = (*party.address_lines, "", "", "")[:3]
    return {
        "AddressLine1": line1,
        "AddressLine2": line2,
        "AddressLine3": line3,
        "City": party.city or "",
        "State": party.region or "",
        "ZipCode": party.postcode or "",
        "CountryCode": party.country or "",
        "TelephoneNo": party.phone or "",
        "EmailAddress": party.email or "",
    }


def customer(record: Customer) -> Row:
    """AR_Customer columns of a customer (its key and balance apart)."""
    return _party_contact(record, "AR_Customer") | {
        "CustomerName": record.name,
        "TaxExemptNo": record.tax_number or "",
        "TermsCode": terms_code(record.payment_terms_days, record=f"customer {record.key}"),
        "CreditLimit": record.credit_limit or Decimal(0),
        "CustomerStatus": "A" if record.active else "I",
    }


def vendor(record: Supplier) -> Row:
    """AP_Vendor columns of a supplier; AP_Vendor keeps no tax number."""
    return _party_contact(record, "AP_Vendor") | {
        "VendorName": record.name,
        "TermsCode": terms_code(record.payment_terms_days, record=f"supplier {record.key}"),
        "VendorStatus": "A" if record.active else "I",
    }


def item(record: Product, chart: Chart) -> Row:
    """CI_Item columns of a product: a stock item (type 1) or a service (type 3)."""
    if record.tax_rate not in TAX_CLASSES:
        raise ValueError(f"product {record.key}: no tax class for {record.tax_rate}% (tax_rate)")
    return {
        "ItemCodeDesc": record.name,
        "ItemType": "1" if record.track_stock else "3",
        "CommentText": record.description or "",
        "StandardUnitPrice": record.unit_price,
        "StandardUnitCost": record.unit_cost or Decimal(0),
        "TaxClass": TAX_CLASSES[record.tax_rate],
        "InactiveItem": "N" if record.active else "Y",
        "SalesAcctKey": chart.key_of(record.sales_account, record=f"product {record.key}")
        if record.sales_account
        else "",
    }


def gl_account(record: GLAccount) -> Row:
    """GL_Account columns of an account (AccountKey and the formatted Account apart)."""
    kind = record.account_type or ""
    return {
        "AccountDesc": record.name,
        "AccountType": ACCOUNT_TYPES.get(kind, ""),
        "AccountCategory": "I" if kind in ("income", "expense") else "B",
        "Status": "A" if record.active else "I",
    }


def _description(text: str, table: str) -> Row:
    """ItemCodeDesc holds what fits; a longer description is kept whole in CommentText."""
    limit = numbering.width(table, "ItemCodeDesc")
    if len(text) <= limit:
        return {"ItemCodeDesc": text, "CommentText": ""}
    return {"ItemCodeDesc": text[:limit], "CommentText": text}


def _amounts(line: DocumentLine) -> Row:
    return {
        "ExtensionAmt": line.net_amount,
        "TaxRate": line.tax_rate,
        "TaxAmt": line.tax_amount,
    }


def _taxable(lines: tuple[DocumentLine, ...]) -> Decimal:
    """What a line with a tax rate or amount adds up to: Sage's taxable sales."""
    return sum((line.net_amount for line in lines if line.tax_rate or line.tax_amount), Decimal(0))


def invoice_history(
    invoice: SalesInvoice, products: dict[str, Product], chart: Chart
) -> tuple[Row, list[Row]]:
    """AR_InvoiceHistoryHeader columns (keys and terms apart) and one
    AR_InvoiceHistoryDetail row per line, in line order. A line whose product the company
    does not hold is a miscellaneous charge."""
    taxable = _taxable(invoice.lines)
    header = {
        "InvoiceDate": invoice.issue_date,
        "TransactionDate": invoice.issue_date,
        "CustomerPONo": invoice.reference or "",
        "TaxableSalesAmt": taxable,
        "NonTaxableSalesAmt": invoice.net_amount - taxable,
        "SalesTaxAmt": invoice.tax_amount,
    }
    if invoice.due_date is not None:
        header["InvoiceDueDate"] = invoice.due_date
    details = []
    for seq, line in enumerate(sorted(invoice.lines, key=lambda x: x.line_no), start=1):
        product = products.get(line.product_key or "")
        record = f"sales invoice {invoice.key}"
        details.append(
            {
                "DetailSeqNo": f"{seq:06d}",
                "ItemCode": numbering.code(product.key, "CI_Item", "ItemCode")
                if product is not None
                else MISC_CHARGE_ITEM,
                "ItemType": "1" if product is not None and product.track_stock else "3",
                "WarehouseCode": "000",
                **_description(line.description, "AR_InvoiceHistoryDetail"),
                "QuantityOrdered": line.quantity,
                "QuantityShipped": line.quantity,
                "UnitPrice": line.unit_price,
                **_amounts(line),
                "SalesAcctKey": chart.key_of(line.gl_account, record=record)
                if line.gl_account
                else "",
            }
        )
    return header, details


def ap_invoice(invoice: PurchaseInvoice, chart: Chart) -> tuple[Row, list[Row]]:
    """AP_InvoiceHeader columns (keys and terms apart) and one AP_InvoiceDetail
    distribution line per invoice line, each to a GL account."""
    taxable = _taxable(invoice.lines)
    header = {
        "InvoiceDate": invoice.issue_date,
        "Comment": invoice.reference or "",
        "InvoiceAmt": invoice.gross_amount,
        "TaxableAmt": taxable,
        "NonTaxableAmt": invoice.net_amount - taxable,
        "SalesTaxAmt": invoice.tax_amount,
    }
    if invoice.due_date is not None:
        header["InvoiceDueDate"] = invoice.due_date
    record = f"purchase invoice {invoice.key}"
    details = []
    for seq, line in enumerate(sorted(invoice.lines, key=lambda x: x.line_no), start=1):
        if not line.gl_account:
            raise ValueError(f"{record}: line {line.line_no} has no GL account (gl_account)")
        details.append(
            {
                "LineKey": f"{seq:06d}",
                "LineSeqNo": f"{seq:014d}",
                "AccountKey": chart.key_of(line.gl_account, record=record),
                "CommentText": line.description,
                "QuantityOrdered": line.quantity,
                "UnitCost": line.unit_price,
                **_amounts(line),
            }
        )
    return header, details
