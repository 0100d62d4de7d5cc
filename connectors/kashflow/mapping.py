"""Between KashFlow JSON and `canonical/`: field names, dates, amounts and lines.

Reading is tolerant (field names in any casing, dates with or without a zone, the
`/Date(ms)/` form, amounts as numbers or text); writing is what KashFlow documents
(`"2013-06-07 12:00:00"` dates, exact decimals). Where KashFlow cannot hold a canonical
value as it is, the body builders refuse with `ValidationFailed` naming the field
rather than sending something that would come back different.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from contextlib import suppress
from datetime import UTC, date, datetime, time, timedelta, timezone
from decimal import Decimal
from typing import Any

import canonical
from canonical import round_money, to_decimal

SYSTEM = "kashflow"
log = logging.getLogger("connectors.kashflow")
FOUR_PLACES = Decimal("0.0001")
_WCF_DATE = re.compile(r"^/Date\((-?\d+)([+-]\d{4})?\)/$")


# -- reading helpers ---------------------------------------------------------------------
def field(raw: Mapping[str, Any] | None, *names: str) -> Any:
    """The first of `names` present in `raw`, matched case-insensitively (`VATNumber`
    and `VatNumber` both occur)."""
    if not raw:
        return None
    if not isinstance(raw, Mapping):
        raise canonical.ValidationFailed(
            f"is {type(raw).__name__} where an object holding {names[0]} belongs",
            system=SYSTEM,
        )
    folded = {str(k).lower(): v for k, v in raw.items()}
    for name in names:
        value = folded.get(name.lower())
        if value is not None:
            return value
    return None


def text(raw: Mapping[str, Any] | None, *names: str) -> str | None:
    value = field(raw, *names)
    if value is None:
        return None
    value = str(value).strip()
    return value or None


def amount(
    raw: Mapping[str, Any] | None, *names: str, default: Decimal | None = None
) -> Decimal | None:
    value = field(raw, *names)
    if value is None or value == "":
        return default
    try:
        return to_decimal(value)
    except (ValueError, ArithmeticError) as error:
        raise canonical.ValidationFailed(
            f"{value!r} is not an amount ({error})", system=SYSTEM, field=names[0]
        ) from None


def identifier(raw: Mapping[str, Any] | None, *names: str) -> int | None:
    """The whole number under the first of `names` present (an id KashFlow gives), or
    None; anything else is refused, naming the field."""
    value = field(raw, *names)
    if value is None or value == "":
        return None
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if not isinstance(value, bool) and isinstance(value, int | str):
        with suppress(ValueError):
            return int(value)
    raise canonical.ValidationFailed(f"{value!r} is not an id", system=SYSTEM, field=names[0])


def day(raw: Mapping[str, Any] | None, *names: str) -> date | None:
    """`parse_date` of the first of `names` present, naming it when it is no date."""
    try:
        return parse_date(field(raw, *names))
    except canonical.ValidationFailed as error:
        error.field = error.field or names[0]
        raise


def records(raw: Mapping[str, Any] | None, *names: str) -> list[Mapping[str, Any]]:
    """The objects listed under the first of `names` present (none: an empty list);
    anything but a list of objects is refused, naming the field."""
    value = field(raw, *names)
    if value is None:
        return []
    if isinstance(value, list) and all(isinstance(item, Mapping) for item in value):
        return value
    raise canonical.ValidationFailed(
        f"is {type(value).__name__}, not a list of objects", system=SYSTEM, field=names[0]
    )


def parse_datetime(value: Any) -> datetime | None:
    """A KashFlow timestamp: `2013-06-07 12:00:00`, ISO with `T`, with or without
    fractional seconds and zone (`Z`, `+01:00`, `+0100`), or `/Date(1370606400000)/`.
    Returns an aware datetime when a zone was given, else a naive one."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value
    if isinstance(value, date):
        return datetime.combine(value, time())
    stamp = str(value).strip()
    if not stamp:
        return None
    wcf = _WCF_DATE.match(stamp)
    if wcf:
        try:
            moment = datetime.fromtimestamp(int(wcf.group(1)) / 1000, tz=UTC)
        except (ValueError, OverflowError, OSError):
            raise canonical.ValidationFailed(
                f"{stamp!r} is not a date KashFlow writes", system=SYSTEM
            ) from None
        if wcf.group(2):
            sign = 1 if wcf.group(2)[0] == "+" else -1
            hours, minutes = int(wcf.group(2)[1:3]), int(wcf.group(2)[3:5])
            moment = moment.astimezone(timezone(sign * timedelta(hours=hours, minutes=minutes)))
        return moment
    candidate = stamp.replace("Z", "+00:00").replace("z", "+00:00")
    candidate = re.sub(r"([+-]\d{2})(\d{2})$", r"\1:\2", candidate)
    # Python < 3.11-style limits: trim fractional seconds to 6 digits.
    candidate = re.sub(r"(\.\d{6})\d+", r"\1", candidate)
    try:
        return datetime.fromisoformat(candidate)
    except ValueError:
        pass
    for pattern in ("%d/%m/%Y %H:%M:%S", "%d/%m/%Y"):
        try:
            return datetime.strptime(stamp, pattern)
        except ValueError:
            continue
    raise canonical.ValidationFailed(f"{stamp!r} is not a date KashFlow writes", system=SYSTEM)


