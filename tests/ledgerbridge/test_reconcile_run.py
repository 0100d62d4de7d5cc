"""`ledgerbridge.reconcile` does a run's ledger I/O: a stored version that is no valid
record, or a step that fails, is recorded as a problem naming the record and field, the
run ends ``partial``, and what the other steps found is still appended."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import psycopg
import record_builders

from canonical import Customer, SalesInvoice
from ledger import NewVersion, append_versions, current_links, results_of_run
from ledgerbridge.reconcile import reconcile
from matcher.anomalies import AnomalyConfig
from matcher.reconcile import ReconcileConfig

ACME = {
    "name": "Acme Engineering Ltd",
    "email": "accounts@acme-engineering.co.uk",
    "postcode": "YO1 1GR",
    "address_lines": ("222 Church Street",),
}


def seed(conn: psycopg.Connection[Any]) -> None:
    invoices = [
        SalesInvoice(
            system="kashflow",
            key=key,
            customer_key="ACME0019",
            issue_date=date(2026, 9, 1),
            net_amount=Decimal(gross),
            gross_amount=Decimal(gross),
        )
        for key, gross in (("7", "120"), ("8", "75.50"))
    ]
    receipt = record_builders.receipt("sage100", "R1", "01-ACME0019", "120", "7")
    records = [
        Customer(system="kashflow", key="ACME0019", **ACME),  # type: ignore[arg-type]
        Customer(system="sage100", key="01-ACME0019", **ACME),  # type: ignore[arg-type]
        *invoices,
        receipt,
    ]
    bad = NewVersion(
        "kashflow",
        "sales_invoice",
        "9",
        {**invoices[0].payload(), "issue_date": "31/09/2026"},
    )
    append_versions(conn, [*(NewVersion.of(r) for r in records), bad])


def run_end(conn: psycopg.Connection[Any], run_id: int) -> tuple[Any, ...]:
    row = conn.execute(
        "SELECT status, counts, error FROM ledger.sync_run_end WHERE run_id = %s", (run_id,)
    ).fetchone()
    assert row is not None
    return tuple(row)


def test_an_unreadable_record_is_a_problem_and_the_rest_is_reconciled(
    conn: psycopg.Connection[Any],
) -> None:
    seed(conn)
    summary = reconcile(conn)
    assert summary.status == "partial"
    status, counts, error = run_end(conn, summary.run_id)
    assert status == "partial"
    assert error.splitlines() == [
        "read: kashflow sales_invoice 9 field issue_date: " + summary.problems[0].message
    ]
    assert counts["problems"][0]["record"] == ["kashflow", "sales_invoice", "9"]
    assert [(link.kashflow_key, link.sage100_key) for link in current_links(conn)] == [
        ("ACME0019", "01-ACME0019")
    ]
    payments = results_of_run(conn, summary.run_id, "payment")
    assert [(r.left, r.right) for r in payments] == [
        (("sage100", "payment", "R1"), ("kashflow", "sales_invoice", "7"))
    ]


def test_a_failing_step_ends_the_run_partial_with_the_other_steps_results(
    conn: psycopg.Connection[Any],
) -> None:
    seed(conn)
    broken = ReconcileConfig(anomalies=AnomalyConfig(isolation_trees=0, isolation_min_rows=2))
    summary = reconcile(conn, broken)
    status, counts, error = run_end(conn, summary.run_id)
    assert status == "partial"
    assert [p["step"] for p in counts["problems"]] == ["read", "anomalies"]
    assert "anomalies: scoring kashflow sales_invoices failed" in error
    kinds = {r.kind for r in results_of_run(conn, summary.run_id)}
    assert kinds == {"master", "payment"}
