"""Sage 100 stock (IM_ItemWarehouse) -> KashFlow product stock levels.

KashFlow keeps one stock quantity per product (`QuantityInStock` of its nominal), so it
shows the quantity on hand in one Sage 100 warehouse (`enrichment.stock_warehouse`,
default "000"), for products KashFlow manages stock of. A level is written when it
differs from the last one written; one way only, Sage 100 being the stock's system.
"""

from __future__ import annotations

from canonical import Product, StockLevel
from writer.flows.base import Planner, Source
from writer.flows.references import master_counterpart

FLOW = "stock_to_kashflow"


def plan_stock(planner: Planner) -> None:
    state = planner.state
    warehouse = planner.rules.enrichment.stock_warehouse
    for key, version in sorted(state.of_entity("sage100", "stock_level").items()):
        level = version.record()
        assert isinstance(level, StockLevel)
        if level.warehouse != warehouse:
            continue
        product = master_counterpart(planner, "product", "sage100", level.product_key)
        if product is None:
            continue  # the products flow creates it first; its level follows next plan
        held = state.version("kashflow", "product", product.key)
        if held is not None:
            record = held.record()
            assert isinstance(record, Product)
            if not record.track_stock:
                continue
        before = state.written_from(FLOW, "sage100", key)
        if before:
            written = before[-1].record()
            assert isinstance(written, StockLevel)
            if written.quantity_on_hand == level.quantity_on_hand:
                continue
        planner.intent(
            FLOW,
            "update",
            StockLevel(
                system="kashflow",
                key=f"{product.key}|{warehouse}",
                product_key=product.key,
                warehouse=warehouse,
                quantity_on_hand=level.quantity_on_hand,
            ),
            Source("sage100", "stock_level", key, version.version),
            depends_on=(product.depends_on,),
        )
