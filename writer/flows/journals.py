"""Summarised G/L journals: a day's KashFlow documents as one Sage 100 journal entry.

One line to the control account (receivables for sales, payables for purchases) for the
day's gross; per G/L account and VAT code one line for the net; per VAT code one for the
tax. Each line names the documents in it, and the entry's `source` lists them all
("kashflow sales_invoice 10001,10002"), which is how a later plan knows they were
journaled: documents arriving later for a day already journaled make a second entry
(batch 2), never a repost of the first.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from canonical import JournalEntry, JournalLine, PurchaseInvoice, SalesInvoice
from ledger import StoredVersion
from writer.flows.base import Planner, Source

Document = SalesInvoice | PurchaseInvoice


DOCUMENT_FIELDS = (
    "issue_date",
    "due_date",
    "reference",
    "lines",
    "net_amount",
    "tax_amount",
    "gross_amount",
)
"""What a document flow writes of an invoice besides its party: an edit of any is an update."""


@dataclass(frozen=True)
class DailyJournal:
    """How one flow summarises: its name, source entity, key prefix, label and side
    (+1: the control account is debited, as receivables; -1: credited, as payables)."""

    flow: str
    entity: str
    key_prefix: str
    label: str
    sign: Decimal

    @property
    def source_prefix(self) -> str:
        return f"kashflow {self.entity} "


def plan_daily_journals(
    planner: Planner, journal: DailyJournal, documents: dict[str, StoredVersion]
) -> None:
    """One summarised journal per day of the documents no journal holds yet."""
    journaled: set[str] = set()
    batches: dict[date, int] = defaultdict(int)
    for intent in planner.state.intents:
        if intent.flow == journal.flow and not intent.failed:
            posted = intent.record()
            assert isinstance(posted, JournalEntry)
            journaled.update((posted.source or "").removeprefix(journal.source_prefix).split(","))
            batches[posted.posting_date] += 1
    by_day: dict[date, list[Document]] = defaultdict(list)
    for key, version in sorted(documents.items()):
        if key not in journaled:
            document = version.record()
            assert isinstance(document, SalesInvoice | PurchaseInvoice)
            by_day[document.issue_date].append(document)
    for day, day_documents in sorted(by_day.items()):
        batch = batches[day] + 1
        entry = _entry(planner, journal, day, batch, day_documents)
        if entry is not None:
            planner.intent(
                journal.flow,
                "create",
                entry,
                Source("kashflow", journal.entity, day.isoformat(), batch),
                amount=sum((d.gross_amount for d in day_documents), Decimal(0)),
            )


def _entry(
    planner: Planner, journal: DailyJournal, day: date, batch: int, documents: list[Document]
) -> JournalEntry | None:
    rules = planner.rules
    accounts = rules.aggregation.journal
    control = accounts.receivables_account if journal.sign > 0 else accounts.payables_account
    net: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    tax: dict[str, Decimal] = defaultdict(Decimal)
    named: dict[tuple[str, str], list[str]] = defaultdict(list)
    for document in documents:
        for line in document.lines:
            account = rules.lookups.nominals.get(line.gl_account or "")
            tax_class = rules.lookups.tax_class(line.tax_rate)
            if account is None or tax_class is None:
                field = "gl_account" if account is None else "tax_rate"
                planner.reject(
                    journal.flow,
                    Source("kashflow", journal.entity, document.key, 0),
                    f"lines.{field}",
                    f"no lookup for {getattr(line, field)!r}: the day's journal waits",
                )
                return None
            net[(account, tax_class)] += line.net_amount
            tax[tax_class] += line.tax_amount
            for where in ((account, tax_class), (accounts.vat_account, tax_class)):
                if document.key not in named[where]:
                    named[where].append(document.key)
    gross = sum((d.gross_amount for d in documents), Decimal(0))
    sign = journal.sign
    lines = [
        _line(
            control, -gross * sign, f"{journal.label} {day.isoformat()}", [d.key for d in documents]
        )
    ]
    for (account, tax_class), amount in sorted(net.items()):
        lines.append(_line(account, amount * sign, f"{tax_class} net", named[(account, tax_class)]))
    for tax_class, amount in sorted(tax.items()):
        where = (accounts.vat_account, tax_class)
        lines.append(_line(accounts.vat_account, amount * sign, f"{tax_class} VAT", named[where]))
    return JournalEntry.build(
        system="sage100",
        key=f"{journal.key_prefix}-{day:%Y%m%d}-{batch}",
        posting_date=day,
        description=f"KashFlow {journal.label.lower()} {day.isoformat()}",
        source=journal.source_prefix + ",".join(d.key for d in documents),
        lines=tuple(line for line in lines if line.debit or line.credit),
    )


def _line(account: str, credit: Decimal, what: str, documents: list[str]) -> JournalLine:
    """A credit of `credit` (a debit when negative), naming its documents."""
    text = f"{what}: {', '.join(documents)}"
    if credit < 0:
        return JournalLine(account=account, debit=-credit, description=text)
    return JournalLine(account=account, credit=credit, description=text)