def parse_date(value: Any) -> date | None:
    """The business date of a KashFlow date: the day as written (a zone does not move it)."""
    moment = parse_datetime(value)
    return None if moment is None else moment.date()


def date_text(day: date | None) -> str | None:
    """A date as KashFlow documents it: the day at 12:00:00."""
    return None if day is None else f"{day.isoformat()} 12:00:00"


def refused(message: str, *, entity: str, key: str, field: str) -> canonical.ValidationFailed:
    """The error for a record KashFlow cannot take as it is: which field, and why."""
    return canonical.ValidationFailed(message, system=SYSTEM, entity=entity, key=key, field=field)


def _exact(value: Decimal, where: str, entity: str, key: str) -> Decimal:
    if value != value.quantize(FOUR_PLACES):
        raise refused("KashFlow keeps 4 decimal places", entity=entity, key=key, field=where)
    return value


# -- customers and suppliers ---------------------------------------------------------------
def _address_body(party: canonical.Customer | canonical.Supplier) -> dict[str, Any]:
    if len(party.address_lines) > 2:
        raise refused(
            "KashFlow addresses hold two street lines (Line1, Line2) before the town",
            entity=party.entity,
            key=party.key,
            field="address_lines",
        )
    lines = [*party.address_lines, None, None]
    return {
        "Line1": lines[0],
        "Line2": lines[1],
        "Line3": party.city,
        "Line4": party.region,
        "PostCode": party.postcode,
        "CountryCode": party.country,
    }


def _party_body(party: canonical.Customer | canonical.Supplier) -> dict[str, Any]:
    return {
        "Code": party.key,
        "Name": party.name,
        "Email": party.email,
        "TelephoneNumber": party.phone,
        "VatNumber": party.tax_number,
        "Currency": {"Code": party.currency},
        "PaymentTerms": {"Days": party.payment_terms_days, "Type": "Days"},
        "IsArchived": not party.active,
    }


def customer_body(customer: canonical.Customer) -> dict[str, Any]:
    body = _party_body(customer)
    body["Addresses"] = [_address_body(customer)]
    if customer.credit_limit is not None:
        body["CreditLimit"] = _exact(
            customer.credit_limit, "credit_limit", "customer", customer.key
        )
    return body


def supplier_body(supplier: canonical.Supplier) -> dict[str, Any]:
    body = _party_body(supplier)
    body["Address"] = _address_body(supplier)
    return body


