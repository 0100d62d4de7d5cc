"""What a reconcile run leaves unmatched: the open invoices and unallocated payments that
no automatic allocation of the run accounts for (suggested allocations wait for a
person, so they leave their items unmatched), as `ledger.unmatched_item` rows."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import Decimal

from ledger import MatchResult
from ledger.unmatched import UnmatchedItem
from matcher.steps import PaymentFrames


def unmatched_items(
    pairings: Sequence[PaymentFrames], results: Iterable[MatchResult]
) -> list[UnmatchedItem]:
    """Invoices with an amount still open, payments with an amount not yet allocated,
    after the run's ``auto`` payment results.

    A payment is offered to the invoices of each system, so what covers it is the larger
    of its sides' automatic allocations. The counterparty is the shared id (``system:key``;
    the KashFlow key for a linked pair)."""
    by_invoice: dict[str, Decimal] = {}
    sides: dict[tuple[str, str], Decimal] = {}
    for result in results:
        if result.kind != "payment" or result.status != "auto" or result.amount is None:
            continue
        if result.left is None or result.right is None:
            continue
        invoice = f"{result.right[0]}:{result.right[2]}"
        payment = f"{result.left[0]}:{result.left[2]}"
        by_invoice[invoice] = by_invoice.get(invoice, Decimal(0)) + result.amount
        side = (payment, str(result.detail.get("invoices_of", "")))
        sides[side] = sides.get(side, Decimal(0)) + result.amount
    by_payment: dict[str, Decimal] = {}
    for (payment, _), amount in sides.items():
        by_payment[payment] = max(by_payment.get(payment, Decimal(0)), amount)
    items: list[UnmatchedItem] = []
    for frames in pairings:
        for row in frames.invoices.iter_rows(named=True):
            left = row["amount_open"] - by_invoice.get(row["invoice_id"], Decimal(0))
            if left > 0:
                system, key = row["invoice_id"].split(":", 1)
                items.append(UnmatchedItem(
                    system, frames.invoice_entity, key, row["counterparty_id"], row["currency"],
                    row["amount_open"], left, row["issue_date"], row["number"],
                ))  # fmt: skip
        for row in frames.payments.iter_rows(named=True):
            left = row["unallocated"] - by_payment.get(row["payment_id"], Decimal(0))
            if left > 0:
                system, key = row["payment_id"].split(":", 1)
                items.append(UnmatchedItem(
                    system, "payment", key, row["counterparty_id"], row["currency"],
                    row["amount"], left, row["date"], row["reference"],
                ))  # fmt: skip
    return items
