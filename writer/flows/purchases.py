"""KashFlow purchases -> Sage 100 A/P invoices (or one summarised G/L journal a day), and
supplier payments both ways.

A purchase becomes an A/P invoice of the linked vendor under the purchase number (the
vendor's invoice number in Sage 100), every line on the G/L account its nominal maps to (A/P
lines need one). One already in Sage 100 with the same totals is the same; with other totals
it is refused. A later version of a posted purchase whose amounts changed plans an
adjustment of the A/P invoice for the difference (`writer.flows.adjustments`). KashFlow's
expenses arrive through its purchases, and flow the same way.

Supplier payments: a KashFlow supplier payment is planned once as a Sage 100 manual check of
the vendor (AP_ManualCheck_bus: the bank code from the payment method lookup, the check
number the KashFlow payment key) applied to the A/P invoices of its allocations. When Sage
100 shows more paid on an A/P invoice than KashFlow does on the purchase, the difference is
paid on the KashFlow purchase: from the Sage checks applied to that invoice that KashFlow
does not hold yet (one KashFlow payment per check, with the check's date and the reference
`Sage check {CheckNo}`), and what no check explains as one payment dated today; what an
adjustment moved the balance by is not paid. Writes on their way count as landed; a payment
that is one of ours coming back (a check we posted, a KashFlow payment we made) is not
posted back.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from datetime import date
from decimal import Decimal

from canonical import Allocation, Payment, PurchaseInvoice
from connectors.sage100 import keys
from ledger import StoredVersion
from writer.flows.adjustments import PURCHASES, adjusted_by, is_memo, plan_document
from writer.flows.adjustments import posted_invoice as posted_purchase
from writer.flows.base import Planner, Source
from writer.flows.journals import DailyJournal, plan_daily_journals
from writer.flows.receipts import (
    in_flight,
    payment_method,
    payments_of_kind,
    payments_written_by,
)
from writer.flows.references import Counterpart, master_counterpart

FLOW = PURCHASES.flow
PAYMENT_FLOW = "supplier_payment_to_sage100"
PAID_FLOW = "supplier_paid_status_to_kashflow"
PURCHASE_JOURNAL = DailyJournal(
    flow="purchase_journal_to_sage100",
    entity="purchase_invoice",
    key_prefix="PJ",
    label="Purchases",
    sign=Decimal(-1),
)
CHECK_REFERENCE = "Sage check "
"""How a KashFlow payment made from a Sage 100 check names it: `Sage check P5001`."""


def plan_purchases(planner: Planner) -> None:
    purchases = planner.state.of_entity("kashflow", "purchase_invoice")
    if planner.rules.aggregation.purchases == "daily_journal":
        plan_daily_journals(planner, PURCHASE_JOURNAL, purchases)
    else:
        for _key, version in sorted(purchases.items()):
            _plan_purchase(planner, version)
    _plan_supplier_payments(planner)
    _plan_checks_to_kashflow(planner)
    _plan_paid_status(planner)


def _plan_purchase(planner: Planner, version: StoredVersion) -> None:
    purchase = version.record()
    assert isinstance(purchase, PurchaseInvoice)
    source = Source("kashflow", "purchase_invoice", purchase.key, version.version)
    supplier = master_counterpart(planner, "supplier", "kashflow", purchase.supplier_key)
    if supplier is None:
        planner.reject(
            FLOW, source, "supplier_key", f"supplier {purchase.supplier_key} is not in the ledger"
        )
        return
    lines = []
    for index, line in enumerate(purchase.lines):
        account = planner.rules.lookups.nominals.get(line.gl_account or "")
        if account is None:
            planner.reject(
                FLOW,
                source,
                f"lines[{index}].gl_account",
                f"no Sage 100 G/L account for KashFlow nominal {line.gl_account}"
                " (lookups.nominals); an A/P line needs one",
            )
            return
        lines.append(line.model_copy(update={"gl_account": account}))
    record = purchase.model_copy(
        update={
            "system": "sage100",
            "key": sage100_purchase_key(supplier.key, purchase.key),
            "supplier_key": supplier.key,
            "lines": tuple(lines),
            "amount_paid": Decimal(0),
        }
    )
    plan_document(planner, source, record, PURCHASES, depends_on=(supplier.depends_on,))


def sage100_purchase_key(vendor_key: str, number: str) -> str:
    division, vendor_no = keys.vendor_no_for(vendor_key)
    return keys.ap_invoice_key(division, vendor_no, keys.ap_invoice_no_for(number))


def purchase_counterpart(planner: Planner, kashflow_key: str) -> Counterpart | None:
    """The Sage 100 A/P invoice of a KashFlow purchase: planned now, before, or there."""
    for intent in planner.plan.intents:
        if intent.flow == FLOW and intent.source_key == kashflow_key and not is_memo(intent):
            return Counterpart(intent.target_key, intent.idempotency_key)
    posted = posted_purchase(planner.state.written_from(FLOW, "kashflow", kashflow_key))
    if posted is not None and posted.written_key:
        pending = posted.idempotency_key if posted.status != "succeeded" else None
        return Counterpart(posted.written_key, pending)
    version = planner.state.version("kashflow", "purchase_invoice", kashflow_key)
    if version is None or version.payload is None:
        return None
    supplier = master_counterpart(planner, "supplier", "kashflow", version.payload["supplier_key"])
    if supplier is None:
        return None
    key = sage100_purchase_key(supplier.key, kashflow_key)
    if planner.state.version("sage100", "purchase_invoice", key) is None:
        return None
    return Counterpart(key)


def _plan_supplier_payments(planner: Planner) -> None:
    ours = payments_written_by(planner, PAID_FLOW)
    sage_checks = {
        (check.counterparty_key, check.reference)
        for _, check in payments_of_kind(
            planner.state.of_entity("sage100", "payment").values(), "supplier_payment"
        )
    }
    for version, payment in payments_of_kind(
        planner.state.of_entity("kashflow", "payment").values(), "supplier_payment"
    ):
        first = payment.allocations[0].invoice_key if payment.allocations else None
        if (first, payment.amount, payment.payment_date) in ours or (
            payment.reference or ""
        ).startswith("Sage "):  # ours: "Sage {A/P invoice}", "Sage check {CheckNo}"
            continue
        source = Source("kashflow", "payment", payment.key, version.version)
        if planner.state.written_from(PAYMENT_FLOW, "kashflow", payment.key):
            continue
        supplier = master_counterpart(
            planner, "supplier", "kashflow", payment.counterparty_key or ""
        )
        if supplier is None:
            planner.reject(
                PAYMENT_FLOW,
                source,
                "counterparty_key",
                f"supplier {payment.counterparty_key} is not in the ledger",
            )
            continue
        if (supplier.key, keys.check_no_for(payment.key)) in sage_checks:
            continue  # Sage 100 holds its check already
        allocations, depends = [], [supplier.depends_on]
        for allocation in payment.allocations:
            invoice = purchase_counterpart(planner, allocation.invoice_key)
            if invoice is None:
                break
            allocations.append(Allocation(invoice_key=invoice.key, amount=allocation.amount))
            depends.append(invoice.depends_on)
        else:
            if _paid_in_sage(planner, allocations):
                continue  # Sage 100 shows these invoices paid already
            method = payment_method(planner, PAYMENT_FLOW, source, payment)
            if method is None:
                continue
            record = payment.model_copy(
                update={
                    "system": "sage100",
                    "key": f"NEW|{supplier.key}|{payment.key}",
                    "counterparty_key": supplier.key,
                    "allocations": tuple(allocations),
                    "bank_account": method.bank_code,
                    "reference": payment.key,
                }
            )
            planner.intent(
                PAYMENT_FLOW,
                "create",
                record,
                source,
                amount=payment.amount,
                depends_on=tuple(depends),
                warnings=(f"a manual check from bank {method.bank_code}",),
            )
            continue
        planner.reject(
            PAYMENT_FLOW,
            source,
            "allocations.invoice_key",
            "a purchase it pays is not in Sage 100 nor planned",
        )


def _paid_in_sage(planner: Planner, allocations: list[Allocation]) -> bool:
    """Whether every A/P invoice paid has no more open in Sage 100 than this pays."""
    for allocation in allocations:
        version = planner.state.version("sage100", "purchase_invoice", allocation.invoice_key)
        if version is None:
            return False
        invoice = version.record()
        assert isinstance(invoice, PurchaseInvoice)
        if invoice.amount_open - in_flight(planner, PAYMENT_FLOW, invoice.key, version) > 0:
            return False
    return bool(allocations)


def _paid_short(
    planner: Planner,
) -> Iterator[tuple[str, PurchaseInvoice, str, StoredVersion, Decimal]]:
    """KashFlow purchases whose Sage 100 A/P invoice shows more paid (writes on their way
    counted as landed): (purchase key, purchase, A/P invoice key, its version, the
    difference)."""
    state = planner.state
    for key, version in sorted(state.of_entity("kashflow", "purchase_invoice").items()):
        counterpart = purchase_counterpart(planner, key)
        sage = (
            state.version("sage100", "purchase_invoice", counterpart.key) if counterpart else None
        )
        if counterpart is None or sage is None:
            continue
        held, purchase = sage.record(), version.record()
        assert isinstance(held, PurchaseInvoice) and isinstance(purchase, PurchaseInvoice)
        sage_paid = (
            held.amount_paid
            + adjusted_by(state.written_from(FLOW, "kashflow", key), sage.observed_at)
            + in_flight(planner, PAYMENT_FLOW, counterpart.key, sage)
        )
        kashflow_paid = purchase.amount_paid + in_flight(planner, PAID_FLOW, key, version)
        if sage_paid > kashflow_paid:
            yield key, purchase, counterpart.key, sage, sage_paid - kashflow_paid


def _plan_checks_to_kashflow(planner: Planner) -> None:
    """Sage 100 checks on A/P invoices KashFlow shows less paid: one KashFlow purchase
    payment per check not mirrored yet, with its date and number, up to the difference.
    Checks we posted from KashFlow are not mirrored back."""
    state = planner.state
    ours = {
        keys.check_no_for(record.reference or record.key)
        for intent in state.intents
        if intent.flow == PAYMENT_FLOW and not intent.failed
        and isinstance(record := intent.record(), Payment)
    }  # fmt: skip
    on_invoice: dict[str, list[tuple[StoredVersion, Payment, Decimal]]] = defaultdict(list)
    for version, check in payments_of_kind(
        state.of_entity("sage100", "payment").values(), "supplier_payment"
    ):
        if check.reference in ours or state.written_from(PAID_FLOW, "sage100", check.key):
            continue
        for allocation in check.allocations:
            on_invoice[allocation.invoice_key].append((version, check, allocation.amount))
    held: dict[str, set[str | None]] = defaultdict(set)  # references KashFlow shows paid
    for _, made in payments_of_kind(
        state.of_entity("kashflow", "payment").values(), "supplier_payment"
    ):
        for allocation in made.allocations:
            held[allocation.invoice_key].add(made.reference)
    for key, purchase, sage_key, _, missing in _paid_short(planner):
        for version, check, amount in sorted(
            on_invoice.get(sage_key, []), key=lambda c: (c[1].payment_date, c[1].key)
        ):
            reference = f"{CHECK_REFERENCE}{check.reference}"[:40]
            if missing <= 0 or reference in held[key]:
                continue
            paid = min(amount, missing)
            missing -= paid
            source = Source("sage100", "payment", check.key, version.version)
            _pay_in_kashflow(planner, key, purchase, source, check.payment_date, paid, reference)


def _plan_paid_status(planner: Planner) -> None:
    """Sage 100 A/P invoices with more paid than their KashFlow purchase and no check to
    say how (checks purged, or paid outside A/P): pay the rest, dated today."""
    for key, purchase, sage_key, sage, difference in _paid_short(planner):
        source = Source("sage100", "purchase_invoice", sage_key, sage.version)
        reference = f"Sage {sage_key}"[:40]
        _pay_in_kashflow(planner, key, purchase, source, planner.state.today, difference, reference)


def _pay_in_kashflow(
    planner: Planner,
    purchase_key: str,
    purchase: PurchaseInvoice,
    source: Source,
    on: date,
    amount: Decimal,
    reference: str,
) -> None:
    """Plans one KashFlow payment of `amount` on a purchase, from the Sage 100 record
    `source` that shows it paid."""
    payment = Payment.build(
        system="kashflow",
        key=f"NEW-{source.key}-v{source.version}",
        kind="supplier_payment",
        counterparty_key=purchase.supplier_key,
        payment_date=on,
        amount=amount,
        currency=purchase.currency,
        reference=reference,
        allocations=(Allocation(invoice_key=purchase_key, amount=amount),),
    )
    planner.intent(PAID_FLOW, "create", payment, source, amount=amount)
