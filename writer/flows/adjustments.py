"""An edit of a KashFlow invoice that Sage 100 has posted, as an accountant posts one: the
difference as an adjustment applied to the invoice, a credit memo (InvoiceType ``CM``)
when the invoice went down, a debit memo (``DM``) when it went up.

The memo's lines are the differences per G/L account, VAT rate and product between the
invoice as Sage holds it (the posting plus every memo written since) and the edited one,
so its tax splits as the lines changed. Its number comes from the invoice and the source
version (`keys.ar_adjustment_no`), so it is planned and applied once. The memo record
holds the amounts as A/R history does: a credit memo's negative. What cannot be adjusted
(another customer, a change of dates, reference or currency alone, lines moved between
accounts with the total unchanged) is refused in one line.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal

from canonical import DocumentLine, SalesInvoice
from connectors.sage100 import keys
from writer.flows.base import Planner, Source
from writer.flows.state import PriorIntent
from writer.intents import WriteIntent

FLOW = "sales_invoice_to_sage100"
HEADER = ("issue_date", "due_date", "reference", "currency")
"""What a posted invoice keeps whatever KashFlow says later (amounts are adjusted)."""

LineGroup = tuple[str | None, Decimal, str | None]
"""(G/L account, VAT rate, product): the lines one adjustment line stands for."""


def is_memo(intent: WriteIntent) -> bool:
    """Whether a planned intent of the flow is an adjustment, not the invoice itself."""
    return any(column == "ApplyToInvoiceNo" for column, _ in intent.native_fields)


def posted_invoice(written: Sequence[PriorIntent]) -> PriorIntent | None:
    """The intent that posted the invoice (the first create); the others are memos."""
    return next((i for i in written if i.operation == "create"), None)


def memos(written: Sequence[PriorIntent]) -> list[PriorIntent]:
    """The adjustments written to an invoice since it was posted, oldest first."""
    posted = posted_invoice(written)
    return [i for i in written if i is not posted and i.operation == "create"]


def _groups(lines: Sequence[DocumentLine]) -> dict[LineGroup, tuple[Decimal, Decimal, str]]:
    totals: dict[LineGroup, tuple[Decimal, Decimal, str]] = {}
    for line in lines:
        group = (line.gl_account, line.tax_rate.normalize(), line.product_key)
        net, tax, description = totals.get(group, (Decimal(0), Decimal(0), line.description))
        totals[group] = (net + line.net_amount, tax + line.tax_amount, description)
    return totals


def held_lines(written: Sequence[PriorIntent]) -> list[DocumentLine]:
    """The lines Sage 100 holds for the invoice: the posting's and every memo's."""
    lines: list[DocumentLine] = []
    for intent in written:
        if intent.operation == "create":
            record = intent.record()
            assert isinstance(record, SalesInvoice)
            lines.extend(record.lines)
    return lines


def plan_adjustment(
    planner: Planner, source: Source, edited: SalesInvoice, written: Sequence[PriorIntent]
) -> None:
    """Plans the memo taking the posted invoice (with its memos) to `edited` (already in
    Sage 100's terms), nothing when the amounts agree, or refuses what cannot be adjusted."""
    posted = posted_invoice(written)
    if posted is None:
        return  # only updates were written (before adjustments existed): nothing to adjust
    original = posted.record()
    assert isinstance(original, SalesInvoice)
    number = posted.written_key or original.key
    if edited.customer_key != original.customer_key:
        planner.reject(
            FLOW, source, "customer_key",
            f"customer changed from {original.customer_key} to {edited.customer_key} after"
            f" Sage 100 posted invoice {number}: not adjusted (credit it there and post anew)",
        )  # fmt: skip
        return
    held = _groups(held_lines(written))
    wanted = _groups(edited.lines)
    difference: dict[LineGroup, tuple[Decimal, Decimal, str]] = defaultdict(
        lambda: (Decimal(0), Decimal(0), "")
    )
    for group in [*held, *(g for g in wanted if g not in held)]:
        net_now, tax_now, text_now = wanted.get(group, (Decimal(0), Decimal(0), ""))
        net_was, tax_was, text_was = held.get(group, (Decimal(0), Decimal(0), ""))
        if net_now != net_was or tax_now != tax_was:
            difference[group] = (net_now - net_was, tax_now - tax_was, text_now or text_was)
    changed = [f for f in HEADER if getattr(edited, f) != getattr(original, f)]
    if not difference:
        if changed:
            planner.reject(
                FLOW, source, changed[0],
                f"{', '.join(changed)} changed after Sage 100 posted invoice {number}: only"
                " amounts are adjusted (a credit or debit memo); change it there by hand",
            )  # fmt: skip
        return
    gross = sum((net + tax for net, tax, _ in difference.values()), Decimal(0))
    if gross == 0:
        planner.reject(
            FLOW, source, "lines",
            f"lines moved between accounts with the total unchanged after Sage 100 posted"
            f" invoice {number}: not adjusted (post a G/L journal there)",
        )  # fmt: skip
        return
    kind = "CM" if gross < 0 else "DM"
    lines = tuple(
        DocumentLine(
            line_no=index,
            description=f"{'Credit' if kind == 'CM' else 'Debit'} to invoice {number}: {text}"[
                :200
            ],
            quantity=Decimal(1),
            unit_price=net,
            net_amount=net,
            tax_rate=group[1],
            tax_amount=tax,
            gl_account=group[0],
        )
        for index, (group, (net, tax, text)) in enumerate(sorted(difference.items(), key=str), 1)
    )
    memo = SalesInvoice.build(
        system="sage100",
        key=keys.ar_adjustment_no(number, source.version),
        customer_key=original.customer_key,
        issue_date=planner.state.today,
        currency=original.currency,
        reference=original.reference,
        lines=lines,
        net_amount=sum((line.net_amount for line in lines), Decimal(0)),
        tax_amount=sum((line.tax_amount for line in lines), Decimal(0)),
        gross_amount=gross,
    )
    pending = [i.idempotency_key for i in written if i.status != "succeeded"]
    planner.intent(
        FLOW,
        "create",
        memo,
        source,
        amount=gross,
        depends_on=tuple(pending),
        warnings=tuple(
            f"{field} changed too: Sage 100 keeps the posted invoice's" for field in changed
        ),
        native_fields=(("InvoiceType", kind), ("ApplyToInvoiceNo", number)),
    )


def adjusted_by(written: Sequence[PriorIntent], read_at: datetime) -> Decimal:
    """The gross of the memos Sage 100 held when its invoice was read at `read_at`: what
    they moved the invoice's balance by, which is not money received."""
    total = Decimal(0)
    for memo in memos(written):
        if (
            memo.status == "succeeded"
            and memo.outcome_at is not None
            and memo.outcome_at <= read_at
        ):
            record = memo.record()
            assert isinstance(record, SalesInvoice)
            total += record.gross_amount
    return total
