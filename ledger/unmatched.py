"""What each reconcile run left unmatched: open invoices and unallocated payments, with the
amount no automatic match accounts for. The newest reconcile run's items are the
unmatched items now; the API pages through them in key order."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import psycopg

from ledger.results import copy_rows

COPY_UNMATCHED = (
    "COPY ledger.unmatched_item (run_id, system, entity, native_key, counterparty_key, currency,"
    " amount, amount_open, item_date, reference) FROM STDIN"
)


@dataclass(frozen=True, slots=True)
class UnmatchedItem:
    system: str
    entity: str
    """sales_invoice, purchase_invoice or payment."""
    key: str
    counterparty_key: str | None
    currency: str
    amount: Decimal
    amount_open: Decimal
    item_date: date
    reference: str | None = None


def append_unmatched(
    conn: psycopg.Connection[Any], run_id: int, items: Iterable[UnmatchedItem]
) -> int:
    """Appends one run's unmatched items in one COPY; returns how many."""
    rows = (
        (run_id, item.system, item.entity, item.key, item.counterparty_key, item.currency,
         item.amount, item.amount_open, item.item_date, item.reference)
        for item in items
    )  # fmt: skip
    return copy_rows(conn, COPY_UNMATCHED, rows)
