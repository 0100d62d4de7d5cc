"""Orders from the eCommerce platform and payments from the payment gateway -> KashFlow.

The webhook intake appends them to the ledger as records of their own systems: orders as
`SalesInvoice`s of system ``ecommerce`` (their customer a `Customer` of that system),
payments as `Payment`s of system ``gateway`` allocated to order keys. Each order becomes
one KashFlow invoice, numbered after the highest KashFlow invoice number known, with the
order number as its reference; its customer is the KashFlow customer with the same email
address, or one created from the shop's customer (the invoice then depends on it). Each
gateway payment becomes a payment on the invoice of its order. Orders and payments are
written once: a later version of an order already invoiced is refused with the reason,
not written twice.
"""

from __future__ import annotations

from decimal import Decimal

from canonical import Allocation, Customer, Payment, SalesInvoice
from ledger import StoredVersion
from matcher.normalise import normalise_email
from writer.flows.base import Planner, Source
from writer.flows.references import Counterpart

ORDER_FLOW = "ecommerce_order_to_kashflow"
PAYMENT_FLOW = "gateway_payment_to_kashflow"
CUSTOMER_FLOW = "ecommerce_customer_to_kashflow"
CUSTOMER_PREFIX = "WEB"


def plan_ecommerce(planner: Planner) -> None:
    state = planner.state
    numbers = _InvoiceNumbers(planner)
    for _key, version in sorted(state.of_entity("ecommerce", "sales_invoice").items()):
        _plan_order(planner, version, numbers)
    for _key, version in sorted(state.of_entity("gateway", "payment").items()):
        _plan_payment(planner, version)


class _InvoiceNumbers:
    """KashFlow invoice numbers for new invoices: after every number known or planned."""

    def __init__(self, planner: Planner) -> None:
        known = [
            *planner.state.of_entity("kashflow", "sales_invoice"),
            *(i.written_key or "" for i in planner.state.intents if i.flow == ORDER_FLOW),
        ]
        self.last = max((int(k) for k in known if k.isdigit()), default=0)

    def next(self) -> str:
        self.last += 1
        return str(self.last)


def _plan_order(planner: Planner, version: StoredVersion, numbers: _InvoiceNumbers) -> None:
    order = version.record()
    assert isinstance(order, SalesInvoice)
    source = Source("ecommerce", "sales_invoice", order.key, version.version)
    if planner.written_before(
        ORDER_FLOW, source, order, ("gross_amount", "lines"), "lines",
        lambda written: f"changed after it was invoiced in KashFlow as {written.key}:"
        " raise a credit note or a new order there",
    ):  # fmt: skip
        return
    customer = _customer(planner, order.customer_key, source)
    if customer is None:
        return
    invoice = order.model_copy(
        update={
            "system": "kashflow",
            "key": numbers.next(),
            "customer_key": customer.key,
            "reference": order.key,
            "amount_paid": Decimal(0),
        }
    )
    planner.intent(
        ORDER_FLOW,
        "create",
        invoice,
        source,
        amount=invoice.gross_amount,
        depends_on=(customer.depends_on,),
    )


def _customer(planner: Planner, shop_key: str, source: Source) -> Counterpart | None:
    """The KashFlow customer of a shop customer: same email, created by us, or new."""
    shop = planner.state.version("ecommerce", "customer", shop_key)
    if shop is None:
        planner.reject(
            ORDER_FLOW,
            source,
            "customer_key",
            f"the shop's customer {shop_key} is not in the ledger",
        )
        return None
    record = shop.record()
    assert isinstance(record, Customer)
    for planned in planner.plan.intents:
        if planned.flow == CUSTOMER_FLOW and planned.source_key == shop_key:
            return Counterpart(planned.target_key, planned.idempotency_key)
    for prior in planner.state.intents_from(CUSTOMER_FLOW, "ecommerce", shop_key):
        if not prior.failed and prior.written_key:
            pending = prior.idempotency_key if prior.status != "succeeded" else None
            return Counterpart(prior.written_key, pending)
    email = normalise_email(record.email)
    if email:
        for key, version in sorted(planner.state.of_entity("kashflow", "customer").items()):
            if version.payload and normalise_email(version.payload.get("email")) == email:
                return Counterpart(key)
    code = f"{CUSTOMER_PREFIX}{''.join(c for c in shop_key.upper() if c.isalnum())}"[:20]
    created = record.model_copy(update={"system": "kashflow", "key": code, "party_number": code})
    intent = planner.intent(
        CUSTOMER_FLOW, "create", created, Source("ecommerce", "customer", shop_key, shop.version)
    )
    return Counterpart(code, intent.idempotency_key if intent else None)


def _plan_payment(planner: Planner, version: StoredVersion) -> None:
    payment = version.record()
    assert isinstance(payment, Payment)
    source = Source("gateway", "payment", payment.key, version.version)
    if planner.state.written_from(PAYMENT_FLOW, "gateway", payment.key):
        return
    allocations = []
    depends = []
    customer_key = None
    for allocation in payment.allocations:
        invoice = _order_invoice(planner, allocation.invoice_key)
        if invoice is None:
            planner.reject(
                PAYMENT_FLOW,
                source,
                "allocations.invoice_key",
                f"order {allocation.invoice_key} has no KashFlow invoice yet",
            )
            return
        key, customer_key, depends_on = invoice
        allocations.append(Allocation(invoice_key=key, amount=allocation.amount))
        depends.append(depends_on)
    planner.intent(
        PAYMENT_FLOW,
        "create",
        payment.model_copy(
            update={
                "system": "kashflow",
                "key": f"NEW-{payment.key}",
                "counterparty_key": customer_key,
                "method": payment.method or "Card",
                "reference": payment.reference or payment.key,
                "allocations": tuple(allocations),
            }
        ),
        source,
        amount=payment.amount,
        depends_on=tuple(depends),
    )


def _order_invoice(planner: Planner, order_key: str) -> tuple[str, str, str | None] | None:
    """(KashFlow invoice key, its customer, the intent creating it if not applied yet)."""
    for planned in planner.plan.intents:
        if planned.flow == ORDER_FLOW and planned.source_key == order_key:
            record = planned.record
            assert isinstance(record, SalesInvoice)
            return planned.target_key, record.customer_key, planned.idempotency_key
    for prior in reversed(planner.state.intents_from(ORDER_FLOW, "ecommerce", order_key)):
        if not prior.failed:
            written = prior.record()
            assert isinstance(written, SalesInvoice)
            pending = prior.idempotency_key if prior.status != "succeeded" else None
            return written.key, written.customer_key, pending
    return None
