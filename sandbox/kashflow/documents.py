"""KashFlow records as the sandbox builds them from request bodies: fields, derived
totals, status, and the summary each list shows.

Everything here is a function from a request body (and the stored state it refers to)
to a record dict; `Invalid` says which field was refused and why, as the real API's 400
does.
"""

from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation
from typing import Any

from sandbox.kashflow.wire import Body, Invalid, shown

CENT = Decimal("0.01")
FOUR = Decimal("0.0001")
STATUSES = ("Unpaid", "Paid", "Overpaid", "Overdue", "NA")
CURRENCIES = {
    "GBP": ("Pound Sterling", "£"),
    "EUR": ("Euro", "€"),
    "USD": ("US Dollar", "$"),
}


# -- limits ----------------------------------------------------------------------------
MAX_MONEY = Decimal(1_000_000_000_000)
"""Amounts (rates, prices, payments, line and document totals) lie within +/- this."""
MAX_QUANTITY = Decimal(1_000_000_000)
"""Quantities (line quantities, stock) lie within +/- this."""
MAX_EXCHANGE_RATE = Decimal(1_000_000)
MAX_WHOLE_NUMBER = 2_147_483_647
"""Numbers, ids, codes and positions are 32-bit, as KashFlow's own are."""
MAX_LINE_ITEMS = 1_000
"""Line items per invoice, purchase or quote."""
MAX_PAYMENT_ITEMS = 1_000
"""Payment items per bulk payment."""
FIRST_DAY = date(1900, 1, 1)
LAST_DAY = date(2999, 12, 31)


# -- field readers ---------------------------------------------------------------------
def _given(body: Body, name: str, required: bool) -> Any:
    """The field's value, or None when it is absent or empty (refused when `required`)."""
    value = body.get(name)
    if value is None or value == "":
        if required:
            raise Invalid(body.where(name), "is required")
        return None
    return value


def _number(field: str, value: Any, what: str) -> Decimal:
    """`value` (text or a number, not a boolean) as a `Decimal`; `what` names the kind of
    number in the refusal ("number", "whole number")."""
    if isinstance(value, bool) or not isinstance(value, str | int | Decimal):
        raise Invalid(field, f"must be a {what}")
    try:
        return Decimal(str(value).strip())
    except InvalidOperation:
        raise Invalid(field, f"{shown(value)} is not a {what}") from None


def _within(field: str, number: Decimal, low: Decimal | int, high: Decimal | int) -> None:
    if not low <= number <= high:
        raise Invalid(field, f"must be between {low} and {high}")


def read_amount(
    body: Body,
    name: str,
    default: Decimal | None = None,
    *,
    low: Decimal = -MAX_MONEY,
    high: Decimal = MAX_MONEY,
) -> Decimal | None:
    """A number with at most 4 decimal places between `low` and `high` inclusive."""
    value = _given(body, name, required=False)
    if value is None:
        return default
    field = body.where(name)
    amount = _number(field, value, "number")
    if not amount.is_finite():
        raise Invalid(field, "must be a finite number")
    _within(field, amount, low, high)
    if amount != amount.quantize(FOUR):
        raise Invalid(field, "has more than 4 decimal places")
    return amount


def read_positive_amount(body: Body, name: str) -> Decimal:
    """A required amount greater than zero (what a payment pays)."""
    amount = read_amount(body, name)
    if amount is None:
        raise Invalid(body.where(name), "is required")
    if amount <= 0:
        raise Invalid(body.where(name), "must be greater than zero")
    return amount


def read_date(body: Body, name: str, required: bool = False) -> datetime | None:
    """A business date: KashFlow keeps the day only and writes it at 12:00:00."""
    value = _given(body, name, required)
    if value is None:
        return None
    field = body.where(name)
    parsed = parse_date(value) if isinstance(value, str) else None
    if parsed is None:
        raise Invalid(field, f"{shown(value)} is not a date")
    if not FIRST_DAY <= parsed.date() <= LAST_DAY:
        raise Invalid(field, f"must be between {FIRST_DAY} and {LAST_DAY}")
    return at_noon(parsed.date())


def at_noon(day: date) -> datetime:
    return datetime.combine(day, time(12))


def parse_date(text: str) -> datetime | None:
    text = text.strip()
    for candidate in (text, text.replace("Z", "+00:00")):
        try:
            parsed = datetime.fromisoformat(candidate)
        except ValueError:
            continue
        return parsed.replace(tzinfo=None)
    return None


def read_text(body: Body, name: str, max_length: int = 255, required: bool = False) -> str | None:
    value = body.text(name)
    if not value:
        if required:
            raise Invalid(body.where(name), "is required")
        return None
    if len(value) > max_length:
        raise Invalid(body.where(name), f"is longer than {max_length} characters")
    return value


