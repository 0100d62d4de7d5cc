"""Mapping between Sage 100 rows and canonical records, both ways.

Reading: `*_from_row(s)` take rows as the ODBC reader returns them (column name -> value,
decimals as text or numbers, dates as `date`) and build canonical records. Writing:
`*_fields` give the Sage column values (`str`, `Decimal` or `date`) for a canonical record,
in the order a BOI script sets them. `Lookups` carries what a mapping needs from the
company itself: terms codes (days before due), GL accounts (AccountKey <-> Account), the
company currency (Sage 100 Standard keeps no currency per customer or document).

What does not survive a trip through Sage, and why: `currency` is the company's;
`credit_limit` of 0 reads back as None (Sage cannot tell "no limit" from 0); a product's
`unit_cost` of 0 likewise; a vendor's tax number has no column in AP_Vendor; a line
description longer than ItemCodeDesc (30) is kept whole in CommentText.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any, TypedDict

import canonical
from canonical.records import OrderState
from connectors.sage100 import keys

SYSTEM = "sage100"
MISC_CHARGE_ITEM = "/MISC"
"""The miscellaneous charge code used for invoice lines that sell no product."""

ItemDescWidth = 30

TAX_CLASS_RATES: dict[str, Decimal] = {"TX": Decimal(20), "RD": Decimal(5), "NT": Decimal(0)}
"""Item tax classes of the sandbox company and the VAT rate each stands for."""

ACCOUNT_TYPES: dict[str, str] = {
    "A": "asset",
    "L": "liability",
    "C": "equity",
    "I": "income",
    "E": "expense",
}

ORDER_STATUSES: dict[str, OrderState] = {
    "N": "open",
    "O": "open",
    "B": "backordered",
    "H": "on_hold",
    "S": "shipped",
    "I": "invoiced",
    "C": "complete",
    "X": "cancelled",
}
ORDER_STATUS_CODES: dict[str, str] = {
    "open": "O",
    "backordered": "B",
    "on_hold": "H",
    "shipped": "S",
    "invoiced": "I",
    "complete": "C",
    "cancelled": "X",
}

PAYMENT_TYPES: dict[str, str] = {
    "BACS": "BACS",
    "Cheque": "CHECK",
    "Card": "CARD",
    "Cash": "CASH",
    "Direct Debit": "DD",
}

Row = Mapping[str, Any]


@dataclass(frozen=True)
class Lookups:
    """What mappings need from the company: terms codes, GL accounts, currency."""

    ar_terms: Mapping[str, int] = field(default_factory=dict)
    ap_terms: Mapping[str, int] = field(default_factory=dict)
    accounts: Mapping[str, str] = field(default_factory=dict)
    """AccountKey -> Account ("000000007" -> "4000-00-00")."""
    currency: str = "GBP"

    def account(self, account_key: str | None) -> str | None:
        if not account_key:
            return None
        return self.accounts.get(account_key, account_key)

    def account_key(self, account: str, *, entity: str, key: str, field: str) -> str:
        try:
            formatted = keys.account_for(account)
        except ValueError as exc:
            raise refused(str(exc), entity=entity, key=key, field=field) from None
        for account_key, known in self.accounts.items():
            if known == formatted:
                return account_key
        raise refused(
            f"GL account {formatted} is not in the Sage 100 chart",
            entity=entity,
            key=key,
            field=field,
        )

    def terms_code(self, days: int, *, ap: bool, entity: str, key: str) -> str:
        table = self.ap_terms if ap else self.ar_terms
        for code, code_days in sorted(table.items()):
            if code_days == days:
                return code
        raise refused(
            f"no {'A/P' if ap else 'A/R'} terms code for {days} days",
            entity=entity,
            key=key,
            field="payment_terms_days",
        )


def refused(message: str, *, entity: str, key: str, field: str) -> canonical.ValidationFailed:
    """The error for a record Sage 100 cannot take as it is: which field, and why."""
    return canonical.ValidationFailed(message, system=SYSTEM, entity=entity, key=key, field=field)


def text(value: Any) -> str | None:
    """Sage stores empty strings, not NULLs: both read as None."""
    if value is None:
        return None
    stripped = str(value).strip()
    return stripped or None


class UnreadableColumn(ValueError):
    """A column whose value is not what Sage 100 keeps there; `column` names it."""

    def __init__(self, column: str, value: Any, wanted: str) -> None:
        self.column, self.value = column, value
        super().__init__(f"{column} is {value!r}, not {wanted}")


def number(row: Row, column: str) -> Decimal:
    """A numeric column (an empty one reads as zero, as Sage shows it)."""
    value = row.get(column)
    if value is None or str(value).strip() == "":
        return Decimal(0)
    try:
        return canonical.to_decimal(value)
    except ValueError:
        raise UnreadableColumn(column, value, "a number") from None


def whole(row: Row, column: str) -> int:
    """A whole-number column that must hold a value (a line's sequence number)."""
    value = row.get(column)
    try:
        read = canonical.to_decimal(value)
    except ValueError:
        raise UnreadableColumn(column, value, "a whole number") from None
    if read != read.to_integral_value():
        raise UnreadableColumn(column, value, "a whole number")
    return int(read)


def day(row: Row, column: str) -> date | None:
    """A date column; empty reads as None."""
    value = row.get(column)
    if isinstance(value, str):
        value = value.strip()
    if value is None or value == "":
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        raise UnreadableColumn(column, value, "a date") from None


# --------------------------------------------------------------------------------------
# Masters
# --------------------------------------------------------------------------------------


def _contact_from_row(row: Row) -> dict[str, Any]:
    """Email, phone and address of an AR_Customer or AP_Vendor row, as party fields
    (the reverse of `_address_fields` and the contact columns)."""
    return {
        "email": text(row.get("EmailAddress")),
        "phone": text(row.get("TelephoneNo")),
        "address_lines": tuple(
            line
            for line in (text(row.get(f"AddressLine{i}")) for i in (1, 2, 3))
            if line is not None
        ),
        "city": text(row.get("City")),
        "region": text(row.get("State")),
        "postcode": text(row.get("ZipCode")),
        "country": text(row.get("CountryCode")),
    }


def customer_from_row(row: Row, lookups: Lookups) -> canonical.Customer:
    division, customer_no = row["ARDivisionNo"], row["CustomerNo"]
    limit = number(row, "CreditLimit")
    return canonical.Customer.build(
        system=SYSTEM,
        key=keys.customer_key(division, customer_no),
        name=text(row.get("CustomerName")) or customer_no,
        party_number=customer_no,
        **_contact_from_row(row),
        tax_number=text(row.get("TaxExemptNo")),
        currency=lookups.currency,
        payment_terms_days=lookups.ar_terms.get(row.get("TermsCode") or "", 0),
        active=(row.get("CustomerStatus") or "A") == "A",
        credit_limit=limit if limit else None,
    )


def _address_fields(party: canonical.Customer | canonical.Supplier, entity: str) -> dict[str, Any]:
    if len(party.address_lines) > 3:
        raise refused(
            "Sage 100 keeps three address lines",
            entity=entity,
            key=party.key,
            field="address_lines",
        )
    lines = [*party.address_lines, "", "", ""][:3]
    return {
        "AddressLine1": lines[0],
        "AddressLine2": lines[1],
        "AddressLine3": lines[2],
        "City": party.city or "",
        "State": party.region or "",
        "ZipCode": party.postcode or "",
        "CountryCode": party.country or "",
    }


def customer_fields(customer: canonical.Customer, lookups: Lookups) -> dict[str, Any]:
    """AR_Customer columns for a customer (keys apart: see `keys.customer_no_for`)."""
    return {
        "CustomerName": customer.name,
        **_address_fields(customer, "customer"),
        "TelephoneNo": customer.phone or "",
        "EmailAddress": customer.email or "",
        "TaxExemptNo": customer.tax_number or "",
        "TermsCode": lookups.terms_code(
            customer.payment_terms_days, ap=False, entity="customer", key=customer.key
        ),
        "CreditLimit": customer.credit_limit or Decimal(0),
        "CustomerStatus": "A" if customer.active else "I",
    }


def supplier_from_row(row: Row, lookups: Lookups) -> canonical.Supplier:
    division, vendor_no = row["APDivisionNo"], row["VendorNo"]
    return canonical.Supplier.build(
        system=SYSTEM,
        key=keys.vendor_key(division, vendor_no),
        name=text(row.get("VendorName")) or vendor_no,
        party_number=vendor_no,
        **_contact_from_row(row),
        currency=lookups.currency,
        payment_terms_days=lookups.ap_terms.get(row.get("TermsCode") or "", 0),
        active=(row.get("VendorStatus") or "A") == "A",
    )


def supplier_fields(supplier: canonical.Supplier, lookups: Lookups) -> dict[str, Any]:
    return {
        "VendorName": supplier.name,
        **_address_fields(supplier, "supplier"),
        "TelephoneNo": supplier.phone or "",
        "EmailAddress": supplier.email or "",
        "TermsCode": lookups.terms_code(
            supplier.payment_terms_days, ap=True, entity="supplier", key=supplier.key
        ),
        "VendorStatus": "A" if supplier.active else "I",
    }


def tax_class_for(rate: Decimal, *, entity: str, key: str) -> str:
    for code, code_rate in TAX_CLASS_RATES.items():
        if code_rate == rate:
            return code
    raise refused(
        f"no Sage 100 tax class for a rate of {rate}%", entity=entity, key=key, field="tax_rate"
    )


def product_from_row(row: Row, lookups: Lookups) -> canonical.Product:
    cost = number(row, "StandardUnitCost")
    return canonical.Product.build(
        system=SYSTEM,
        key=row["ItemCode"],
        name=text(row.get("ItemCodeDesc")) or row["ItemCode"],
        description=text(row.get("CommentText")),
        unit_price=number(row, "StandardUnitPrice"),
        unit_cost=cost if cost else None,
        tax_rate=TAX_CLASS_RATES.get(row.get("TaxClass") or "", Decimal(0)),
        sales_account=lookups.account(row.get("SalesAcctKey")),
        track_stock=(row.get("ItemType") or "1") == "1",
        active=(row.get("InactiveItem") or "N") != "Y",
    )


def product_fields(product: canonical.Product, lookups: Lookups) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "ItemCodeDesc": product.name,
        "ItemType": "1" if product.track_stock else "3",
        "CommentText": product.description or "",
        "StandardUnitPrice": product.unit_price,
        "StandardUnitCost": product.unit_cost or Decimal(0),
        "TaxClass": tax_class_for(product.tax_rate, entity="product", key=product.key),
        "InactiveItem": "N" if product.active else "Y",
    }
    fields["SalesAcctKey"] = (
        lookups.account_key(
            product.sales_account, entity="product", key=product.key, field="sales_account"
        )
        if product.sales_account
        else ""
    )
    return fields


