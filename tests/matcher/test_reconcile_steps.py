"""`run_steps` is a pure function of the current records and links: no ledger, the auto
master links it finds count for the later steps, and a step that fails is a problem
while the other steps still run."""

from __future__ import annotations

from record_builders import ACME_DETAILS, receipt, sales_invoice

from canonical import CanonicalRecord, Customer
from matcher.anomalies import AnomalyConfig
from matcher.reconcile import ReconcileConfig, ReconcileInput, run_steps


def company() -> ReconcileInput:
    records: dict[str, list[CanonicalRecord]] = {
        "customer": [
            Customer(system="kashflow", key="ACME0019", **ACME_DETAILS),
            Customer(system="sage100", key="01-ACME0019", **ACME_DETAILS),
        ],
        "sales_invoice": [
            sales_invoice("kashflow", "7", "ACME0019", "120"),
            sales_invoice("kashflow", "8", "ACME0019", "75.50"),
        ],
        "payment": [receipt("sage100", "00042|01-ACME0019|CHK1", "01-ACME0019", "120", "7")],
    }
    return ReconcileInput(records)


def test_a_customer_linked_in_the_run_lets_a_sage_receipt_settle_a_kashflow_invoice() -> None:
    outcome = run_steps(company())
    assert [(link.entity, link.kashflow_key, link.sage100_key) for link in outcome.links] == [
        ("customer", "ACME0019", "01-ACME0019")
    ]
    payments = [r for r in outcome.results if r.kind == "payment"]
    assert [(r.left, r.right) for r in payments] == [
        (
            ("sage100", "payment", "00042|01-ACME0019|CHK1"),
            ("kashflow", "sales_invoice", "7"),
        )
    ]
    assert outcome.problems == ()


def test_a_failing_step_is_a_problem_and_the_other_steps_still_run() -> None:
    broken = AnomalyConfig(isolation_trees=0, isolation_min_rows=2)
    outcome = run_steps(company(), ReconcileConfig(anomalies=broken))
    assert [(p.step, p.record) for p in outcome.problems] == [("anomalies", None)]
    assert (
        outcome.problems[0].line().startswith("anomalies: scoring kashflow sales_invoices failed: ")
    )
    assert "n_estimators" in outcome.problems[0].message
    assert {r.kind for r in outcome.results} == {"master", "payment"}
    assert outcome.payments.allocations == 1
    assert outcome.anomalies.scored == 0
