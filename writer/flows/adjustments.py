"""An edit of a KashFlow invoice or purchase that Sage 100 has posted, as an accountant posts
one: the difference as an adjustment applied to the posted document. A sales invoice takes a
credit memo (A/R InvoiceType ``CM``) when it went down, a debit memo (``DM``) when it went
up (`SALES`); an A/P invoice takes an adjustment (A/P InvoiceType ``AD``, chosen, not
confirmed by the reference) of the signed difference (`PURCHASES`).

The memo's lines are the differences per G/L account, VAT rate and product between the
invoice as Sage holds it (the posting plus every memo written since) and the edited one, so
its tax splits as the lines changed. Its number comes from the invoice and the source
version (`keys.ar_adjustment_no`, `keys.ap_adjustment_no`), so it is planned and applied
once. The memo record holds the amounts as history does: a credit memo's and a downward
adjustment's negative. What cannot be adjusted (another customer or vendor, a change of
dates, reference or currency alone, lines moved between accounts with the total unchanged)
is refused in one line.

`plan_document` is the step both flows take for each document: create it, adjust the one
we posted, or refuse one Sage 100 holds already with other totals.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from canonical import DocumentLine, PurchaseInvoice, SalesInvoice
from connectors.sage100 import keys
from writer.flows.base import Planner, Source
from writer.flows.state import PriorIntent
from writer.intents import WriteIntent

Document = SalesInvoice | PurchaseInvoice


@dataclass(frozen=True)
class Side:
    """How one flow's posted documents are adjusted in Sage 100."""

    flow: str
    party: str
    """The document's counterparty field: customer_key, supplier_key."""
    label: str
    invoice_no: Callable[[str], str]
    """The InvoiceNo an adjustment applies to, from the posted document's key."""
    memo_key: Callable[[str, int], str]
    """The adjustment's key, from the posted document's key and the source version."""
    kinds: tuple[str, str]
    """The InvoiceType of an adjustment down and of one up."""
    totals: tuple[str, ...]
    """The amounts a document already in Sage 100 must share with ours to be the same."""


def _ap_memo_key(posted: str, version: int) -> str:
    division, vendor_no, invoice_no = keys.split_ap_invoice_key(posted)
    return keys.ap_invoice_key(division, vendor_no, keys.ap_adjustment_no(invoice_no, version))


SALES = Side(
    "sales_invoice_to_sage100", "customer_key", "invoice", lambda key: key,
    keys.ar_adjustment_no, ("CM", "DM"), ("net_amount", "tax_amount", "gross_amount"),
)  # fmt: skip
PURCHASES = Side(
    "purchase_to_sage100", "supplier_key", "A/P invoice",
    lambda key: keys.split_ap_invoice_key(key)[2], _ap_memo_key, ("AD", "AD"),
    ("gross_amount",),
)  # fmt: skip
FLOW = SALES.flow
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
            assert isinstance(record, SalesInvoice | PurchaseInvoice)
            lines.extend(record.lines)
    return lines


def plan_document(
    planner: Planner,
    source: Source,
    record: Document,
    side: Side,
    *,
    depends_on: tuple[str | None, ...],
    warnings: tuple[str, ...] = (),
    native_fields: tuple[tuple[str, str], ...] = (),
) -> None:
    """Plans the create of a KashFlow document (`record`, in Sage 100's terms) unless the
    flow wrote it before (then an adjustment for what changed since) or Sage 100 holds
    `record.key` already (the same document when `side.totals` agree; refused otherwise)."""
    before = planner.state.written_from(side.flow, source.system, source.key)
    if before:
        plan_adjustment(planner, source, record, before, side)
        return
    existing = planner.state.version("sage100", source.entity, record.key)
    if existing is None:
        planner.intent(
            side.flow,
            "create",
            record,
            source,
            amount=record.gross_amount,
            depends_on=depends_on,
            warnings=warnings,
            native_fields=native_fields,
        )
        return
    held = existing.record()
    assert isinstance(held, type(record))
    if any(getattr(held, total) != getattr(record, total) for total in side.totals):
        planner.reject(
            side.flow,
            source,
            "key",
            f"Sage 100 already holds {side.label} {record.key} with other totals"
            f" (gross {held.gross_amount}, here {record.gross_amount}): not written twice",
        )


def plan_adjustment(
    planner: Planner,
    source: Source,
    edited: Document,
    written: Sequence[PriorIntent],
    side: Side = SALES,
) -> None:
    """Plans the memo taking the posted document (with its memos) to `edited` (already in
    Sage 100's terms), nothing when the amounts agree, or refuses what cannot be adjusted."""
    posted = posted_invoice(written)
    if posted is None:
        return  # only updates were written (before adjustments existed): nothing to adjust
    original = posted.record()
    assert isinstance(original, type(edited))
    posted_key = posted.written_key or original.key
    number = side.invoice_no(posted_key)
    party = side.party
    if getattr(edited, party) != getattr(original, party):
        planner.reject(
            side.flow, source, party,
            f"{party.removesuffix('_key')} changed from {getattr(original, party)} to"
            f" {getattr(edited, party)} after Sage 100 posted {side.label} {number}: not"
            " adjusted (credit it there and post anew)",
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
                side.flow, source, changed[0],
                f"{', '.join(changed)} changed after Sage 100 posted {side.label} {number}:"
                " only amounts are adjusted; change it there by hand",
            )  # fmt: skip
        return
    gross = sum((net + tax for net, tax, _ in difference.values()), Decimal(0))
    if gross == 0:
        planner.reject(
            side.flow, source, "lines",
            f"lines moved between accounts with the total unchanged after Sage 100 posted"
            f" {side.label} {number}: not adjusted (post a G/L journal there)",
        )  # fmt: skip
        return
    kind = side.kinds[0] if gross < 0 else side.kinds[1]
    label = f"{'Credit' if gross < 0 else 'Debit'} to {side.label} {number}"
    lines = tuple(
        DocumentLine(
            line_no=index,
            description=f"{label}: {text}"[:200],
            quantity=Decimal(1),
            unit_price=net,
            net_amount=net,
            tax_rate=group[1],
            tax_amount=tax,
            gl_account=group[0],
        )
        for index, (group, (net, tax, text)) in enumerate(sorted(difference.items(), key=str), 1)
    )
    memo = type(original).build(
        system="sage100",
        key=side.memo_key(posted_key, source.version),
        **{party: getattr(original, party)},
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
        side.flow,
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
            assert isinstance(record, SalesInvoice | PurchaseInvoice)
            total += record.gross_amount
    return total
