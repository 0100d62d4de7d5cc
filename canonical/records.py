"""The canonical record types: the one shape each business record takes inside Ledgerbridge.

Records are immutable pydantic models, validated on construction (errors name the field),
with exact `Decimal` money, ISO dates, a stable content hash and a JSON round-trip. Each
carries `(system, entity, key)`; connectors map their native rows to and from these.
"""

from __future__ import annotations

import hashlib
from datetime import date
from decimal import Decimal
from typing import Annotated, Any, ClassVar, Literal, Self

import orjson
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from canonical.errors import ValidationFailed
from canonical.money import Amount, decimal_text

System = Literal["kashflow", "sage100", "ecommerce", "gateway"]
SYSTEMS: tuple[System, ...] = ("kashflow", "sage100", "ecommerce", "gateway")
"""KashFlow and Sage 100, and the systems around KashFlow whose orders and payments
flow into it: an eCommerce platform and a payment gateway."""
ACCOUNTING_SYSTEMS: tuple[System, System] = ("kashflow", "sage100")
"""The two systems Ledgerbridge keeps in step and reconciles, in that order."""
KEY_MAX = 200
"""The longest key a record takes, in any system."""


def _currency(value: str) -> str:
    code = value.upper()
    if len(code) != 3 or not code.isalpha():
        raise ValueError(f"currency must be a three-letter ISO code, not {value!r}")
    return code


CurrencyCode = Annotated[str, AfterValidator(_currency)]
"""A three-letter ISO 4217 code, upper-cased on the way in."""


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)


class CanonicalRecord(_Frozen):
    """Base of every record: where it lives, and what it says."""

    entity: ClassVar[str]
    system: System
    key: str = Field(min_length=1, max_length=KEY_MAX)

    @field_validator("key", mode="before")
    @classmethod
    def _key_is_text(cls, value: object) -> object:
        return str(value) if isinstance(value, int) else value

    def payload(self) -> dict[str, Any]:
        """The record's content as JSON-ready data, without its identity."""
        return self.model_dump(mode="json", exclude={"system", "key"})

    def to_json(self) -> str:
        return self.model_dump_json()

    @classmethod
    def from_json(cls, text: str | bytes) -> Self:
        return cls.model_validate_json(text)

    @classmethod
    def from_payload(cls, system: str, key: str, payload: dict[str, Any]) -> Self:
        return cls.model_validate({"system": system, "key": key, **payload})

    @property
    def content_hash(self) -> str:
        return content_hash(self.payload())

    @classmethod
    def build(cls, **fields: Any) -> Self:
        """Constructs a record, turning a validation failure into a `ValidationFailed`
        that names the system, entity, key and the first offending field."""
        try:
            return cls(**fields)
        except ValidationError as exc:
            raise validation_failed(cls.entity, fields, exc) from None


def validation_failed(
    entity: str, fields: dict[str, Any], exc: ValidationError
) -> ValidationFailed:
    errors = exc.errors()
    first = errors[0]
    field = ".".join(str(p) for p in first["loc"]) or None
    messages = "; ".join(
        f"{'.'.join(str(p) for p in e['loc']) or '(record)'}: {e['msg']}" for e in errors
    )
    return ValidationFailed(
        messages,
        system=str(fields.get("system")) if fields.get("system") else None,
        entity=entity,
        key=str(fields.get("key")) if fields.get("key") is not None else None,
        field=field,
    )


def canonical_json_bytes(payload: Any) -> bytes:
    """Key-order independent UTF-8 JSON, decimals in canonical text: what content hashes hash.

    Canonical records hold no floats (amounts are `Decimal`), so a record's hash does not
    depend on how a source formatted its numbers ("46.0000", 46.0 and "46" hash the same).
    """
    return orjson.dumps(payload, option=orjson.OPT_SORT_KEYS, default=json_value)


def canonical_json(payload: Any) -> str:
    return canonical_json_bytes(payload).decode()


def content_hash(payload: Any) -> str:
    return hashlib.sha256(canonical_json_bytes(payload)).hexdigest()


