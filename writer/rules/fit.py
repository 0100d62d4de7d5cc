"""Fitting a record to the system it is written to: normalisation (phone numbers, country
codes, whitespace, address lines) and the target's column widths.

A value longer than its target column is cut and the plan says so (`Fitted.warnings`),
or, with `normalise.too_long = "reject"`, the record is refused (`Fitted.problems`):
never silently. Widths are Sage 100's (AR_Customer, AP_Vendor, CI_Item, invoice and
receipt headers); KashFlow documents none the API would cut.

`comparable` is how two sides' values of one field are compared for a merge: both fitted
to both systems, so a value one side cannot hold as the other does (three address lines
against two, a name cut to 30 characters, "+44 1632 960123" against "01632 960123") is
not seen as a change.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Generic, TypeVar

import phonenumbers

from canonical import (
    CanonicalRecord,
    Customer,
    JournalEntry,
    Payment,
    Product,
    PurchaseInvoice,
    SalesInvoice,
    Supplier,
)
from matcher.normalise import normalise_phone
from writer.rules.model import NormaliseRules, Rules, System

R = TypeVar("R", bound=CanonicalRecord)

SAGE100_WIDTHS: dict[tuple[str, str], tuple[str, int]] = {
    ("customer", "name"): ("AR_Customer.CustomerName", 50),
    ("customer", "address_lines"): ("AR_Customer.AddressLine1-3", 40),
    ("customer", "city"): ("AR_Customer.City", 30),
    ("customer", "region"): ("AR_Customer.State", 2),
    ("customer", "postcode"): ("AR_Customer.ZipCode", 10),
    ("customer", "country"): ("AR_Customer.CountryCode", 3),
    ("customer", "phone"): ("AR_Customer.TelephoneNo", 20),
    ("customer", "email"): ("AR_Customer.EmailAddress", 250),
    ("customer", "tax_number"): ("AR_Customer.TaxExemptNo", 15),
    ("supplier", "name"): ("AP_Vendor.VendorName", 30),
    ("supplier", "address_lines"): ("AP_Vendor.AddressLine1-3", 30),
    ("supplier", "city"): ("AP_Vendor.City", 20),
    ("supplier", "region"): ("AP_Vendor.State", 2),
    ("supplier", "postcode"): ("AP_Vendor.ZipCode", 10),
    ("supplier", "country"): ("AP_Vendor.CountryCode", 3),
    ("supplier", "phone"): ("AP_Vendor.TelephoneNo", 17),
    ("supplier", "email"): ("AP_Vendor.EmailAddress", 250),
    ("product", "name"): ("CI_Item.ItemCodeDesc", 30),
    ("sales_invoice", "reference"): ("AR_InvoiceHeader.CustomerPONo", 30),
    ("purchase_invoice", "reference"): ("AP_InvoiceHeader.Comment", 30),
    ("payment", "reference"): ("AR_CashReceipts.CheckNo", 10),
    ("journal_entry", "description"): ("GL_GeneralJournalHeader.Comment", 30),
}
"""(entity, canonical field) -> (Sage 100 column, width in characters)."""

ADDRESS_LINES: dict[System, int] = {"sage100": 3, "kashflow": 2}
"""Street lines before the town each system keeps."""

_SPACES = re.compile(r"\s+")
PHONE_FORMATS = {
    "international": phonenumbers.PhoneNumberFormat.INTERNATIONAL,
    "national": phonenumbers.PhoneNumberFormat.NATIONAL,
    "e164": phonenumbers.PhoneNumberFormat.E164,
}


@dataclass(frozen=True)
class Fitted(Generic[R]):
    """A record as it will be written, and what fitting it changed or could not."""

    record: R
    warnings: tuple[str, ...] = ()
    problems: tuple[str, ...] = ()


def fit_record(record: R, target: System, rules: Rules) -> Fitted[R]:
    """`record` normalised and cut to what `target` holds, with a warning per value cut."""
    notes = _Notes(record, target, rules.normalise)
    update: dict[str, Any] = {}
    if isinstance(record, Customer | Supplier):
        update = _party(record, target, notes)
    elif isinstance(record, Product):
        update = {"name": notes.cut("name", _clean(record.name))}
    elif isinstance(record, SalesInvoice | PurchaseInvoice | Payment):
        if record.reference:
            update = {"reference": notes.cut("reference", _clean(record.reference))}
    elif isinstance(record, JournalEntry):
        update = {"description": notes.cut("description", _clean(record.description))}
    changed = {k: v for k, v in update.items() if getattr(record, k) != v}
    fitted = record.model_copy(update=changed) if changed else record
    return Fitted(fitted, tuple(notes.warnings), tuple(notes.problems))


def _party(record: Customer | Supplier, target: System, notes: _Notes) -> dict[str, Any]:
    rules = notes.rules
    return {
        "name": notes.cut("name", _clean(record.name)),
        "address_lines": tuple(
            notes.cut("address_lines", line)
            for line in fit_address_lines(record.address_lines, ADDRESS_LINES[target])
        ),
        "city": notes.cut("city", _clean(record.city)),
        "region": notes.cut("region", _clean(record.region)),
        "postcode": notes.cut("postcode", _clean(record.postcode)),
        "country": notes.cut("country", rules.country(record.country)),
        "phone": notes.cut("phone", format_phone(record.phone, rules)),
        "email": notes.cut("email", _clean(record.email)),
        "tax_number": notes.cut("tax_number", _clean(record.tax_number)),
    }


class _Notes:
    """Cuts values to the target's widths, noting each cut (or refusing, by the rules)."""

    def __init__(self, record: CanonicalRecord, target: System, rules: NormaliseRules) -> None:
        self.record, self.target, self.rules = record, target, rules
        self.warnings: list[str] = []
        self.problems: list[str] = []

    def cut(self, field: str, value: Any) -> Any:
        if not isinstance(value, str) or self.target != "sage100":
            return value
        column = SAGE100_WIDTHS.get((self.record.entity, field))
        if column is None or len(value) <= column[1]:
            return value
        name, width = column
        where = f"{self.record.entity} {self.record.key}: {field} {value!r}"
        if self.rules.too_long == "reject":
            self.problems.append(f"{where} is longer than {name} ({width} characters)")
            return value
        cut = value[:width].rstrip()
        self.warnings.append(f"{where} cut to {width} characters for {name}: {cut!r}")
        return cut