def stock_from_row(row: Row) -> canonical.StockLevel:
    item, warehouse = row["ItemCode"], row["WarehouseCode"]
    return canonical.StockLevel.build(
        system=SYSTEM,
        key=keys.stock_key(item, warehouse),
        product_key=item,
        warehouse=warehouse,
        quantity_on_hand=number(row, "QuantityOnHand"),
        quantity_on_order=number(row, "QuantityOnPurchaseOrder"),
        quantity_committed=number(row, "QuantityOnSalesOrder"),
    )


def gl_account_from_row(row: Row) -> canonical.GLAccount:
    code = row.get("AccountType") or ""
    return canonical.GLAccount.build(
        system=SYSTEM,
        key=row["Account"],
        name=text(row.get("AccountDesc")) or row["Account"],
        account_type=ACCOUNT_TYPES.get(code, text(code)),
        active=(row.get("Status") or "A") == "A",
    )


def gl_account_fields(account: canonical.GLAccount) -> dict[str, Any]:
    types = {name: code for code, name in ACCOUNT_TYPES.items()}
    return {
        "AccountDesc": account.name,
        "AccountType": types.get(account.account_type or "", ""),
        "AccountCategory": "I" if account.account_type in ("income", "expense") else "B",
        "Status": "A" if account.active else "I",
    }


