"""`reconcile` over a real ledger runs every step in one run: masters are linked (and the
links written) before payments are paired, anomalies are flagged and GL accounts are
suggested for KashFlow purchases not yet in Sage 100."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

import psycopg
import pytest
from record_builders import ACME_DETAILS, gl_history, receipt
from typer.testing import CliRunner

from canonical import (
    Customer,
    DocumentLine,
    GLAccount,
    PurchaseInvoice,
    SalesInvoice,
    Supplier,
)
from ledger import (
    IdentityLink,
    NewVersion,
    append_links,
    append_versions,
    current_links,
    results_of_run,
)
from ledgerbridge.cli import app
from ledgerbridge.reconcile import reconcile
from matcher.reconcile import GLConfig, ReconcileConfig

ACME = {**ACME_DETAILS, "tax_number": "GB536383774"}
BRIGHT = {
    "name": "Bright Stationers Limited",
    "email": "billing@brightstationers.co.uk",
    "phone": "029 1320 7232",
    "address_lines": ("77 Station Road",),
    "city": "Cardiff",
    "postcode": "CF10 7XX",
}
FLEET = {
    "name": "Fleetway Fuels",
    "email": "accounts@fleetwayfuels.co.uk",
    "phone": "0113 496 0101",
    "address_lines": ("5 Canal Wharf",),
    "city": "Leeds",
    "postcode": "LS1 4AB",
}


def customer(system: str, key: str, **fields: Any) -> NewVersion:
    return NewVersion.of(Customer(system=system, key=key, **fields))  # type: ignore[arg-type]


def supplier(system: str, key: str, **fields: Any) -> NewVersion:
    return NewVersion.of(Supplier(system=system, key=key, **fields))  # type: ignore[arg-type]


def in_both(
    master: Callable[..., NewVersion], key: str, details: dict[str, Any], **in_sage100: Any
) -> list[NewVersion]:
    """One customer or supplier as both systems hold it: `key` in KashFlow, `01-key` in
    Sage 100, with the same details but for those given `in_sage100`."""
    return [
        master("kashflow", key, **details),
        master("sage100", f"01-{key}", **details | in_sage100),
    ]


def sales_invoice(
    system: str, key: str, customer_key: str, net: str, tax: str = "0", rate: str = "0"
) -> NewVersion:
    net_amount, tax_amount = Decimal(net), Decimal(tax)
    return NewVersion.of(
        SalesInvoice(
            system=system,  # type: ignore[arg-type]
            key=key,
            customer_key=customer_key,
            issue_date=date(2026, 9, 1),
            due_date=date(2026, 10, 1),
            lines=(
                DocumentLine(
                    line_no=1,
                    description="Goods",
                    net_amount=net_amount,
                    tax_rate=Decimal(rate),
                    tax_amount=tax_amount,
                ),
            ),
            net_amount=net_amount,
            tax_amount=tax_amount,
            gross_amount=net_amount + tax_amount,
        )
    )


def purchase(
    system: str,
    key: str,
    supplier_key: str,
    reference: str,
    description: str,
    net: str,
    account: str,
    issued: date = date(2026, 6, 1),
) -> NewVersion:
    amount = Decimal(net)
    return NewVersion.of(
        PurchaseInvoice(
            system=system,  # type: ignore[arg-type]
            key=key,
            supplier_key=supplier_key,
            reference=reference,
            issue_date=issued,
            lines=(
                DocumentLine(
                    line_no=1, description=description, net_amount=amount, gl_account=account
                ),
            ),
            net_amount=amount,
            gross_amount=amount,
        )
    )


def gl_account(system: str, key: str, name: str) -> NewVersion:
    return NewVersion.of(GLAccount(system=system, key=key, name=name))  # type: ignore[arg-type]


def link_rows(conn: psycopg.Connection[Any]) -> list[tuple[Any, ...]]:
    return conn.execute(
        "SELECT entity, kashflow_key, sage100_key, action, method, run_id FROM ledger.link"
        " ORDER BY link_id"
    ).fetchall()


def test_customers_are_linked_before_payments_so_a_sage_receipt_settles_a_kashflow_invoice(
    conn: psycopg.Connection[Any],
) -> None:
    append_versions(
        conn,
        [
            *in_both(customer, "ACME0019", ACME, name="ACME ENGINEERING LIMITED"),
            sales_invoice("kashflow", "10042", "ACME0019", "120.00"),
            NewVersion.of(
                receipt("sage100", "00001|01-ACME0019|CHK1", "01-ACME0019", "120.00", "INV 10042")
            ),
        ],
    )

    summary = reconcile(conn)

    masters = results_of_run(conn, summary.run_id, "master")
    assert [(r.left, r.right, r.status) for r in masters] == [
        (("kashflow", "customer", "ACME0019"), ("sage100", "customer", "01-ACME0019"), "auto")
    ]
    assert {"email", "tax", "postcode"} <= set(masters[0].rules)
    assert "evidence" in masters[0].detail
    assert link_rows(conn) == [
        ("customer", "ACME0019", "01-ACME0019", "link", "matched", summary.run_id)
    ]
    payments = results_of_run(conn, summary.run_id, "payment")
    assert [(r.left, r.right, r.amount, r.status) for r in payments] == [
        (
            ("sage100", "payment", "00001|01-ACME0019|CHK1"),
            ("kashflow", "sales_invoice", "10042"),
            Decimal("120.00"),
            "auto",
        )
    ]
    assert "same_counterparty" in payments[0].rules
    linked_first = conn.execute(
        "SELECT max(l.created_at) < min(r.created_at) FROM ledger.link AS l,"
        " ledger.match_result AS r WHERE r.kind = 'payment'"
    ).fetchone()
    assert linked_first == (True,)
    assert summary.links_appended == 1
    assert [(m.entity, m.auto, m.suggested) for m in summary.masters] == [
        ("customer", 1, 0),
        ("supplier", 0, 0),
        ("product", 0, 0),
    ]


def test_a_second_run_neither_duplicates_links_nor_proposes_them_again(
    conn: psycopg.Connection[Any],
) -> None:
    append_versions(
        conn, [*in_both(customer, "ACME0019", ACME), *in_both(supplier, "BRI0003", BRIGHT)]
    )
    first = reconcile(conn)
    second = reconcile(conn)

    assert first.links_appended == 2
    assert second.links_appended == 0
    assert len(link_rows(conn)) == 2
    assert results_of_run(conn, second.run_id, "master") == []
    assert [(m.entity, m.already_linked, m.auto) for m in second.masters[:2]] == [
        ("customer", 1, 0),
        ("supplier", 1, 0),
    ]


def test_a_link_someone_withdrew_is_not_made_again(conn: psycopg.Connection[Any]) -> None:
    append_versions(conn, in_both(customer, "ACME0019", ACME))
    reconcile(conn)
    withdrawn = IdentityLink("customer", "ACME0019", "01-ACME0019", method="confirmed")
    assert append_links(conn, None, [withdrawn], action="unlink") == 1

    summary = reconcile(conn)

    assert current_links(conn, "customer") == []
    assert results_of_run(conn, summary.run_id, "master") == []
    assert summary.links_appended == 0


def test_duplicate_supplier_invoices_and_wrong_vat_are_flagged_with_reasons(
    conn: psycopg.Connection[Any],
) -> None:
    append_versions(
        conn,
        [
            purchase("kashflow", "5001", "BRI0003", "BRI-1001", "Paper", "250.00", "7500"),
            purchase("kashflow", "5002", "BRI0003", "BRI-1002", "Toner", "90.00", "7500"),
            purchase("kashflow", "5003", "BRI0003", "BRI-1001", "Paper", "250.00", "7500"),
            sales_invoice("sage100", "0010001", "01-ACME0019", "100.00", tax="20.00", rate="20"),
            sales_invoice("sage100", "0010002", "01-ACME0019", "100.00", tax="25.00", rate="20"),
        ],
    )

    summary = reconcile(conn)

    flagged = {r.left: r for r in results_of_run(conn, summary.run_id, "anomaly")}
    assert set(flagged) == {
        ("kashflow", "purchase_invoice", "5003"),
        ("sage100", "sales_invoice", "0010002"),
    }
    duplicate = flagged[("kashflow", "purchase_invoice", "5003")]
    assert duplicate.status == "flagged"
    assert "duplicate_number" in duplicate.rules
    assert duplicate.detail["reasons"][0].startswith("Duplicate invoice number BRI-1001")
    vat = flagged[("sage100", "sales_invoice", "0010002")]
    assert vat.rules[0] == "vat_mismatch"
    assert vat.detail["reasons"][0].startswith("VAT 25.0 is not net 100.0 × 20.0% = 20.0")
    assert (summary.anomalies.scored, summary.anomalies.flagged) == (5, 2)


def gl_company(n_history: int) -> list[NewVersion]:
    """Two suppliers known to both systems, both charts of accounts, `n_history`
    purchases already in Sage 100 (with their KashFlow copies), and two not yet."""
    versions = [
        supplier("kashflow", "BRI0003", **BRIGHT),
        supplier("sage100", "01-BRI0003", **BRIGHT),
        supplier("kashflow", "FLE0002", **FLEET),
        supplier("sage100", "01-FLE0002", **FLEET),
        gl_account("kashflow", "7300", "Motor Expenses"),
        gl_account("sage100", "7300-00-00", "Motor Expenses"),
        gl_account("kashflow", "7500", "Office Costs"),
        gl_account("sage100", "7500-00-00", "Office Costs"),
    ]
    versions += [purchase(*bought) for bought in gl_history(n_history)]
    versions += [
        purchase("kashflow", "7001", "FLE0002", "FLE-7001", "Diesel for vans", "88.00", "7300"),
        purchase("kashflow", "7002", "BRI0003", "BRI-7002", "Printer paper", "35.00", "7500"),
    ]
    return versions


def test_kashflow_purchases_not_yet_in_sage_get_gl_suggestions_learnt_from_history(
    conn: psycopg.Connection[Any],
) -> None:
    append_versions(conn, gl_company(n_history=36))

    summary = reconcile(conn)

    suggestions = {r.group_id: r for r in results_of_run(conn, summary.run_id, "gl_suggestion")}
    assert set(suggestions) == {"7001:1", "7002:1"}
    fuel, paper = suggestions["7001:1"], suggestions["7002:1"]
    assert fuel.left == ("kashflow", "purchase_invoice", "7001")
    assert fuel.right == ("sage100", "gl_account", "7300-00-00")
    assert paper.right == ("sage100", "gl_account", "7500-00-00")
    for suggestion in (fuel, paper):
        assert suggestion.status == "suggested"
        assert suggestion.detail["line_no"] == 1
        assert suggestion.detail["source"] == "model"
        top = suggestion.detail["top"]
        assert suggestion.right is not None and top[0][0] == suggestion.right[2]
        assert suggestion.score == pytest.approx(top[0][1], abs=1e-4)
        assert suggestion.score > 0.5
        assert [p for _, p in top] == sorted((p for _, p in top), reverse=True)
    assert (summary.gl.history, summary.gl.lines, summary.gl.source) == (36, 2, "model")


def test_with_too_little_history_gl_suggestions_come_from_the_mapping_and_the_chart(
    conn: psycopg.Connection[Any],
) -> None:
    append_versions(conn, gl_company(n_history=4))

    summary = reconcile(conn, ReconcileConfig(gl=GLConfig(min_history=30)))

    suggestions = {r.group_id: r for r in results_of_run(conn, summary.run_id, "gl_suggestion")}
    assert {key: r.right for key, r in suggestions.items()} == {
        "7001:1": ("sage100", "gl_account", "7300-00-00"),
        "7002:1": ("sage100", "gl_account", "7500-00-00"),
    }
    for suggestion in suggestions.values():
        # the mapped account, confirmed among its siblings by the Sage chart's descriptions
        assert suggestion.detail["source"] == "chart"
        assert suggestion.detail["note"].startswith("too little history (4 labelled Sage lines")
    assert summary.gl.source == "mapping"


def test_the_reconcile_command_reports_every_step(
    conn: psycopg.Connection[Any], ledger_url: str
) -> None:
    append_versions(conn, in_both(customer, "ACME0019", ACME))

    result = CliRunner().invoke(app, ["reconcile"], env={"DATABASE_URL": ledger_url})

    assert result.exit_code == 0, result.output
    for step in ("customer links", "payments", "anomalies", "GL suggestions"):
        assert step in result.output
    assert "1 auto-linked" in result.output
    assert len(current_links(conn, "customer")) == 1