def _party_fields(raw: Mapping[str, Any], address: Mapping[str, Any] | None) -> dict[str, Any]:
    lines = tuple(line for line in (text(address, "Line1"), text(address, "Line2")) if line)
    terms = field(raw, "PaymentTerms")
    days = field(terms, "Days") if isinstance(terms, Mapping) else None
    currency = field(raw, "Currency")
    return {
        "system": SYSTEM,
        "key": text(raw, "Code"),
        "party_number": text(raw, "Code"),
        "name": text(raw, "Name"),
        "email": text(raw, "Email"),
        "phone": text(raw, "TelephoneNumber", "Telephone"),
        "address_lines": lines,
        "city": text(address, "Line3"),
        "region": text(address, "Line4"),
        "postcode": text(address, "PostCode", "Postcode"),
        "country": text(address, "CountryCode"),
        "tax_number": text(raw, "VatNumber", "VATNumber"),
        "currency": text(currency, "Code") if isinstance(currency, Mapping) else "GBP",
        "payment_terms_days": int(days) if days is not None else 30,
        "active": not bool(field(raw, "IsArchived")),
    }


def to_customer(raw: Mapping[str, Any]) -> canonical.Customer:
    addresses = records(raw, "Addresses")
    address = addresses[0] if addresses else None
    return canonical.Customer.build(
        **_party_fields(raw, address), credit_limit=amount(raw, "CreditLimit")
    )


def to_supplier(raw: Mapping[str, Any]) -> canonical.Supplier:
    address = field(raw, "Address")
    return canonical.Supplier.build(
        **_party_fields(raw, address if isinstance(address, Mapping) else None)
    )


# -- nominals and products --------------------------------------------------------------
def nominal_code(value: str | None, *, entity: str, key: str, where: str) -> int | None:
    if value is None:
        return None
    if not value.isdigit():
        raise refused(
            f"KashFlow nominal codes are numbers, not {value!r}",
            entity=entity,
            key=key,
            field=where,
        )
    return int(value)


def to_gl_account(raw: Mapping[str, Any]) -> canonical.GLAccount:
    return canonical.GLAccount.build(
        system=SYSTEM,
        key=str(field(raw, "Code")),
        name=text(raw, "Name"),
        account_type=text(raw, "Type"),
        active=not bool(field(raw, "Archived")),
    )


def gl_account_body(account: canonical.GLAccount) -> dict[str, Any]:
    return {
        "Code": nominal_code(account.key, entity=account.entity, key=account.key, where="key"),
        "Name": account.name,
        "Type": account.account_type,
        "IsProduct": False,
        "Archived": not account.active,
    }


def to_product(raw: Mapping[str, Any]) -> canonical.Product:
    sales = field(raw, "DefaultSaleNominal")
    return canonical.Product.build(
        system=SYSTEM,
        key=text(raw, "ProductCode"),
        name=text(raw, "Name"),
        description=text(raw, "Description"),
        unit_price=amount(raw, "Price", default=Decimal(0)),
        unit_cost=amount(raw, "WholeSalePrice"),
        tax_rate=amount(raw, "VATRate", default=Decimal(0)),
        sales_account=str(sales) if sales is not None else None,
        track_stock=bool(field(raw, "ManageStockLevel")),
        active=not bool(field(raw, "Archived")),
    )


def product_body(product: canonical.Product, code: int | None = None) -> dict[str, Any]:
    """A product is a nominal flagged `IsProduct`; `code` is its nominal number (None
    until the resource gives a new product the next free one)."""
    where = {"entity": product.entity, "key": product.key}
    return {
        "Code": code,
        "Name": product.name,
        "Type": "Sales",
        "IsProduct": True,
        "ProductCode": product.key,
        "Description": product.description,
        "Price": _exact(product.unit_price, "unit_price", **where),
        "WholeSalePrice": _exact(product.unit_cost, "unit_cost", **where)
        if product.unit_cost is not None
        else None,
        "VATRate": product.tax_rate,
        "DefaultSaleNominal": nominal_code(product.sales_account, where="sales_account", **where),
        "ManageStockLevel": product.track_stock,
        "Archived": not product.active,
    }