# --------------------------------------------------------------------------------------
# Documents
# --------------------------------------------------------------------------------------


def _line_description(detail: Row) -> str:
    return text(detail.get("CommentText")) or text(detail.get("ItemCodeDesc")) or ""


class _CanonicalAmounts(TypedDict):
    quantity: Decimal
    unit_price: Decimal
    net_amount: Decimal
    tax_rate: Decimal
    tax_amount: Decimal


@dataclass(frozen=True)
class _LineAmounts:
    """Where a document's detail table keeps a line's quantity and unit price: A/R invoice
    history what was shipped at the selling price, A/P invoices what was ordered at cost.
    The extension and the tax go by the same names in both."""

    quantity: str
    unit_price: str

    def read(self, detail: Row) -> _CanonicalAmounts:
        """The canonical line's amounts from a detail row."""
        return {
            "quantity": number(detail, self.quantity),
            "unit_price": number(detail, self.unit_price),
            "net_amount": number(detail, "ExtensionAmt"),
            "tax_rate": number(detail, "TaxRate"),
            "tax_amount": number(detail, "TaxAmt"),
        }

    def fields(self, line: canonical.DocumentLine) -> dict[str, Decimal]:
        """The detail row's amount columns for a canonical line."""
        return {
            self.quantity: line.quantity,
            self.unit_price: line.unit_price,
            "ExtensionAmt": line.net_amount,
            "TaxRate": line.tax_rate,
            "TaxAmt": line.tax_amount,
        }


