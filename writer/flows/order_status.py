"""Sage 100 sales order status -> KashFlow.

KashFlow has no sales orders; a Sage 100 order shows in KashFlow on the quote of the same
number (the order number without its zero fill, "0000042" -> quote 42): its status
("open", "backordered", "on_hold", "shipped", "invoiced", "complete", "cancelled"), ship
date and the invoice it became. A status is written when it differs from the last one
written for that order; one way only, Sage 100 being where orders are fulfilled.
"""

from __future__ import annotations

from canonical import OrderStatus
from writer.flows.base import Planner, Source
from writer.flows.references import master_counterpart

FLOW = "order_status_to_kashflow"
SHOWN = ("status", "ship_date", "invoice_key", "reference")


def kashflow_quote_number(sales_order_no: str) -> str:
    stripped = sales_order_no.lstrip("0")
    return stripped if stripped.isdigit() else sales_order_no


def plan_order_status(planner: Planner) -> None:
    state = planner.state
    for key, version in sorted(state.of_entity("sage100", "order_status").items()):
        order = version.record()
        assert isinstance(order, OrderStatus)
        source = Source("sage100", "order_status", key, version.version)
        customer = master_counterpart(planner, "customer", "sage100", order.customer_key)
        if customer is None:
            continue  # the customers flow creates it first; the status follows next plan
        before = state.written_from(FLOW, "sage100", key)
        invoice = kashflow_quote_number(order.invoice_key) if order.invoice_key else None
        shown = order.model_copy(
            update={
                "system": "kashflow",
                "key": kashflow_quote_number(key),
                "customer_key": customer.key,
                "invoice_key": invoice,
            }
        )
        if before:
            written = before[-1].record()
            if all(getattr(written, f) == getattr(shown, f) for f in SHOWN):
                continue
        planner.intent(
            FLOW,
            "update" if before else "create",
            shown,
            source,
            depends_on=(customer.depends_on,),
        )