# -- invoices and purchases ----------------------------------------------------------------
def _lines_body(
    document: canonical.SalesInvoice | canonical.PurchaseInvoice,
) -> list[dict[str, Any]]:
    where = {"entity": document.entity, "key": document.key}
    lines = []
    for index, line in enumerate(document.lines):
        at = f"lines[{index}]"
        quantity = _exact(line.quantity, f"{at}.quantity", **where)
        rate = _exact(line.unit_price, f"{at}.unit_price", **where)
        if round_money(quantity * rate) != line.net_amount:
            raise refused(
                f"KashFlow derives a line's net amount as Quantity x Rate"
                f" ({round_money(quantity * rate)}), not {line.net_amount}",
                field=f"{at}.net_amount",
                **where,
            )
        lines.append(
            {
                "Number": line.line_no,
                "Description": line.description,
                "Quantity": quantity,
                "Rate": rate,
                "NominalCode": nominal_code(line.gl_account, where=f"{at}.gl_account", **where),
                "ProductCode": line.product_key,
                "VATLevel": line.tax_rate,
                "VATAmount": _exact(line.tax_amount, f"{at}.tax_amount", **where),
            }
        )
    return lines


def _document_number(document: canonical.SalesInvoice | canonical.PurchaseInvoice) -> int:
    if not document.key.isdigit() or int(document.key) <= 0:
        raise refused(
            "KashFlow document numbers are positive whole numbers",
            entity=document.entity,
            key=document.key,
            field="key",
        )
    return int(document.key)


def _document_body(document: canonical.SalesInvoice | canonical.PurchaseInvoice) -> dict[str, Any]:
    """What a sales invoice's and a purchase invoice's bodies share (all but the party)."""
    return {
        "Number": _document_number(document),
        "IssuedDate": date_text(document.issue_date),
        "DueDate": date_text(document.due_date),
        "Currency": {"Code": document.currency},
        "LineItems": _lines_body(document),
    }


def sales_invoice_body(invoice: canonical.SalesInvoice) -> dict[str, Any]:
    return _document_body(invoice) | {
        "CustomerCode": invoice.customer_key,
        "CustomerReference": invoice.reference,
    }


def purchase_invoice_body(purchase: canonical.PurchaseInvoice) -> dict[str, Any]:
    return _document_body(purchase) | {
        "SupplierCode": purchase.supplier_key,
        "SupplierReference": purchase.reference,
    }


def _lines(raw: Mapping[str, Any]) -> tuple[canonical.DocumentLine, ...]:
    lines = []
    for index, item in enumerate(records(raw, "LineItems"), start=1):
        quantity = amount(item, "Quantity", default=Decimal(1))
        rate = amount(item, "Rate", default=Decimal(0))
        assert quantity is not None and rate is not None
        nominal = field(item, "NominalCode")
        number = field(item, "Number")
        lines.append(
            canonical.DocumentLine(
                line_no=int(number) if number else index,
                description=text(item, "Description") or "",
                product_key=text(item, "ProductCode"),
                quantity=quantity,
                unit_price=rate,
                net_amount=round_money(quantity * rate),
                tax_rate=amount(item, "VATLevel", "VATRate") or Decimal(0),
                tax_amount=amount(item, "VATAmount") or Decimal(0),
                gl_account=str(nominal) if nominal is not None else None,
            )
        )
    return tuple(lines)


def document_key(raw: Mapping[str, Any]) -> str:
    """The key of an invoice or purchase as KashFlow sends it: its `Number`. A document
    without one is refused, naming the field (not keyed "None")."""
    number = text(raw, "Number")
    if number is None:
        raise canonical.ValidationFailed(
            "the document has no number", system=SYSTEM, field="Number"
        )
    return number


