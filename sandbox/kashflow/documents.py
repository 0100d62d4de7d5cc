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

from sandbox.kashflow.wire import Body

CENT = Decimal("0.01")
FOUR = Decimal("0.0001")
STATUSES = ("Unpaid", "Paid", "Overpaid", "Overdue", "NA")
CURRENCIES = {
    "GBP": ("Pound Sterling", "£"),
    "EUR": ("Euro", "€"),
    "USD": ("US Dollar", "$"),
}


class Invalid(Exception):
    """A request body value the sandbox refuses: answered 400 with the field and message."""

    def __init__(self, field: str, message: str, error: str = "ValidationError") -> None:
        self.field = field
        self.message = message
        self.error = error
        super().__init__(f"{field}: {message}")


# -- field readers ---------------------------------------------------------------------
def read_amount(body: Body, name: str, default: Decimal | None = None) -> Decimal | None:
    value = body.get(name)
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        raise Invalid(name, "must be a number")
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        raise Invalid(name, f"{value!r} is not a number") from None
    if not amount.is_finite():
        raise Invalid(name, "must be a finite number")
    if amount != amount.quantize(FOUR):
        raise Invalid(name, "has more than 4 decimal places")
    return amount


def read_date(body: Body, name: str, required: bool = False) -> datetime | None:
    """A business date: KashFlow keeps the day only and writes it at 12:00:00."""
    value = body.get(name)
    if value is None or value == "":
        if required:
            raise Invalid(name, "is required")
        return None
    parsed = parse_date(str(value))
    if parsed is None:
        raise Invalid(name, f"{value!r} is not a date")
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
            raise Invalid(name, "is required")
        return None
    if len(value) > max_length:
        raise Invalid(name, f"is longer than {max_length} characters")
    return value


def read_int(body: Body, name: str, required: bool = False) -> int | None:
    value = body.get(name)
    if value is None or value == "":
        if required:
            raise Invalid(name, "is required")
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise Invalid(name, f"{value!r} is not a whole number") from None
    if number != number.to_integral_value():
        raise Invalid(name, f"{value!r} is not a whole number")
    return int(number)


def read_bool(body: Body, name: str, default: bool = False) -> bool:
    value = body.get(name)
    if value is None:
        return default
    if isinstance(value, bool):
        return value
    if str(value).lower() in ("true", "1", "yes"):
        return True
    if str(value).lower() in ("false", "0", "no"):
        return False
    raise Invalid(name, f"{value!r} is not true or false")


def currency(body: Body | None, default: str = "GBP") -> dict[str, Any]:
    code = (body.text("Code") if body else None) or default
    code = code.upper()
    if code not in CURRENCIES:
        raise Invalid("Currency.Code", f"unknown currency {code!r}")
    name, symbol = CURRENCIES[code]
    rate = read_amount(body, "ExchangeRate", Decimal(1)) if body else Decimal(1)
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
    days = read_int(body, "Days") if body else None
    if days is not None and not 0 <= days <= 3650:
        raise Invalid("PaymentTerms.Days", "must be between 0 and 3650")
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
    discount = read_amount(body, "DiscountRate", Decimal(0))
    record.update(
        {
            "DisplayName": read_text(body, "DisplayName") or record["Name"],
            "MobileNumber": read_text(body, "MobileNumber", 50),
            "Website": read_text(body, "Website"),
            "DiscountRate": discount,
            "CreditLimit": read_amount(body, "CreditLimit"),
            "Contacts": [dict(c.raw) for c in body.children("Contacts")],
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
            "Contacts": [dict(c.raw) for c in body.children("Contacts")],
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


def summary(record: dict[str, Any], fields: tuple[str, ...]) -> dict[str, Any]:
    return {name: record.get(name) for name in fields}


# -- nominals and bank accounts --------------------------------------------------------
def nominal(body: Body, record_id: int, existing: dict[str, Any] | None) -> dict[str, Any]:
    code = read_int(body, "Code", required=existing is None)
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
        "VATRate": read_amount(body, "VATRate", Decimal(0)),
        "VATExempt": read_bool(body, "VATExempt"),
        "Description": read_text(body, "Description", 2000),
        "Archived": read_bool(body, "Archived"),
        "ManageStockLevel": read_bool(body, "ManageStockLevel"),
        "QuantityInStock": read_amount(body, "QuantityInStock", Decimal(0)),
        "StockWarningQuantity": read_amount(body, "StockWarningQuantity", Decimal(0)),
        "DefaultSaleNominal": read_int(body, "DefaultSaleNominal"),
    }


# -- documents -------------------------------------------------------------------------
def line_items(body: Body, nominal_codes: set[int]) -> list[dict[str, Any]]:
    lines = []
    for index, line in enumerate(body.children("LineItems"), start=1):
        where = f"LineItems[{index - 1}]"
        quantity = read_amount(line, "Quantity", Decimal(1))
        rate = read_amount(line, "Rate", Decimal(0))
        assert quantity is not None and rate is not None
        level = read_amount(line, "VATLevel", Decimal(0))
        assert level is not None
        if level < 0 or level > 100:
            raise Invalid(f"{where}.VATLevel", "must be between 0 and 100")
        nominal_code = read_int(line, "NominalCode")
        if nominal_code is not None and nominal_code not in nominal_codes:
            raise Invalid(f"{where}.NominalCode", f"no nominal has code {nominal_code}")
        net = money(quantity * rate)
        vat = read_amount(line, "VATAmount")
        if vat is None:
            vat = money(net * level / 100)
        lines.append(
            {
                "Id": None,
                "Number": read_int(line, "Number") or index,
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
    amount = read_amount(body, "Amount")
    if amount is None:
        raise Invalid("Amount", "is required")
    if amount == 0:
        raise Invalid("Amount", "must not be zero")
    account = read_int(body, "AccountId")
    if account is None:
        account = next((a for a, acc in accounts.items() if acc.get("IsDefaultAccount")), None)
    if account not in accounts:
        raise Invalid("AccountId", f"no bank account has id {account}")
    method = read_int(body, "Method") or 1
    if method not in methods:
        raise Invalid("Method", f"no payment method has id {method}")
    return {
        "Id": line_id,
        "Date": read_date(body, "Date", required=True),
        "Amount": amount,
        "Method": method,
        "AccountId": account,
        "Note": read_text(body, "Note", 500),
        "Reference": read_text(body, "Reference", 100),
    }
