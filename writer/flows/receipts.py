"""Customer receipts: KashFlow receipts -> Sage 100 cash receipts applied to the right open
invoices, and Sage 100 paid status -> KashFlow invoice payments.

A KashFlow receipt is posted once, as a cash receipt of the linked customer applied to
the Sage 100 invoices of its allocations (the bank code from the payment method lookup,
the check number the KashFlow payment key, so it is known when it comes back). One that
Sage already holds (same customer, date and amount) is not posted again, and an
allocation larger than what the invoice has open is refused.

Paid status: when a Sage 100 invoice has more paid than its KashFlow counterpart, the
difference is paid on the KashFlow invoice (dated and with the method of the newest Sage
receipt applied to it). Writes on their way count as landed: receipts we post to Sage
before they are read back, KashFlow payments we planned before they come back. A
KashFlow payment that is one of ours coming back is not posted to Sage again.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date
from decimal import Decimal

from canonical import Allocation, Payment, SalesInvoice
from connectors.sage100.mapping import PAYMENT_TYPES
from ledger import StoredVersion
from writer.flows.adjustments import FLOW as INVOICE_FLOW
from writer.flows.adjustments import adjusted_by
from writer.flows.base import Planner, Source
from writer.flows.references import master_counterpart
from writer.flows.sales_invoices import invoice_counterpart
from writer.flows.state import PriorIntent
from writer.rules.model import PaymentMethodRule

RECEIPT_FLOW = "receipt_to_sage100"
PAID_FLOW = "paid_status_to_kashflow"
METHOD_OF_PAYMENT_TYPE = {code: method for method, code in PAYMENT_TYPES.items()}


def payments_of_kind(
    versions: Iterable[StoredVersion], kind: str = "receipt"
) -> list[tuple[StoredVersion, Payment]]:
    """The payments of one kind (receipts, supplier payments), by key."""
    found = []
    for version in versions:
        if version.payload and version.payload.get("kind") == kind:
            record = version.record()
            assert isinstance(record, Payment)
            found.append((version, record))
    return sorted(found, key=lambda pair: pair[1].key)


def plan_receipts(planner: Planner) -> None:
    state = planner.state
    ours = payments_written_by(planner, PAID_FLOW)
    sage_receipts = payments_of_kind(state.of_entity("sage100", "payment").values())
    for version, payment in payments_of_kind(state.of_entity("kashflow", "payment").values()):
        if (
            payment.allocations[0].invoice_key if payment.allocations else None,
            payment.amount,
            payment.payment_date,
        ) in ours or (payment.reference or "").startswith("Sage "):
            continue
        _plan_receipt(planner, version, payment, sage_receipts)


def _plan_receipt(
    planner: Planner,
    version: StoredVersion,
    payment: Payment,
    sage_receipts: list[tuple[StoredVersion, Payment]],
) -> None:
    source = Source("kashflow", "payment", payment.key, version.version)
    if planner.written_before(
        RECEIPT_FLOW, source, payment, ("amount", "payment_date"), "amount",
        lambda posted: f"changed after it was posted to Sage 100 (as {posted.amount} on"
        f" {posted.payment_date}): post the difference there by hand",
    ):  # fmt: skip
        return
    customer = master_counterpart(planner, "customer", "kashflow", payment.counterparty_key or "")
    if customer is None:
        planner.reject(
            RECEIPT_FLOW,
            source,
            "counterparty_key",
            f"customer {payment.counterparty_key} is not in the ledger",
        )
        return
    if any(
        p.counterparty_key == customer.key
        and p.amount == payment.amount
        and p.payment_date == payment.payment_date
        for _, p in sage_receipts
    ) or any(p.reference == payment.key for _, p in sage_receipts):
        return  # Sage 100 holds it already
    method = payment_method(planner, RECEIPT_FLOW, source, payment)
    if method is None:
        return
    depends = [customer.depends_on]
    allocations = []
    for allocation in payment.allocations:
        invoice = invoice_counterpart(planner, allocation.invoice_key)
        if invoice is None:
            planner.reject(
                RECEIPT_FLOW,
                source,
                "allocations.invoice_key",
                f"invoice {allocation.invoice_key} is not in Sage 100 nor planned",
            )
            return
        open_amount = _open_in_sage100(planner, invoice.key)
        if open_amount is not None and allocation.amount > open_amount:
            planner.reject(
                RECEIPT_FLOW,
                source,
                "allocations.amount",
                f"{allocation.amount} is more than the {open_amount} open on Sage 100"
                f" invoice {invoice.key}",
            )
            return
        depends.append(invoice.depends_on)
        allocations.append(Allocation(invoice_key=invoice.key, amount=allocation.amount))
    record = Payment.build(
        system="sage100",
        key=f"NEW|{customer.key}|{payment.key}",
        kind="receipt",
        counterparty_key=customer.key,
        payment_date=payment.payment_date,
        amount=payment.amount,
        currency=payment.currency,
        method=payment.method,
        bank_account=method.bank_code,
        reference=payment.key,
        allocations=tuple(allocations),
    )
    planner.intent(
        RECEIPT_FLOW,
        "create",
        record,
        source,
        amount=payment.amount,
        depends_on=tuple(depends),
        warnings=(f"posts to cash account {method.cash_account}",),
    )


def payment_method(
    planner: Planner, flow: str, source: Source, payment: Payment
) -> PaymentMethodRule | None:
    """The Sage 100 bank code and cash account of the payment's method
    (`lookups.payment_methods`); None, with the payment rejected, when there is none."""
    method = planner.rules.lookups.payment_methods.get(payment.method or "")
    if method is None:
        planner.reject(
            flow,
            source,
            "method",
            f"no Sage 100 bank code for payment method {payment.method!r}"
            " (lookups.payment_methods)",
        )
    return method


def _open_in_sage100(planner: Planner, invoice_key: str) -> Decimal | None:
    """What is still open on a Sage 100 invoice, less receipts on their way to it; None
    when the invoice is not in the ledger yet (it is being created)."""
    version = planner.state.version("sage100", "sales_invoice", invoice_key)
    if version is None:
        return None
    invoice = version.record()
    assert isinstance(invoice, SalesInvoice)
    return invoice.amount_open - in_flight(planner, RECEIPT_FLOW, invoice_key, version)


def in_flight(planner: Planner, flow: str, invoice_key: str, version: StoredVersion) -> Decimal:
    """Amounts intents of `flow` allocate to `invoice_key` that the invoice's current
    version does not show yet (planned now, not applied, or applied but not read since)."""
    total = Decimal(0)
    pending: list[PriorIntent] = [
        i
        for i in planner.state.intents
        if i.flow == flow
        and not i.failed
        and not (
            i.status == "succeeded"
            and i.outcome_at is not None
            and version.observed_at >= i.outcome_at
        )
    ]
    records = [i.record() for i in pending] + [
        i.record for i in planner.plan.intents if i.flow == flow
    ]
    for record in records:
        assert isinstance(record, Payment)
        total += sum(
            (a.amount for a in record.allocations if a.invoice_key == invoice_key), Decimal(0)
        )
    return total


def payments_written_by(planner: Planner, flow: str) -> set[tuple[str | None, Decimal, date]]:
    """(first invoice, amount, date) of the payments `flow` wrote: known when they come
    back, so they are not posted back to where they came from."""
    ours: set[tuple[str | None, Decimal, date]] = set()
    for intent in planner.state.intents:
        if intent.flow == flow and not intent.failed:
            record = intent.record()
            assert isinstance(record, Payment)
            invoice = record.allocations[0].invoice_key if record.allocations else None
            ours.add((invoice, record.amount, record.payment_date))
    return ours


def plan_paid_status(planner: Planner) -> None:
    """Sage 100 invoices with more paid than their KashFlow counterpart: pay the rest."""
    state = planner.state
    newest_receipt = _newest_receipt_by_invoice(state.of_entity("sage100", "payment").values())
    for kashflow_key, kashflow_version in sorted(
        state.of_entity("kashflow", "sales_invoice").items()
    ):
        counterpart = invoice_counterpart(planner, kashflow_key)
        if counterpart is None:
            continue
        sage_version = state.version("sage100", "sales_invoice", counterpart.key)
        if sage_version is None:
            continue
        sage_invoice, kashflow_invoice = sage_version.record(), kashflow_version.record()
        assert isinstance(sage_invoice, SalesInvoice)
        assert isinstance(kashflow_invoice, SalesInvoice)
        sage_paid = (
            sage_invoice.amount_paid
            + adjusted_by(
                state.written_from(INVOICE_FLOW, "kashflow", kashflow_key),
                sage_version.observed_at,
            )
            + in_flight(planner, RECEIPT_FLOW, counterpart.key, sage_version)
        )
        kashflow_paid = kashflow_invoice.amount_paid + in_flight(
            planner, PAID_FLOW, kashflow_key, kashflow_version
        )
        if sage_paid <= kashflow_paid:
            continue
        receipt = newest_receipt.get(counterpart.key)
        payment = Payment.build(
            system="kashflow",
            key=f"NEW-{counterpart.key}-v{sage_version.version}",
            kind="receipt",
            counterparty_key=kashflow_invoice.customer_key,
            payment_date=receipt.payment_date if receipt else state.today,
            amount=sage_paid - kashflow_paid,
            currency=kashflow_invoice.currency,
            method=METHOD_OF_PAYMENT_TYPE.get(receipt.method or "") if receipt else None,
            reference=f"Sage {counterpart.key}",
            allocations=(Allocation(invoice_key=kashflow_key, amount=sage_paid - kashflow_paid),),
        )
        planner.intent(
            PAID_FLOW,
            "create",
            payment,
            Source("sage100", "sales_invoice", counterpart.key, sage_version.version),
            amount=payment.amount,
        )


def _newest_receipt_by_invoice(versions: Iterable[StoredVersion]) -> dict[str, Payment]:
    newest: dict[str, Payment] = {}
    by_invoice: dict[str, list[Payment]] = defaultdict(list)
    for _, payment in payments_of_kind(versions):
        for allocation in payment.allocations:
            by_invoice[allocation.invoice_key].append(payment)
    for invoice, payments in by_invoice.items():
        newest[invoice] = max(payments, key=lambda p: (p.payment_date, p.key))
    return newest