def _document_fields(raw: Mapping[str, Any]) -> dict[str, Any]:
    currency = field(raw, "Currency")
    return {
        "system": SYSTEM,
        "key": document_key(raw),
        "issue_date": day(raw, "IssuedDate", "InvoiceDate", "PurchaseDate"),
        "due_date": day(raw, "DueDate", "PaymentDueDate"),
        "currency": (text(currency, "Code") if isinstance(currency, Mapping) else None) or "GBP",
        "lines": _lines(raw),
        "net_amount": amount(raw, "NetAmount", default=Decimal(0)),
        "tax_amount": amount(raw, "VATAmount", default=Decimal(0)),
        "gross_amount": amount(raw, "GrossAmount", default=Decimal(0)),
        "amount_paid": amount(raw, "TotalPaidAmount", default=Decimal(0)),
    }


def to_sales_invoice(raw: Mapping[str, Any]) -> canonical.SalesInvoice:
    """A full invoice (from `GET /invoices/{Number}`); a list summary gives no lines."""
    return canonical.SalesInvoice.build(
        **_document_fields(raw),
        customer_key=text(raw, "CustomerCode"),
        reference=text(raw, "CustomerReference"),
    )


def to_purchase_invoice(raw: Mapping[str, Any]) -> canonical.PurchaseInvoice:
    return canonical.PurchaseInvoice.build(
        **_document_fields(raw),
        supplier_key=text(raw, "SupplierCode"),
        reference=text(raw, "SupplierReference"),
    )


# -- payments --------------------------------------------------------------------------------
class PaymentVocabulary:
    """Payment method names <-> ids and bank nominal codes <-> bank account ids."""

    def __init__(
        self, methods: Sequence[Mapping[str, Any]], accounts: Sequence[Mapping[str, Any]]
    ) -> None:
        named = _by_id(methods, "Name", "payment_method")
        self.method_ids = {name.lower(): method_id for method_id, name, _ in named}
        self.method_names = {method_id: name for method_id, name, _ in named}
        coded = _by_id(accounts, "Code", "bank_account")
        self.account_ids = {code: account_id for account_id, code, _ in coded}
        self.account_codes = {account_id: code for account_id, code, _ in coded}
        default = [account_id for account_id, _, a in coded if field(a, "IsDefaultAccount")]
        self.default_account = default[0] if default else None

    def method_id(self, payment: canonical.Payment) -> int | None:
        if payment.method is None:
            return None
        return _known_id(
            self.method_ids,
            payment.method.lower(),
            payment,
            "method",
            f"KashFlow has no payment method {payment.method!r}",
        )

    def account_id(self, payment: canonical.Payment) -> int | None:
        if payment.bank_account is None:
            return self.default_account
        return _known_id(
            self.account_ids,
            payment.bank_account,
            payment,
            "bank_account",
            f"KashFlow has no bank account with nominal code {payment.bank_account!r}",
        )


def _by_id(
    entries: Sequence[Mapping[str, Any]], name_field: str, entity: str
) -> list[tuple[int, str, Mapping[str, Any]]]:
    """(Id, name, entry) of each entry with a whole-number Id and a name: one without
    either cannot be referred to, so it is left out, with a warning naming the field."""
    found = []
    for entry in entries:
        try:
            entry_id = identifier(entry, "Id")
            name = text(entry, name_field)
            if entry_id is None or name is None:
                missing = "Id" if entry_id is None else name_field
                raise canonical.ValidationFailed(
                    f"{missing} is missing", system=SYSTEM, field=missing
                )
        except canonical.ValidationFailed as unusable:
            unusable.entity = entity
            log.warning(
                "%s; left out of the payment vocabulary",
                unusable,
                extra={"system": SYSTEM, "entity": entity, "field": unusable.field},
            )
            continue
        found.append((entry_id, name, entry))
    return found