AR_LINE_AMOUNTS = _LineAmounts("QuantityShipped", "UnitPrice")
AP_LINE_AMOUNTS = _LineAmounts("QuantityOrdered", "UnitCost")


def sales_invoice_from_rows(
    header: Row, details: Iterable[Row], open_invoice: Row | None, lookups: Lookups
) -> canonical.SalesInvoice:
    lines = []
    for detail in sorted(details, key=lambda d: d["DetailSeqNo"]):
        item = detail.get("ItemCode") or ""
        lines.append(
            canonical.DocumentLine(
                line_no=whole(detail, "DetailSeqNo"),
                description=_line_description(detail),
                product_key=None if item.startswith("/") or not item else item,
                **AR_LINE_AMOUNTS.read(detail),
                gl_account=lookups.account(detail.get("SalesAcctKey")),
            )
        )
    net = number(header, "TaxableSalesAmt") + number(header, "NonTaxableSalesAmt")
    tax = number(header, "SalesTaxAmt")
    return canonical.SalesInvoice.build(
        key=header["InvoiceNo"],
        customer_key=keys.customer_key(header["ARDivisionNo"], header["CustomerNo"]),
        reference=text(header.get("CustomerPONo")),
        **_document_fields(
            header,
            open_invoice,
            lookups,
            lines,
            net,
            tax,
            net + tax + number(header, "FreightAmt"),
        ),
    )


def _document_fields(
    header: Row,
    open_invoice: Row | None,
    lookups: Lookups,
    lines: Iterable[canonical.DocumentLine],
    net: Decimal,
    tax: Decimal,
    gross: Decimal,
) -> dict[str, object]:
    """What A/R and A/P invoice headers say alike: dates, currency, lines, totals, and
    what is paid (the gross less the open-invoice balance, all of it with none open)."""
    balance = number(open_invoice, "Balance") if open_invoice is not None else Decimal(0)
    return {
        "system": SYSTEM,
        "issue_date": day(header, "InvoiceDate"),
        "due_date": day(header, "InvoiceDueDate"),
        "currency": lookups.currency,
        "lines": tuple(lines),
        "net_amount": net,
        "tax_amount": tax,
        "gross_amount": gross,
        "amount_paid": gross - balance,
    }


