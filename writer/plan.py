"""Planning every flow at once: ledger state in, write intents out, nothing applied.

`plan_all(conn, rules, approval_threshold=...)` reads the ledger once and runs each flow's
planner over it, masters first (a document's intent depends on its customer's). The
`Plan` holds the intents in dependency order, the merge conflicts resolved on the way and
the records no intent could be planned for. `submit_plan` stores a plan for the applier:
its intents in the outbox, its conflicts as decisions (`record_conflicts`) and its
rejections as dead letters, each once; the applier then applies the intents.
`PlanWhenChanged` plans only when the ledger moved since its last plan (`high_water`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

from writer.alerts import Alerter
from writer.flows.base import FlowPlan, Planner, Rejection
from writer.flows.ecommerce import plan_ecommerce
from writer.flows.masters import plan_masters
from writer.flows.order_status import plan_order_status
from writer.flows.purchases import plan_purchases
from writer.flows.receipts import plan_paid_status, plan_receipts
from writer.flows.sales_invoices import plan_sales_invoices
from writer.flows.state import LedgerState, load_state
from writer.flows.stock import plan_stock
from writer.outbox import record_intents
from writer.rules import Rules
from writer.sql import query

Plan = FlowPlan

FlowPlanner = Callable[[Planner], object]

FLOWS: dict[str, FlowPlanner] = {
    "customers": lambda planner: plan_masters(planner, "customer"),
    "suppliers": lambda planner: plan_masters(planner, "supplier"),
    "products": lambda planner: plan_masters(planner, "product"),
    "sales_invoices": plan_sales_invoices,
    "receipts": plan_receipts,
    "paid_status": plan_paid_status,
    "purchases": plan_purchases,
    "stock": plan_stock,
    "order_status": plan_order_status,
    "ecommerce": plan_ecommerce,
}
"""Every flow by name, in the order they plan: masters before what depends on them."""

CONFLICT_DECIDER = "rules:system_of_record"


def plan_state(
    state: LedgerState,
    rules: Rules,
    approval_threshold: Decimal,
    flows: Iterable[str] | None = None,
) -> Plan:
    """The plan of `flows` (default all) over a ledger state: a pure function."""
    wanted = list(FLOWS) if flows is None else list(flows)
    unknown = [name for name in wanted if name not in FLOWS]
    if unknown:
        raise ValueError(f"unknown flow {', '.join(unknown)}; known: {', '.join(FLOWS)}")
    planner = Planner(state, rules, approval_threshold)
    for name in FLOWS:
        if name in wanted:
            FLOWS[name](planner)
    return planner.plan


def plan_all(
    conn: psycopg.Connection[Any],
    rules: Rules,
    *,
    approval_threshold: Decimal,
    flows: Iterable[str] | None = None,
    today: date | None = None,
) -> Plan:
    """Every flow's planned writes over the ledger as it stands; nothing is written."""
    return plan_state(load_state(conn, today), rules, approval_threshold, flows)


def record_conflicts(conn: psycopg.Connection[Any], plan: Plan) -> int:
    """Appends each merge conflict of `plan` to `ledger.decision` once (kind
    ``merge_conflict``, outcome the winning system); returns how many were new."""
    with conn.transaction():
        conn.execute(query("lock"), {"name": "ledger.decision:merge_conflict"})
        known = {(key, field) for key, field in conn.execute(query("recorded_conflicts"))}
        new = [c for c in plan.conflicts if (c.idempotency_key, c.field) not in known]
        with conn.cursor() as cur:
            cur.executemany(
                "INSERT INTO ledger.decision (kind, subject, outcome, actor, reason)"
                " VALUES ('merge_conflict', %s, %s, %s, %s)",
                [
                    (
                        Jsonb(c.subject()),
                        c.winner,
                        CONFLICT_DECIDER,
                        f"{c.field} changed on both sides; {c.winner} is its system of record"
                        if not c.first_sync
                        else f"{c.field} differs at the first sync; {c.winner} is its system"
                        " of record",
                    )
                    for c in new
                ],
            )
    return len(new)


def dead_letter_rejections(
    conn: psycopg.Connection[Any], rejections: Iterable[Rejection], run_id: int | None = None
) -> list[Rejection]:
    """Appends each rejection as a writer dead letter (error ``NotPlanned``, no intent):
    the source record, the field and why, once per source version; returns the new ones."""
    new = []
    with conn.transaction():
        conn.execute(query("lock"), {"name": "ledger.dead_letter:not_planned"})
        for rejection in rejections:
            row = conn.execute(
                query("dead_letter_rejections"),
                {
                    "system": rejection.system,
                    "entity": rejection.entity,
                    "key": rejection.key,
                    "field": rejection.field,
                    "message": rejection.message,
                    "payload": Jsonb({"flow": rejection.flow, "source_version": rejection.version}),
                    "run_id": run_id,
                },
            )
            if row.rowcount:
                new.append(rejection)
    return new


def high_water(conn: psycopg.Connection[Any]) -> tuple[object, ...]:
    """Where the ledger stands for planning: the newest record version of each stream,
    link, intent, outcome, dead letter and decision (retries and approvals are decisions),
    and the day (a plan reads today's date). It only grows; equal marks plan alike."""
    row = conn.execute(query("high_water")).fetchone()
    assert row is not None
    return (*row, date.today())


class PlanWhenChanged:
    """Runs `plan` only when the ledger has moved since the last plan that ran, so a tick
    with nothing new skips planning. The mark is read before planning: what arrives while
    a plan runs is planned on the next tick. A plan that fails leaves the mark where it
    was, so the next tick plans again."""

    def __init__(self, plan: Callable[[], object]) -> None:
        self.plan = plan
        self.last: tuple[object, ...] | None = None

    def __call__(self, conn: psycopg.Connection[Any]) -> bool:
        """Plans if the ledger moved (True) or skips (False); `conn` reads the mark."""
        mark = high_water(conn)
        if mark == self.last:
            return False
        self.plan()
        self.last = mark
        return True


@dataclass(frozen=True)
class Submitted:
    """What storing one plan added: intents to apply, conflicts, dead letters."""

    intents: int
    conflicts: int
    dead_letters: int


def submit_plan(
    conn: psycopg.Connection[Any],
    plan: Plan,
    run_id: int | None = None,
    alerter: Alerter | None = None,
) -> Submitted:
    """Stores `plan` for the applier: its intents in the outbox (a key stored already is
    skipped), its conflicts as decisions and its rejections as dead letters, each once;
    new dead letters raise the dead-letter alert."""
    added = record_intents(conn, plan.intents, run_id)
    conflicts = record_conflicts(conn, plan)
    refused = dead_letter_rejections(conn, plan.rejections, run_id)
    if refused and alerter is not None:
        alerter.dead_letters(
            [
                {"system": r.system, "entity": r.entity, "key": r.key, "field": r.field,
                 "message": r.line(), "flow": r.flow}
                for r in refused
            ]
        )  # fmt: skip
    if not conn.autocommit:
        conn.commit()
    return Submitted(added, conflicts, len(refused))