def _known_id(
    ids: Mapping[str, int], name: str, payment: canonical.Payment, field_name: str, unknown: str
) -> int:
    """The KashFlow id of `name`; a name KashFlow does not know refuses the payment, on
    its field `field_name`, saying `unknown`."""
    try:
        return ids[name]
    except KeyError:
        raise refused(unknown, entity=payment.entity, key=payment.key, field=field_name) from None


def payment_line_body(
    payment: canonical.Payment, allocation: canonical.Allocation, vocabulary: PaymentVocabulary
) -> dict[str, Any]:
    return {
        "Date": date_text(payment.payment_date),
        "Amount": _exact(allocation.amount, "allocations.amount", payment.entity, payment.key),
        "Method": vocabulary.method_id(payment),
        "AccountId": vocabulary.account_id(payment),
        "Reference": payment.reference,
    }


def bulk_payment_body(payment: canonical.Payment, vocabulary: PaymentVocabulary) -> dict[str, Any]:
    return {
        "Date": date_text(payment.payment_date),
        "Comment": payment.reference,
        "AccountId": vocabulary.account_id(payment),
        "Method": vocabulary.method_id(payment),
        "PaymentItems": [
            {"Amount": a.amount, "ObjectNumber": int(a.invoice_key), "Reference": payment.reference}
            for a in payment.allocations
        ],
    }


def payment_key(kind: str, line: Mapping[str, Any]) -> str:
    """KashFlow payment lines are keyed by their Id: `R123` receipts, `P123` supplier
    payments. A line without one has no key, and is refused naming the field."""
    line_id = identifier(line, "Id")
    if line_id is None:
        raise canonical.ValidationFailed("a payment line has no Id", system=SYSTEM, field="Id")
    return f"{'R' if kind == 'receipt' else 'P'}{line_id}"


def to_payment(
    line: Mapping[str, Any], document: Mapping[str, Any], kind: str, vocabulary: PaymentVocabulary
) -> canonical.Payment:
    """One payment line of a full invoice or purchase as a canonical payment."""
    paid = amount(line, "Amount", default=Decimal(0))
    assert paid is not None
    number = document_key(document)
    method = identifier(line, "Method")
    account = identifier(line, "AccountId")
    currency = field(document, "Currency")
    return canonical.Payment.build(
        system=SYSTEM,
        key=payment_key(kind, line),
        kind=kind,
        counterparty_key=text(document, "CustomerCode" if kind == "receipt" else "SupplierCode"),
        payment_date=day(line, "Date"),
        amount=paid,
        currency=(text(currency, "Code") if isinstance(currency, Mapping) else None) or "GBP",
        method=vocabulary.method_names.get(method) if method is not None else None,
        bank_account=vocabulary.account_codes.get(account) if account is not None else None,
        reference=text(line, "Reference"),
        allocations=(canonical.Allocation(invoice_key=number, amount=paid),),
    )


def payments_of(
    document: Mapping[str, Any], kind: str, vocabulary: PaymentVocabulary
) -> list[canonical.Payment]:
    return [
        to_payment(line, document, kind, vocabulary) for line in records(document, "PaymentLines")
    ]


ORDER_STATUS_CATEGORIES: dict[str, tuple[str, int]] = {
    "open": ("Sage order: open", 5),
    "backordered": ("Sage order: backordered", 4),
    "on_hold": ("Sage order: on hold", 1),
    "shipped": ("Sage order: shipped", 8),
    "invoiced": ("Sage order: invoiced", 3),
    "complete": ("Sage order: complete", 11),
    "cancelled": ("Sage order: cancelled", 12),
}
"""How a Sage 100 sales order's status shows on the KashFlow quote of the same number:
the quote category (name, IconId) it is filed under, created the first time it is needed
(blue flag open, yellow flag backordered, red flag on hold, green marker shipped, green
flag invoiced, tick complete, cross cancelled)."""
