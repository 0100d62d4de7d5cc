"""Canonical records (and rows) for tests, with the dates and defaults the matcher's tests share.

`receipt` and `sales_invoice` build the records that the payment tests pair up: a
receipt dated 20 September 2026 and an invoice issued on 1 September, due 1 October.
`gl_history` is the purchase history, in both systems, that GL suggestions learn from.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import date, timedelta
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


GL_HISTORY = (
    ("BRI0003", "7500", ("Printer paper A4", "Toner cartridges", "Envelopes and labels")),
    ("FLE0002", "7300", ("Diesel for delivery vans", "Fuel card top-up", "Van servicing")),
)
"""(KashFlow supplier, its nominal, what it sells): the purchases GL suggestions learn from."""

HistoryPurchase = tuple[str, str, str, str, str, str, str, date]
"""A purchase's system, key, supplier, reference, description, net, GL account, issue date."""


def gl_history(n_history: int) -> Iterator[HistoryPurchase]:
    """`n_history` purchases, each as KashFlow holds it and then its Sage 100 copy (keyed
    `01-<supplier>|<number>`, its line on the Sage account `<nominal>-00-00`), drawn in
    turn from `GL_HISTORY`."""
    purchases = [(s, d, n) for s, n, sold in GL_HISTORY for d in sold]
    for i in range(n_history):
        supplier, description, nominal = purchases[i % len(purchases)]
        number, net = str(6000 + i), f"{40 + 7 * i}.00"
        issued = date(2026, 1, 1) + timedelta(days=3 * i)
        reference = f"{supplier[:3]}-{number}"
        yield "kashflow", number, supplier, reference, description, net, nominal, issued
        sage_key, sage_supplier = f"01-{supplier}|{number}", f"01-{supplier}"
        yield (
            "sage100",
            sage_key,
            sage_supplier,
            reference,
            description,
            net,
            f"{nominal}-00-00",
            issued,
        )
