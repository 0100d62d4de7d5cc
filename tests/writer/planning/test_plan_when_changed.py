"""Planning only when something changed: the worker's tick plans when a record version,
link, intent, outcome, dead letter or decision reached the ledger since its last plan,
skips otherwise, and a change after a skipped tick is planned on the next one."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import psycopg

from canonical import DocumentLine, SalesInvoice
from ledger import NewVersion, append_versions
from writer.outbox import approve
from writer.plan import PlanWhenChanged, high_water, plan_all, submit_plan
from writer.rules import load_rules

RULES = load_rules()


def _invoice(key: str, customer: str) -> SalesInvoice:
    line = DocumentLine(
        line_no=1, description="Gate", unit_price=Decimal(80), net_amount=Decimal(80),
        tax_rate=Decimal(20), tax_amount=Decimal(16), gl_account="4000",
    )  # fmt: skip
    return SalesInvoice(
        system="kashflow", key=key, customer_key=customer, issue_date=date(2026, 11, 2),
        lines=(line,), net_amount=Decimal(80), tax_amount=Decimal(16), gross_amount=Decimal(96),
    )  # fmt: skip


def _intents_from(conn: psycopg.Connection[Any], key: str) -> int:
    row = conn.execute(
        "SELECT count(*) FROM ledger.write_intent WHERE source_key = %s", (key,)
    ).fetchone()
    return int(row[0]) if row else 0


def test_a_tick_with_nothing_new_skips_and_a_change_after_it_is_planned_next(
    ledger: psycopg.Connection[Any],
) -> None:
    plans: list[int] = []
    url = ledger.info.dsn

    def plan_and_submit() -> None:
        with psycopg.connect(url) as conn:
            submitted = submit_plan(conn, plan_all(conn, RULES, approval_threshold=Decimal(5000)))
        plans.append(submitted.intents)

    planner = PlanWhenChanged(plan_and_submit)
    ledger.commit()
    assert planner(ledger) is True
    assert plans and plans[0] > 0, "the seeded ledger has writes to plan"
    assert planner(ledger) is True, "the plan's own intents moved the ledger"
    assert plans[-1] == 0, "planning the same ledger again adds nothing"
    assert [planner(ledger) for _ in range(3)] == [False, False, False]
    runs = len(plans)

    customer = ledger.execute(
        "SELECT min(kashflow_key) FROM ledger.current_link WHERE entity = 'customer'"
    ).fetchone()[0]  # type: ignore[index]
    append_versions(ledger, [NewVersion.of(_invoice("93001", customer))])
    ledger.commit()
    assert planner(ledger) is True
    assert len(plans) == runs + 1
    assert _intents_from(ledger, "93001") == 1, "the change after the skipped ticks is planned"
    while planner(ledger):
        pass

    # An approval (as a dead-letter retry) is a decision: it moves the mark too.
    [key] = ledger.execute(
        "SELECT idempotency_key FROM ledger.write_intent WHERE source_key = '93001'"
    ).fetchone()  # type: ignore[misc]
    before = high_water(ledger)
    approve(ledger, key, "alice")
    ledger.commit()
    assert high_water(ledger) != before
    assert planner(ledger) is True
    assert planner(ledger) is False