def read_int(
    body: Body,
    name: str,
    required: bool = False,
    *,
    low: int = -MAX_WHOLE_NUMBER,
    high: int = MAX_WHOLE_NUMBER,
) -> int | None:
    """A whole number between `low` and `high` inclusive (`12`, `12.0` and `"12"` alike)."""
    value = _given(body, name, required)
    if value is None:
        return None
    field = body.where(name)
    number = _number(field, value, "whole number")
    if not number.is_finite() or number != number.to_integral_value():
        raise Invalid(field, f"{shown(value)} is not a whole number")
    _within(field, number, low, high)
    return int(number)


def read_bool(body: Body, name: str, default: bool = False) -> bool:
    value = body.get(name)
    if value is None:
        return default
    if isinstance(value, bool):
        return value
    if isinstance(value, str | int) and str(value).lower() in ("true", "1", "yes"):
        return True
    if isinstance(value, str | int) and str(value).lower() in ("false", "0", "no"):
        return False
    raise Invalid(body.where(name), f"{shown(value)} is not true or false")


def currency(body: Body | None, default: str = "GBP") -> dict[str, Any]:
    code = (body.text("Code") if body else None) or default
    code = code.upper()
    if code not in CURRENCIES:
        raise Invalid(
            body.where("Code") if body else "Currency.Code", f"unknown currency {shown(code)}"
        )
    name, symbol = CURRENCIES[code]
    rate = Decimal(1)
    if body is not None:
        rate = read_amount(body, "ExchangeRate", rate, low=FOUR, high=MAX_EXCHANGE_RATE) or rate
    return {"Code": code, "Name": name, "Symbol": symbol, "ExchangeRate": rate}


def money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding="ROUND_HALF_UP")


# -- customers and suppliers -----------------------------------------------------------
def address(body: Body | None) -> dict[str, Any] | None:
    if body is None:
        return None
    return {
        "Name": read_text(body, "Name"),
        "Line1": read_text(body, "Line1"),
        "Line2": read_text(body, "Line2"),
        "Line3": read_text(body, "Line3"),
        "Line4": read_text(body, "Line4"),
        "PostCode": read_text(body, "PostCode", 20),
        "CountryName": read_text(body, "CountryName"),
        "CountryCode": read_text(body, "CountryCode", 3),
    }


def payment_terms(body: Body | None) -> dict[str, Any]:
    days = read_int(body, "Days", low=0, high=3650) if body else None
    return {
        "Days": 30 if days is None else days,
        "Type": (body.text("Type") if body else None) or "Days",
    }


def _party(body: Body, code: str, now: datetime, existing: dict[str, Any] | None) -> dict[str, Any]:
    name = read_text(body, "Name", 200, required=True)
    vat = read_text(body, "VatNumber", 30) or read_text(body, "VATNumber", 30)
    return {
        "Id": existing["Id"] if existing else None,
        "Code": code,
        "Name": name,
        "Email": read_text(body, "Email"),
        "TelephoneNumber": read_text(body, "TelephoneNumber", 50),
        "VatNumber": vat,
        "Currency": currency(body.child("Currency")),
        "PaymentTerms": payment_terms(body.child("PaymentTerms")),
        "IsArchived": read_bool(body, "IsArchived"),
        "CreatedDate": existing["CreatedDate"] if existing else now,
        "LastUpdatedDate": now,
        "OutstandingBalance": existing["OutstandingBalance"] if existing else Decimal(0),
        "TotalPaidAmount": existing["TotalPaidAmount"] if existing else Decimal(0),
        "DefaultNominalCode": read_int(body, "DefaultNominalCode"),
        "Note": read_text(body, "Note", 2000),
    }


def customer(
    body: Body, code: str, now: datetime, existing: dict[str, Any] | None
) -> dict[str, Any]:
    record = _party(body, code, now, existing)
    addresses = [a for a in (address(b) for b in body.children("Addresses")) if a]
    discount = read_amount(body, "DiscountRate", Decimal(0), low=Decimal(0), high=Decimal(100))
    record.update(
        {
            "DisplayName": read_text(body, "DisplayName") or record["Name"],
            "MobileNumber": read_text(body, "MobileNumber", 50),
            "Website": read_text(body, "Website"),
            "DiscountRate": discount,
            "CreditLimit": read_amount(body, "CreditLimit", low=Decimal(0)),
            "Contacts": contacts(body),
            "Addresses": addresses,
            "DeliveryAddresses": [
                a for a in (address(b) for b in body.children("DeliveryAddresses")) if a
            ],
            "CustomCheckBoxes": [],
            "CustomTextBoxes": [],
        }
    )
    return record


