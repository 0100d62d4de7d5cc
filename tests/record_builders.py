"""Canonical records (and rows) for tests, with the dates and defaults the matcher's tests share.

`receipt` and `sales_invoice` build the records that the payment tests pair up: a
receipt dated 20 September 2026 and an invoice issued on 1 September, due 1 October.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from typing import Any

from canonical import Allocation, Payment, SalesInvoice, System

PAID_ON = date(2026, 9, 20)
ISSUED_ON = date(2026, 9, 1)
DUE_ON = date(2026, 10, 1)

ACME_DETAILS: dict[str, Any] = {
    "name": "Acme Engineering Ltd",
    "email": "accounts@acme-engineering.co.uk",
    "phone": "01871 989921",
    "address_lines": ("222 Church Street",),
    "city": "York",
    "postcode": "YO1 1GR",
}
"""A customer's details as both systems hold them, for the reconcile tests' ACME0019."""


def receipt(
    system: System,
    key: str,
    counterparty: str | None,
    amount: str,
    reference: str | None = None,
    allocations: Iterable[tuple[str, str]] = (),
) -> Payment:
    """A customer receipt; `allocations` are (invoice key, amount) pairs."""
    return Payment(
        system=system,
        key=key,
        kind="receipt",
        payment_date=PAID_ON,
        amount=Decimal(amount),
        reference=reference,
        counterparty_key=counterparty,
        allocations=tuple(Allocation(invoice_key=k, amount=Decimal(a)) for k, a in allocations),
    )


def sales_invoice(
    system: System, key: str, customer: str, gross: str, paid: str = "0"
) -> SalesInvoice:
    """An invoice with no tax, issued on `ISSUED_ON` and due on `DUE_ON`."""
    return SalesInvoice(
        system=system,
        key=key,
        customer_key=customer,
        issue_date=ISSUED_ON,
        due_date=DUE_ON,
        net_amount=Decimal(gross),
        gross_amount=Decimal(gross),
        amount_paid=Decimal(paid),
    )


HARPER_ROW: dict[str, str | None] = {
    "id": "L1",
    "name": "Harper Joinery Ltd",
    "email": "accounts@harperjoinery.co.uk",
    "phone": "01632 960123",
    "postcode": "LS1 4AB",
    "address": "12 High Street",
    "city": "Leeds",
    "tax_number": "GB123456789",
}
"""One supplier as a row of the master matcher's party frames, for its evidence and blocking
tests to vary."""