def json_value(value: Any) -> Any:
    """How canonical JSON writes what JSON has no type for: decimals, dates, records."""
    if isinstance(value, Decimal):
        return decimal_text(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


class _Party(CanonicalRecord):
    name: str = Field(min_length=1, max_length=200)
    party_number: str | None = Field(default=None, max_length=200)
    """The system's own account number, without any division: Sage 100 `CustomerNo` or
    `VendorNo`, KashFlow `Code`."""
    email: str | None = None
    phone: str | None = None
    address_lines: tuple[str, ...] = ()
    city: str | None = None
    region: str | None = None
    postcode: str | None = None
    country: str | None = None
    tax_number: str | None = None
    currency: CurrencyCode = "GBP"
    payment_terms_days: int = Field(default=30, ge=0, le=3650)
    active: bool = True


class Customer(_Party):
    entity: ClassVar[str] = "customer"
    credit_limit: Amount | None = None


class Supplier(_Party):
    entity: ClassVar[str] = "supplier"


class Product(CanonicalRecord):
    entity: ClassVar[str] = "product"
    name: str = Field(min_length=1, max_length=200)
    description: str | None = None
    unit_price: Amount = Decimal(0)
    unit_cost: Amount | None = None
    tax_rate: Amount = Decimal(0)
    sales_account: str | None = None
    track_stock: bool = True
    active: bool = True


class StockLevel(CanonicalRecord):
    """Stock of one product in one warehouse; key is "PRODUCT|WAREHOUSE"."""

    entity: ClassVar[str] = "stock_level"
    product_key: str = Field(min_length=1)
    warehouse: str = Field(min_length=1)
    quantity_on_hand: Amount
    quantity_on_order: Amount = Decimal(0)
    quantity_committed: Amount = Decimal(0)

    @property
    def quantity_available(self) -> Decimal:
        return self.quantity_on_hand - self.quantity_committed


class GLAccount(CanonicalRecord):
    entity: ClassVar[str] = "gl_account"
    name: str = Field(min_length=1)
    account_type: str | None = None
    active: bool = True


class DocumentLine(_Frozen):
    line_no: int = Field(ge=1)
    description: str = ""
    product_key: str | None = None
    quantity: Amount = Decimal(1)
    unit_price: Amount = Decimal(0)
    net_amount: Amount
    tax_rate: Amount = Decimal(0)
    tax_amount: Amount = Decimal(0)
    gl_account: str | None = None


class _Document(CanonicalRecord):
    issue_date: date
    due_date: date | None = None
    currency: CurrencyCode = "GBP"
    reference: str | None = None
    lines: tuple[DocumentLine, ...] = ()
    net_amount: Amount
    tax_amount: Amount = Decimal(0)
    gross_amount: Amount
    amount_paid: Amount = Decimal(0)

    @model_validator(mode="after")
    def _totals_add_up(self) -> Self:
        if self.net_amount + self.tax_amount != self.gross_amount:
            raise ValueError(
                f"gross_amount {self.gross_amount} is not net_amount {self.net_amount}"
                f" + tax_amount {self.tax_amount}"
            )
        if self.lines:
            net = sum((line.net_amount for line in self.lines), Decimal(0))
            tax = sum((line.tax_amount for line in self.lines), Decimal(0))
            if net != self.net_amount:
                raise ValueError(f"net_amount {self.net_amount} is not the sum of the lines {net}")
            if tax != self.tax_amount:
                raise ValueError(f"tax_amount {self.tax_amount} is not the sum of the lines {tax}")
        if self.due_date is not None and self.due_date < self.issue_date:
            raise ValueError(f"due_date {self.due_date} is before issue_date {self.issue_date}")
        return self

    @property
    def amount_open(self) -> Decimal:
        return self.gross_amount - self.amount_paid


class SalesInvoice(_Document):
    entity: ClassVar[str] = "sales_invoice"
    customer_key: str = Field(min_length=1)


class PurchaseInvoice(_Document):
    entity: ClassVar[str] = "purchase_invoice"
    supplier_key: str = Field(min_length=1)


class Allocation(_Frozen):
    invoice_key: str = Field(min_length=1)
    amount: Amount


class Payment(CanonicalRecord):
    """Money received from a customer (receipt) or paid to a supplier (supplier_payment)."""

    entity: ClassVar[str] = "payment"
    kind: Literal["receipt", "supplier_payment"]
    counterparty_key: str | None = None
    payment_date: date
    amount: Amount
    currency: CurrencyCode = "GBP"
    method: str | None = None
    bank_account: str | None = None
    reference: str | None = None
    allocations: tuple[Allocation, ...] = ()

    @model_validator(mode="after")
    def _allocations_fit(self) -> Self:
        allocated = sum((a.amount for a in self.allocations), Decimal(0))
        if abs(allocated) > abs(self.amount):
            raise ValueError(f"allocations {allocated} exceed the payment amount {self.amount}")
        return self


class JournalLine(_Frozen):
    account: str = Field(min_length=1)
    debit: Amount = Decimal(0)
    credit: Amount = Decimal(0)
    description: str = ""

    @model_validator(mode="after")
    def _one_side(self) -> Self:
        if self.debit < 0 or self.credit < 0:
            raise ValueError("debit and credit are never negative")
        if self.debit and self.credit:
            raise ValueError("a journal line is a debit or a credit, not both")
        return self


class JournalEntry(CanonicalRecord):
    entity: ClassVar[str] = "journal_entry"
    posting_date: date
    description: str = ""
    source: str | None = None
    lines: tuple[JournalLine, ...] = Field(min_length=2)

    @model_validator(mode="after")
    def _balanced(self) -> Self:
        debit = sum((line.debit for line in self.lines), Decimal(0))
        credit = sum((line.credit for line in self.lines), Decimal(0))
        if debit != credit:
            raise ValueError(f"journal out of balance: debits {debit} != credits {credit}")
        return self


OrderState = Literal[
    "open", "backordered", "shipped", "invoiced", "complete", "cancelled", "on_hold"
]


class OrderStatus(CanonicalRecord):
    entity: ClassVar[str] = "order_status"
    customer_key: str = Field(min_length=1)
    order_date: date
    status: OrderState
    ship_date: date | None = None
    reference: str | None = None
    invoice_key: str | None = None


RECORD_TYPES: dict[str, type[CanonicalRecord]] = {
    t.entity: t
    for t in (
        Customer,
        Supplier,
        Product,
        StockLevel,
        GLAccount,
        SalesInvoice,
        PurchaseInvoice,
        Payment,
        JournalEntry,
        OrderStatus,
    )
}
ENTITIES: tuple[str, ...] = tuple(RECORD_TYPES)


def record_type(entity: str) -> type[CanonicalRecord]:
    try:
        return RECORD_TYPES[entity]
    except KeyError:
        raise ValidationFailed(
            f"unknown entity {entity!r}; known: {', '.join(ENTITIES)}", field="entity"
        ) from None


def parse_record(system: str, entity: str, key: str, payload: dict[str, Any]) -> CanonicalRecord:
    """Rebuilds a canonical record from what the ledger stores."""
    return record_type(entity).build(system=system, key=key, **payload)
