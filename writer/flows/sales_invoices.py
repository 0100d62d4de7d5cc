"""KashFlow sales invoices -> Sage 100: each as an A/R invoice, or (aggregation
``daily_journal``) one summarised G/L journal per day.

Each invoice: the customer is its linked Sage 100 customer (the intent depends on the
customer's create when it is new), nominals become G/L accounts and VAT rates tax classes
by the lookups, a missing due date comes from the customer's terms, and an amount over
the threshold waits for an approval. An invoice already in Sage 100 under its number with
the same totals is the same invoice and is not written; with other totals it is refused
(never a second one). A later version of an invoice plans an update only when what is
written changed (not its paid amount, which the receipts flows carry).

Daily journal: the invoices of one day not yet journaled become one entry: a debit to
receivables for the gross, and per G/L account and VAT code a credit line for the net
and per VAT code one for the tax, each line naming its invoices; the entry's `source`
lists them all, which is also how a later plan knows they were journaled.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal

from canonical import DocumentLine, JournalEntry, JournalLine, SalesInvoice
from connectors.sage100 import keys
from ledger import StoredVersion
from writer.flows.base import Planner, Source
from writer.flows.references import Counterpart, master_counterpart
from writer.intents import Operation

FLOW = "sales_invoice_to_sage100"
JOURNAL_FLOW = "sales_invoice_journal_to_sage100"
JOURNAL_SOURCE = "kashflow sales_invoice "
WRITTEN = (
    "customer_key",
    "issue_date",
    "due_date",
    "reference",
    "lines",
    "net_amount",
    "tax_amount",
    "gross_amount",
)


def plan_sales_invoices(planner: Planner) -> None:
    invoices = planner.state.of_entity("kashflow", "sales_invoice")
    if planner.rules.aggregation.sales_invoices == "daily_journal":
        plan_daily_journals(planner, invoices)
        return
    for _key, version in sorted(invoices.items()):
        _plan_invoice(planner, version)


def sage100_invoice_key(kashflow_key: str) -> str:
    return keys.ar_invoice_no_for(kashflow_key)


def _plan_invoice(planner: Planner, version: StoredVersion) -> None:
    invoice = version.record()
    assert isinstance(invoice, SalesInvoice)
    source = Source("kashflow", "sales_invoice", invoice.key, version.version)
    mapped = map_invoice(planner, invoice, source)
    if mapped is None:
        return
    record, depends_on, warnings = mapped
    before = [i for i in planner.state.intents_from(FLOW, "kashflow", invoice.key) if not i.failed]
    if before:
        written = before[-1].record()
        if all(getattr(written, f) == getattr(record, f) for f in WRITTEN):
            return
        operation: Operation = "update"
    else:
        existing = planner.state.version("sage100", "sales_invoice", record.key)
        if existing is not None:
            _already_there(planner, source, record, existing)
            return
        operation = "create"
    planner.intent(
        FLOW,
        operation,
        record,
        source,
        amount=record.gross_amount,
        depends_on=depends_on,
        warnings=warnings,
        native_fields=planner.salesperson() if operation == "create" else (),
    )


def _already_there(
    planner: Planner, source: Source, record: SalesInvoice, existing: StoredVersion
) -> None:
    held = existing.record()
    assert isinstance(held, SalesInvoice)
    totals = ("net_amount", "tax_amount", "gross_amount")
    if any(getattr(held, f) != getattr(record, f) for f in totals):
        planner.reject(
            FLOW,
            source,
            "key",
            f"Sage 100 already holds invoice {record.key} with other totals"
            f" (gross {held.gross_amount}, here {record.gross_amount}): not written twice",
        )


def map_invoice(
    planner: Planner, invoice: SalesInvoice, source: Source
) -> tuple[SalesInvoice, tuple[str, ...], tuple[str, ...]] | None:
    """The Sage 100 invoice for a KashFlow one, what it depends on and what changed on
    the way; None (and a rejection) when something it needs cannot be found."""
    customer = master_counterpart(planner, "customer", "kashflow", invoice.customer_key)
    if customer is None:
        planner.reject(
            FLOW, source, "customer_key", f"customer {invoice.customer_key} is not in the ledger"
        )
        return None
    depends = [customer.depends_on] if customer.depends_on else []
    lines = []
    for index, line in enumerate(invoice.lines):
        mapped = _map_line(planner, line, source, f"lines[{index}]", depends)
        if mapped is None:
            return None
        lines.append(mapped)
    warnings: list[str] = []
    due = invoice.due_date
    if due is None and planner.rules.normalise.due_date_from_terms:
        terms = _terms_days(planner, invoice.customer_key)
        due = invoice.issue_date + timedelta(days=terms)
        warnings.append(f"due date set from the customer's terms: {terms} days")
    record = SalesInvoice.build(
        system="sage100",
        key=sage100_invoice_key(invoice.key),
        customer_key=customer.key,
        issue_date=invoice.issue_date,
        due_date=due,
        currency=invoice.currency,
        reference=invoice.reference,
        lines=tuple(lines),
        net_amount=invoice.net_amount,
        tax_amount=invoice.tax_amount,
        gross_amount=invoice.gross_amount,
    )
    return record, tuple(depends), tuple(warnings)


def _map_line(
    planner: Planner, line: DocumentLine, source: Source, where: str, depends: list[str]
) -> DocumentLine | None:
    lookups = planner.rules.lookups
    update: dict[str, object] = {}
    if line.gl_account is not None:
        account = lookups.nominals.get(line.gl_account)
        if account is None:
            planner.reject(
                FLOW,
                source,
                f"{where}.gl_account",
                f"no Sage 100 G/L account for KashFlow nominal {line.gl_account}"
                " (lookups.nominals)",
            )
            return None
        update["gl_account"] = account
    if lookups.tax_class(line.tax_rate) is None:
        planner.reject(
            FLOW,
            source,
            f"{where}.tax_rate",
            f"no Sage 100 tax class for VAT at {line.tax_rate}% (lookups.tax_classes)",
        )
        return None
    if line.product_key is not None:
        product = master_counterpart(planner, "product", "kashflow", line.product_key)
        if product is None:
            planner.reject(
                FLOW,
                source,
                f"{where}.product_key",
                f"product {line.product_key} is not in the ledger",
            )
            return None
        update["product_key"] = product.key
        if product.depends_on:
            depends.append(product.depends_on)
    return line.model_copy(update=update)


def _terms_days(planner: Planner, customer_key: str) -> int:
    customer = planner.state.version("kashflow", "customer", customer_key)
    if customer is None or customer.payload is None:
        return 30
    return int(customer.payload.get("payment_terms_days", 30))


def plan_daily_journals(planner: Planner, invoices: dict[str, StoredVersion]) -> None:
    """One summarised journal per day of the invoices no journal holds yet."""
    journaled: set[str] = set()
    batches: dict[date, int] = defaultdict(int)
    for intent in planner.state.intents:
        if intent.flow == JOURNAL_FLOW and not intent.failed:
            posted = intent.record()
            assert isinstance(posted, JournalEntry)
            journaled.update((posted.source or "").removeprefix(JOURNAL_SOURCE).split(","))
            batches[posted.posting_date] += 1
    by_day: dict[date, list[SalesInvoice]] = defaultdict(list)
    for key, version in sorted(invoices.items()):
        if key in journaled:
            continue
        invoice = version.record()
        assert isinstance(invoice, SalesInvoice)
        by_day[invoice.issue_date].append(invoice)
    for day, day_invoices in sorted(by_day.items()):
        batch = batches[day] + 1
        source = Source("kashflow", "sales_invoice", day.isoformat(), batch)
        entry = _journal(planner, day, batch, day_invoices)
        if entry is not None:
            planner.intent(
                JOURNAL_FLOW,
                "create",
                entry,
                source,
                amount=sum((i.gross_amount for i in day_invoices), Decimal(0)),
            )


def _journal(
    planner: Planner, day: date, batch: int, invoices: list[SalesInvoice]
) -> JournalEntry | None:
    rules = planner.rules
    accounts = rules.aggregation.journal
    net: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    tax: dict[str, Decimal] = defaultdict(Decimal)
    named: dict[tuple[str, str], list[str]] = defaultdict(list)
    for invoice in invoices:
        for line in invoice.lines:
            account = rules.lookups.nominals.get(line.gl_account or "")
            tax_class = rules.lookups.tax_class(line.tax_rate)
            if account is None or tax_class is None:
                field = "gl_account" if account is None else "tax_rate"
                planner.reject(
                    JOURNAL_FLOW,
                    Source("kashflow", "sales_invoice", invoice.key, 0),
                    f"lines.{field}",
                    f"no lookup for {getattr(line, field)!r}: the day's journal waits",
                )
                return None
            net[(account, tax_class)] += line.net_amount
            tax[tax_class] += line.tax_amount
            for where in ((account, tax_class), (accounts.vat_account, tax_class)):
                if invoice.key not in named[where]:
                    named[where].append(invoice.key)
    gross = sum((i.gross_amount for i in invoices), Decimal(0))
    lines = [
        _credit(
            accounts.receivables_account,
            -gross,
            f"Sales {day.isoformat()}",
            [i.key for i in invoices],
        )
    ]
    for (account, tax_class), amount in sorted(net.items()):
        lines.append(_credit(account, amount, f"{tax_class} net", named[(account, tax_class)]))
    for tax_class, amount in sorted(tax.items()):
        if amount:
            lines.append(
                _credit(
                    accounts.vat_account,
                    amount,
                    f"{tax_class} VAT",
                    named[(accounts.vat_account, tax_class)],
                )
            )
    return JournalEntry.build(
        system="sage100",
        key=f"SJ-{day:%Y%m%d}-{batch}",
        posting_date=day,
        description=f"KashFlow sales {day.isoformat()}",
        source=JOURNAL_SOURCE + ",".join(i.key for i in invoices),
        lines=tuple(line for line in lines if line.debit or line.credit),
    )


def _credit(account: str, amount: Decimal, what: str, invoices: list[str]) -> JournalLine:
    text = f"{what}: invoices {', '.join(invoices)}"
    if amount < 0:
        return JournalLine(account=account, debit=-amount, description=text)
    return JournalLine(account=account, credit=amount, description=text)


def invoice_counterpart(planner: Planner, kashflow_key: str) -> Counterpart | None:
    """The Sage 100 invoice of a KashFlow invoice: written by this flow (now or before),
    or already there under its number."""
    for intent in planner.plan.intents:
        if intent.flow == FLOW and intent.source_key == kashflow_key:
            return Counterpart(intent.target_key, intent.idempotency_key)
    before = [i for i in planner.state.intents_from(FLOW, "kashflow", kashflow_key) if not i.failed]
    if before:
        pending = before[-1].status != "succeeded"
        written = before[-1].written_key or sage100_invoice_key(kashflow_key)
        return Counterpart(written, before[-1].idempotency_key if pending else None)
    key = sage100_invoice_key(kashflow_key)
    if planner.state.version("sage100", "sales_invoice", key) is not None:
        return Counterpart(key)
    return None