def _description_fields(description: str) -> dict[str, str]:
    if len(description) <= ItemDescWidth:
        return {"ItemCodeDesc": description, "CommentText": ""}
    return {"ItemCodeDesc": description[:ItemDescWidth], "CommentText": description}


def sales_invoice_fields(
    invoice: canonical.SalesInvoice, lookups: Lookups
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """(header, lines) of AR_Invoice_bus for a sales invoice; lines in line_no order."""
    division, customer_no = keys.customer_no_for(invoice.customer_key)
    header: dict[str, Any] = {
        "ARDivisionNo": division,
        "CustomerNo": customer_no,
        "InvoiceDate": invoice.issue_date,
        "CustomerPONo": invoice.reference or "",
    }
    if invoice.due_date is not None:
        header["InvoiceDueDate"] = invoice.due_date
    lines = []
    for line in sorted(invoice.lines, key=lambda x: x.line_no):
        fields: dict[str, Any] = {
            "ItemCode": keys.item_code_for(line.product_key)
            if line.product_key
            else MISC_CHARGE_ITEM,
            **_description_fields(line.description),
            **AR_LINE_AMOUNTS.fields(line),
        }
        if line.gl_account:
            fields["SalesAcctKey"] = lookups.account_key(
                line.gl_account, entity="sales_invoice", key=invoice.key, field="lines.gl_account"
            )
        lines.append(fields)
    return header, lines


def purchase_invoice_from_rows(
    header: Row, details: Iterable[Row], open_invoice: Row | None, lookups: Lookups
) -> canonical.PurchaseInvoice:
    lines = [
        canonical.DocumentLine(
            line_no=whole(detail, "LineKey"),
            description=text(detail.get("CommentText")) or "",
            **AP_LINE_AMOUNTS.read(detail),
            gl_account=lookups.account(detail.get("AccountKey")),
        )
        for detail in sorted(details, key=lambda d: d["LineKey"])
    ]
    net = number(header, "TaxableAmt") + number(header, "NonTaxableAmt")
    tax = number(header, "SalesTaxAmt")
    return canonical.PurchaseInvoice.build(
        key=keys.ap_invoice_key(header["APDivisionNo"], header["VendorNo"], header["InvoiceNo"]),
        supplier_key=keys.vendor_key(header["APDivisionNo"], header["VendorNo"]),
        reference=text(header.get("Comment")),
        **_document_fields(
            header, open_invoice, lookups, lines, net, tax, number(header, "InvoiceAmt")
        ),
    )


def purchase_invoice_fields(
    invoice: canonical.PurchaseInvoice, lookups: Lookups
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    header: dict[str, Any] = {"InvoiceDate": invoice.issue_date, "Comment": invoice.reference or ""}
    if invoice.due_date is not None:
        header["InvoiceDueDate"] = invoice.due_date
    lines = []
    for line in sorted(invoice.lines, key=lambda x: x.line_no):
        if not line.gl_account:
            raise refused(
                "an A/P invoice line needs a GL account",
                entity="purchase_invoice",
                key=invoice.key,
                field="lines.gl_account",
            )
        lines.append(
            {
                "AccountKey": lookups.account_key(
                    line.gl_account,
                    entity="purchase_invoice",
                    key=invoice.key,
                    field="lines.gl_account",
                ),
                "CommentText": line.description,
                **AP_LINE_AMOUNTS.fields(line),
            }
        )
    return header, lines


def receipt_from_rows(rows: list[Row]) -> canonical.Payment:
    """One check from one customer in one deposit: the rows applying it to invoices."""
    first = rows[0]
    allocations = tuple(
        canonical.Allocation(invoice_key=row["InvoiceNo"], amount=number(row, "CashAmountApplied"))
        for row in sorted(rows, key=lambda r: r["SequenceNo"])
        if row.get("InvoiceNo")
    )
    return canonical.Payment.build(
        system=SYSTEM,
        key=keys.receipt_key(
            first["DepositNo"], first["ARDivisionNo"], first["CustomerNo"], first["CheckNo"]
        ),
        kind="receipt",
        counterparty_key=keys.customer_key(first["ARDivisionNo"], first["CustomerNo"]),
        payment_date=day(first, "DepositDate"),
        amount=sum((number(r, "CashAmountApplied") for r in rows), Decimal(0)),
        method=text(first.get("PaymentType")),
        bank_account=text(first.get("BankCode")),
        reference=text(first.get("CheckNo")),
        allocations=allocations,
    )


def supplier_payment_from_rows(header: Row, details: Iterable[Row]) -> canonical.Payment:
    """One A/P check (AP_CheckHistoryHeader) with the invoices it paid (its detail rows)."""
    division, vendor_no = header["APDivisionNo"], header["VendorNo"]
    return canonical.Payment.build(
        system=SYSTEM,
        key=keys.check_key(header["BankCode"], header["CheckNo"], header["CheckSeqNo"]),
        kind="supplier_payment",
        counterparty_key=keys.vendor_key(division, vendor_no),
        payment_date=day(header, "CheckDate"),
        amount=number(header, "CheckAmt"),
        bank_account=text(header.get("BankCode")),
        reference=text(header.get("CheckNo")),
        allocations=tuple(
            canonical.Allocation(
                invoice_key=keys.ap_invoice_key(
                    detail.get("APDivisionNo") or division,
                    detail.get("VendorNo") or vendor_no,
                    detail["InvoiceNo"],
                ),
                amount=number(detail, "AmountPaid"),
            )
            for detail in sorted(details, key=lambda d: (d["InvoiceNo"], d["InvoiceSeqNo"]))
        ),
    )


def payment_type_for(method: str | None) -> str:
    if not method:
        return ""
    return PAYMENT_TYPES.get(method, method.upper()[:5])


def journal_from_rows(rows: list[Row], lookups: Lookups) -> canonical.JournalEntry:
    """One journal register entry (SourceJournal, JournalRegisterNo) of GL_DetailPosting."""
    ordered = sorted(rows, key=lambda r: r["SequenceNo"])
    first = ordered[0]
    comments = {text(r.get("PostingComment")) or "" for r in ordered}
    return canonical.JournalEntry.build(
        system=SYSTEM,
        key=keys.journal_key(first["SourceJournal"], first["JournalRegisterNo"]),
        posting_date=day(first, "PostingDate"),
        description=comments.pop() if len(comments) == 1 else "",
        source=text(first.get("SourceModule")),
        lines=tuple(
            canonical.JournalLine(
                account=lookups.account(r["AccountKey"]) or r["AccountKey"],
                debit=number(r, "DebitAmount"),
                credit=number(r, "CreditAmount"),
                description=text(r.get("PostingComment")) or "",
            )
            for r in ordered
        ),
    )


def order_status_from_row(row: Row) -> canonical.OrderStatus:
    invoice = text(row.get("LastInvoiceOrderNo")) or text(row.get("CurrentInvoiceNo"))
    return canonical.OrderStatus.build(
        system=SYSTEM,
        key=row["SalesOrderNo"],
        customer_key=keys.customer_key(row["ARDivisionNo"], row["CustomerNo"]),
        order_date=day(row, "OrderDate"),
        status=ORDER_STATUSES.get(row.get("OrderStatus") or "O", "open"),
        ship_date=day(row, "ShipExpireDate"),
        reference=text(row.get("CustomerPONo")),
        invoice_key=invoice,
    )
