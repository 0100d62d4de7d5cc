"""KashFlow sales invoices -> Sage 100: each as an A/R invoice, or (aggregation
``daily_journal``) one summarised G/L journal per day.

Each invoice: the customer is its linked Sage 100 customer (the intent depends on the
customer's create when it is new), nominals become G/L accounts and VAT rates tax classes
by the lookups, a missing due date comes from the customer's terms, and an amount over
the threshold waits for an approval. An invoice already in Sage 100 under its number with
the same totals is the same invoice and is not written; with other totals it is refused
(never a second one). A later version of a posted invoice whose amounts changed plans a
credit or debit memo for the difference (`writer.flows.adjustments`); its paid amount is
not an edit (the receipts flows carry it).

Daily journal: the invoices of one day not yet journaled become one entry: a debit to
receivables for the gross, and per G/L account and VAT code a credit line for the net
and per VAT code one for the tax, each line naming its invoices; the entry's `source`
lists them all, which is also how a later plan knows they were journaled.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from canonical import DocumentLine, SalesInvoice
from connectors.sage100 import keys
from ledger import StoredVersion
from writer.flows.adjustments import FLOW, SALES, is_memo, plan_document, posted_invoice
from writer.flows.base import Planner, Source
from writer.flows.journals import DailyJournal, plan_daily_journals
from writer.flows.references import Counterpart, master_counterpart

SALES_JOURNAL = DailyJournal(
    flow="sales_invoice_journal_to_sage100",
    entity="sales_invoice",
    key_prefix="SJ",
    label="Sales",
    sign=Decimal(1),
)


def plan_sales_invoices(planner: Planner) -> None:
    invoices = planner.state.of_entity("kashflow", "sales_invoice")
    if planner.rules.aggregation.sales_invoices == "daily_journal":
        plan_daily_journals(planner, SALES_JOURNAL, invoices)
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
    plan_document(
        planner,
        source,
        record,
        SALES,
        depends_on=depends_on,
        warnings=warnings,
        native_fields=planner.salesperson(),
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


def invoice_counterpart(planner: Planner, kashflow_key: str) -> Counterpart | None:
    """The Sage 100 invoice of a KashFlow invoice: written by this flow (now or before),
    or already there under its number."""
    for intent in planner.plan.intents:
        if intent.flow == FLOW and intent.source_key == kashflow_key and not is_memo(intent):
            return Counterpart(intent.target_key, intent.idempotency_key)
    posted = posted_invoice(planner.state.written_from(FLOW, "kashflow", kashflow_key))
    if posted is not None:
        pending = posted.status != "succeeded"
        written = posted.written_key or sage100_invoice_key(kashflow_key)
        return Counterpart(written, posted.idempotency_key if pending else None)
    key = sage100_invoice_key(kashflow_key)
    if planner.state.version("sage100", "sales_invoice", key) is not None:
        return Counterpart(key)
    return None