def _clean(value: str | None) -> str | None:
    """Whitespace collapsed and trimmed; blank is None."""
    if value is None:
        return None
    text = _SPACES.sub(" ", value).strip()
    return text or None


def fit_address_lines(lines: tuple[str, ...], keep: int) -> tuple[str, ...]:
    """Street lines cleaned, blanks dropped, and any beyond `keep` joined onto the last kept."""
    cleaned = [text for text in (_clean(line) for line in lines) if text]
    if len(cleaned) <= keep:
        return tuple(cleaned)
    return (*cleaned[: keep - 1], ", ".join(cleaned[keep - 1 :]))


def format_phone(phone: str | None, rules: NormaliseRules) -> str | None:
    """The number written as the rules say; a number phonenumbers cannot read is kept."""
    phone = _clean(phone)
    if phone is None or rules.phone_format == "as_is":
        return phone
    try:
        parsed = phonenumbers.parse(phone, rules.phone_region)
    except phonenumbers.NumberParseException:
        return phone
    if not phonenumbers.is_possible_number(parsed):
        return phone
    return str(phonenumbers.format_number(parsed, PHONE_FORMATS[rules.phone_format]))


_COMPARE: dict[str, Callable[[Any], Any]] = {
    "credit_limit": lambda v: Decimal(v) if v else None,
    "unit_cost": lambda v: Decimal(v) if v else None,
    "email": lambda v: v.casefold() if isinstance(v, str) else v,
    "country": lambda v: v.upper() if isinstance(v, str) else v,
}
"""Fields whose values compare by meaning: Sage reads a 0 credit limit back as None."""


def comparable(record: CanonicalRecord, fields: tuple[str, ...], rules: Rules) -> dict[str, Any]:
    """`record`'s `fields` as both systems would hold them: what a merge compares."""
    quiet = rules.normalise.model_copy(update={"too_long": "truncate"})
    both = rules.model_copy(update={"normalise": quiet})
    fitted = fit_record(fit_record(record, "kashflow", both).record, "sage100", both).record
    values = {}
    for field in fields:
        value = getattr(fitted, field)
        if field == "address_lines":
            value = fit_address_lines(value, min(ADDRESS_LINES.values()))
        if isinstance(value, Decimal):
            value = value.normalize()
        if field == "phone":
            value = normalise_phone(value, rules.normalise.phone_region) or None
        convert = _COMPARE.get(field)
        values[field] = convert(value) if convert else value
    return values