CUSTOMER_SUMMARY = (
    "Id", "Code", "Name", "DisplayName", "Email", "TelephoneNumber", "VatNumber",
    "OutstandingBalance", "TotalPaidAmount", "IsArchived", "CreatedDate", "LastUpdatedDate",
)  # fmt: skip


def supplier(
    body: Body, code: str, now: datetime, existing: dict[str, Any] | None
) -> dict[str, Any]:
    record = _party(body, code, now, existing)
    bank = body.child("BankAccount")
    record.update(
        {
            "Contacts": contacts(body),
            "Address": address(body.child("Address")),
            "PaymentMethod": read_int(body, "PaymentMethod"),
            "BankAccount": {
                "Name": read_text(bank, "Name"),
                "Number": read_text(bank, "Number", 20),
                "SortCode": read_text(bank, "SortCode", 10),
            }
            if bank
            else None,
        }
    )
    return record


SUPPLIER_SUMMARY = (
    "Id", "Code", "Name", "Email", "TelephoneNumber", "VatNumber", "OutstandingBalance",
    "IsArchived", "CreatedDate", "LastUpdatedDate",
)  # fmt: skip


def contacts(body: Body) -> list[dict[str, Any]]:
    """Contacts are kept as sent, once each value is text, true/false or null."""
    kept = []
    for contact in body.children("Contacts", limit=100):
        for name, value in contact.raw.items():
            if not (value is None or isinstance(value, str | bool)):
                raise Invalid(contact.where(str(name)), "must be text, true/false or null")
            if isinstance(value, str) and len(value) > 255:
                raise Invalid(contact.where(str(name)), "is longer than 255 characters")
        kept.append(dict(contact.raw))
    return kept


def summary(record: dict[str, Any], fields: tuple[str, ...]) -> dict[str, Any]:
    return {name: record.get(name) for name in fields}


# -- nominals and bank accounts --------------------------------------------------------
def nominal(body: Body, record_id: int, existing: dict[str, Any] | None) -> dict[str, Any]:
    code = read_int(body, "Code", required=existing is None, low=0)
    if code is None and existing is not None:
        code = existing["Code"]
    is_product = read_bool(body, "IsProduct", bool(existing and existing.get("IsProduct")))
    product_code = read_text(body, "ProductCode", 50)
    if is_product and not product_code:
        raise Invalid("ProductCode", "is required for a product")
    return {
        "Id": record_id,
        "Code": code,
        "Name": read_text(body, "Name", 200, required=True),
        "Type": read_text(body, "Type", 50),
        "NomType": read_int(body, "NomType"),
        "IsProduct": is_product,
        "ProductCode": product_code,
        "Price": read_amount(body, "Price", Decimal(0)),
        "WholeSalePrice": read_amount(body, "WholeSalePrice"),
        "VATRate": read_amount(body, "VATRate", Decimal(0), low=Decimal(0), high=Decimal(100)),
        "VATExempt": read_bool(body, "VATExempt"),
        "Description": read_text(body, "Description", 2000),
        "Archived": read_bool(body, "Archived"),
        "ManageStockLevel": read_bool(body, "ManageStockLevel"),
        "QuantityInStock": read_quantity(body, "QuantityInStock", Decimal(0)),
        "StockWarningQuantity": read_quantity(body, "StockWarningQuantity", Decimal(0)),
        "DefaultSaleNominal": read_int(body, "DefaultSaleNominal"),
    }


# -- documents -------------------------------------------------------------------------
def read_quantity(body: Body, name: str, default: Decimal) -> Decimal:
    quantity = read_amount(body, name, default, low=-MAX_QUANTITY, high=MAX_QUANTITY)
    assert quantity is not None
    return quantity


def line_items(body: Body, nominal_codes: set[int]) -> list[dict[str, Any]]:
    lines = []
    for index, line in enumerate(body.children("LineItems", limit=MAX_LINE_ITEMS), start=1):
        quantity = read_quantity(line, "Quantity", Decimal(1))
        rate = read_amount(line, "Rate", Decimal(0))
        level = read_amount(line, "VATLevel", Decimal(0), low=Decimal(0), high=Decimal(100))
        assert rate is not None and level is not None
        nominal_code = read_int(line, "NominalCode")
        if nominal_code is not None and nominal_code not in nominal_codes:
            raise Invalid(line.where("NominalCode"), f"no nominal has code {nominal_code}")
        net = money(quantity * rate)
        if abs(net) > MAX_MONEY:
            raise Invalid(
                line.where("Rate"), f"Quantity x Rate must be between {-MAX_MONEY} and {MAX_MONEY}"
            )
        vat = read_amount(line, "VATAmount")
        if vat is None:
            vat = money(net * level / 100)
        lines.append(
            {
                "Id": None,
                "Number": read_int(line, "Number", low=1) or index,
                "Description": read_text(line, "Description", 2000) or "",
                "Quantity": quantity,
                "Rate": rate,
                "NominalCode": nominal_code,
                "ProductCode": read_text(line, "ProductCode", 50),
                "ProductName": read_text(line, "ProductName", 200),
                "VATAmount": vat,
                "VATLevel": level,
                "VATExempt": read_bool(line, "VATExempt"),
                "ProjectNumber": read_int(line, "ProjectNumber"),
            }
        )
    return lines


