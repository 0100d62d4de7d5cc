"""`reconcile` over a real ledger: payments of one system settle invoices open in the other."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import psycopg
import record_builders
from record_builders import sales_invoice

from canonical import Payment, PurchaseInvoice
from ledger import NewVersion, append_versions, results_of_run
from ledgerbridge.reconcile import reconcile


def invoice(system: str, key: str, customer: str, gross: str, paid: str = "0") -> NewVersion:
    return NewVersion.of(sales_invoice(system, key, customer, gross, paid))


def receipt(system: str, key: str, customer: str | None, amount: str, reference: str) -> NewVersion:
    return NewVersion.of(record_builders.receipt(system, key, customer, amount, reference))


def link(conn: psycopg.Connection[Any], entity: str, kashflow_key: str, sage100_key: str) -> None:
    with conn.transaction():
        conn.execute(
            "INSERT INTO ledger.link (entity, kashflow_key, sage100_key, method)"
            " VALUES (%s, %s, %s, 'confirmed')",
            (entity, kashflow_key, sage100_key),
        )


def test_a_sage_receipt_settles_the_kashflow_copy_of_its_invoice(
    conn: psycopg.Connection[Any],
) -> None:
    link(conn, "customer", "ACME", "01-ACME")
    append_versions(
        conn,
        [
            invoice("kashflow", "42", "ACME", "120.00"),
            invoice("kashflow", "43", "ACME", "80.00"),
            invoice("sage100", "0000042", "01-ACME", "120.00"),
            receipt("sage100", "R1", "01-ACME", "120.00", "INV 42 thanks"),
        ],
    )

    summary = reconcile(conn)

    results = results_of_run(conn, summary.run_id, "payment")
    pairs = {(r.left, r.right, r.amount, r.status) for r in results}
    assert pairs == {
        (
            ("sage100", "payment", "R1"),
            ("kashflow", "sales_invoice", "42"),
            Decimal("120.00"),
            "auto",
        ),
        (
            ("sage100", "payment", "R1"),
            ("sage100", "sales_invoice", "0000042"),
            Decimal("120.00"),
            "auto",
        ),
    }
    assert all("same_counterparty" in r.rules for r in results)
    assert (summary.payments, summary.invoices, summary.allocations) == (1, 3, 2)


def test_what_a_system_has_allocated_itself_is_not_matched_again(
    conn: psycopg.Connection[Any],
) -> None:
    append_versions(
        conn,
        [
            invoice("kashflow", "50", "ACME", "100.00", paid="100.00"),
            NewVersion.of(
                Payment.model_validate(
                    {
                        "system": "kashflow",
                        "key": "P9",
                        "kind": "receipt",
                        "counterparty_key": "ACME",
                        "payment_date": "2026-09-20",
                        "amount": "100.00",
                        "reference": "INV 50",
                        "allocations": [{"invoice_key": "50", "amount": "100.00"}],
                    }
                )
            ),
        ],
    )
    summary = reconcile(conn)
    assert summary.allocations == 0
    row = conn.execute(
        "SELECT status, counts FROM ledger.sync_run_end WHERE run_id = %s", (summary.run_id,)
    ).fetchone()
    assert row is not None and row[0] == "succeeded"


def test_a_payment_synced_to_the_other_system_is_not_offered_twice(
    conn: psycopg.Connection[Any],
) -> None:
    link(conn, "customer", "ACME", "01-ACME")
    link(conn, "payment", "P1", "R1")
    append_versions(
        conn,
        [
            invoice("sage100", "0000042", "01-ACME", "120.00"),
            receipt("kashflow", "P1", "ACME", "120.00", "INV-42"),
            receipt("sage100", "R1", "01-ACME", "120.00", "INV-42"),
        ],
    )
    results = results_of_run(conn, reconcile(conn).run_id, "payment")
    assert [(r.left, r.right, r.status) for r in results] == [
        (("sage100", "payment", "R1"), ("sage100", "sales_invoice", "0000042"), "auto")
    ]


def test_supplier_payments_settle_purchase_invoices(conn: psycopg.Connection[Any]) -> None:
    append_versions(
        conn,
        [
            NewVersion.of(
                PurchaseInvoice(
                    system="sage100",
                    key="PI-77",
                    supplier_key="ACMESUP",
                    issue_date=date(2026, 9, 1),
                    net_amount=Decimal("300.00"),
                    gross_amount=Decimal("300.00"),
                )
            ),
            NewVersion.of(
                Payment(
                    system="sage100",
                    key="SP1",
                    kind="supplier_payment",
                    counterparty_key="ACMESUP",
                    payment_date=date(2026, 9, 25),
                    amount=Decimal("300.00"),
                )
            ),
        ],
    )
    results = results_of_run(conn, reconcile(conn).run_id, "payment")
    assert [(r.left, r.right, r.amount) for r in results] == [
        (("sage100", "payment", "SP1"), ("sage100", "purchase_invoice", "PI-77"), Decimal("300.00"))
    ]