def totals(lines: list[dict[str, Any]]) -> dict[str, Decimal]:
    net = sum((money(line["Quantity"] * line["Rate"]) for line in lines), Decimal(0))
    vat = sum((line["VATAmount"] for line in lines), Decimal(0))
    for field, amount in (("NetAmount", net), ("VATAmount", vat), ("GrossAmount", net + vat)):
        if abs(amount) > MAX_MONEY:
            raise Invalid(field, f"the line items add up to more than {MAX_MONEY}")
    return {"NetAmount": net, "VATAmount": vat, "GrossAmount": net + vat}


def settle(document: dict[str, Any], today: date) -> dict[str, Any]:
    """Recomputes what payments decide: paid total, amount due, status and paid date."""
    payments = document.get("PaymentLines") or []
    paid = sum((Decimal(str(p["Amount"])) for p in payments), Decimal(0))
    gross = Decimal(str(document["GrossAmount"]))
    document["TotalPaidAmount"] = paid
    document["DueAmount"] = gross - paid
    dates = sorted(_moment(p["Date"]) for p in payments)
    document["LastPaymentDate"] = dates[-1] if dates else None
    if paid > gross and paid > 0:
        status = "Overpaid"
    elif paid >= gross and gross > 0:
        status = "Paid"
    elif gross == 0:
        status = "NA"
    else:
        due = document.get("DueDate")
        overdue = due is not None and _day(due) < today
        status = "Overdue" if overdue else "Unpaid"
    document["Status"] = status
    document["PaidDate"] = dates[-1] if status in ("Paid", "Overpaid") and dates else None
    return document


def _moment(value: Any) -> datetime:
    """Stored dates come back as text, new ones are datetimes: compare them as datetimes."""
    if isinstance(value, datetime):
        return value
    parsed = parse_date(str(value))
    assert parsed is not None
    return parsed


def _day(value: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    parsed = parse_date(str(value))
    assert parsed is not None
    return parsed.date()


INVOICE_SUMMARY = (
    "Id", "Number", "CustomerId", "CustomerCode", "CustomerName", "CustomerReference",
    "IssuedDate", "DueDate", "PaidDate", "LastPaymentDate", "NetAmount", "VATAmount",
    "GrossAmount", "TotalPaidAmount", "DueAmount", "Status", "IsArchived", "ProjectNumber",
)  # fmt: skip
PURCHASE_SUMMARY = (
    "Id", "Number", "SupplierId", "SupplierCode", "SupplierName", "SupplierReference",
    "IssuedDate", "DueDate", "PaidDate", "NetAmount", "VATAmount", "GrossAmount",
    "TotalPaidAmount", "DueAmount", "Status",
)  # fmt: skip
QUOTE_SUMMARY = (
    "Id", "Number", "CustomerId", "CustomerCode", "CustomerName", "CustomerReference",
    "Date", "NetAmount", "VATAmount", "GrossAmount", "Status",
)  # fmt: skip


def document_summary(record: dict[str, Any], fields: tuple[str, ...]) -> dict[str, Any]:
    """List items are summaries: `LineItems`, `PaymentLines` and `Currency` are null."""
    result = summary(record, fields)
    result.update({"Currency": None, "LineItems": None, "PaymentLines": None})
    return result


def payment_line(
    body: Body, line_id: int, accounts: dict[int, dict[str, Any]], methods: set[int]
) -> dict[str, Any]:
    amount = read_positive_amount(body, "Amount")
    account = read_int(body, "AccountId")
    if account is None:
        account = next((a for a, acc in accounts.items() if acc.get("IsDefaultAccount")), None)
    if account not in accounts:
        raise Invalid(body.where("AccountId"), f"no bank account has id {account}")
    method = read_int(body, "Method") or 1
    if method not in methods:
        raise Invalid(body.where("Method"), f"no payment method has id {method}")
    return {
        "Id": line_id,
        "Date": read_date(body, "Date", required=True),
        "Amount": amount,
        "Method": method,
        "AccountId": account,
        "Note": read_text(body, "Note", 500),
        "Reference": read_text(body, "Reference", 100),
    }
