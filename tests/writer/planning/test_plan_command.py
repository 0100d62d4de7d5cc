"""`ledgerbridge plan` prints the planned writes as a table and applies nothing; the rules
file and the approval threshold it is given change what it plans; a broken rules file
stops it in one line."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import psycopg
from typer.testing import CliRunner, Result

from canonical import Customer, DocumentLine, SalesInvoice
from ledger import NewVersion, append_versions
from ledgerbridge.cli import app


def _count(conn: psycopg.Connection[Any], table: str) -> int:
    row = conn.execute(f"SELECT count(*) FROM ledger.{table}").fetchone()
    assert row is not None
    return int(row[0])


def _plan(conn: psycopg.Connection[Any], tmp_path: Path, *args: str, **env: str) -> Result:
    conn.commit()
    environment = {
        "DATABASE_URL": conn.info.dsn,
        "LEDGERBRIDGE_CONFIG": str(tmp_path / "absent.toml"),
        "COLUMNS": "250",
        **env,
    }
    return CliRunner().invoke(app, ["plan", *args], env=environment)


def _rows(result: Result, key: str) -> list[str]:
    """The first line of each table row showing `key` (where its approval is shown)."""
    return [line for line in result.stdout.splitlines() if f" {key} " in line]


def test_plan_prints_every_planned_write_and_applies_nothing(
    ledger: psycopg.Connection[Any], tmp_path: Path
) -> None:
    long_name = "Brand New Customer With A Name Far Too Long For Sage 100"
    append_versions(
        ledger, [NewVersion.of(Customer(system="kashflow", key="PLANME", name=long_name))]
    )
    result = _plan(ledger, tmp_path, "--flow", "customers", "--flow", "sales_invoices")
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    assert "Planned writes" in out and "nothing applied" in out
    assert "customer_to_sage100" in out and "01-PLANME" in out
    assert "cut to 50 characters for AR_Customer.CustomerName" in out
    assert "sales_invoice_to_sage100" in out
    assert _count(ledger, "write_intent") == 0 and _count(ledger, "decision") == 0


def test_the_rules_file_and_the_approval_threshold_change_the_plan(
    ledger: psycopg.Connection[Any], tmp_path: Path
) -> None:
    customer = ledger.execute(
        "SELECT kashflow_key FROM ledger.current_link WHERE entity = 'customer' LIMIT 1"
    ).fetchone()
    assert customer is not None
    line = DocumentLine(
        line_no=1, net_amount=Decimal(100), unit_price=Decimal(100), gl_account="4000"
    )
    invoice = SalesInvoice(
        system="kashflow",
        key="95001",
        customer_key=customer[0],
        issue_date=date(2031, 2, 3),
        lines=(line,),
        net_amount=Decimal(100),
        gross_amount=Decimal(100),
    )
    append_versions(ledger, [NewVersion.of(invoice)])
    each = _plan(ledger, tmp_path, "--flow", "sales_invoices")
    [row] = _rows(each, "0095001")
    assert "needs approval" not in row

    rules = tmp_path / "rules.toml"
    rules.write_text('[aggregation]\nsales_invoices = "daily_journal"\n')
    journal = _plan(
        ledger,
        tmp_path,
        "--flow",
        "sales_invoices",
        LEDGERBRIDGE_RULES_FILE=str(rules),
        LEDGERBRIDGE_APPROVAL_THRESHOLD="50",
    )
    assert journal.exit_code == 0, journal.stderr
    assert not _rows(journal, "0095001")
    [row] = _rows(journal, "SJ-20310203-1")
    assert "needs approval" in row


def test_plan_refuses_a_broken_rules_file_in_one_line(
    ledger: psycopg.Connection[Any], tmp_path: Path
) -> None:
    rules = tmp_path / "rules.toml"
    rules.write_text("[aggregation]\nsales_invoices = 'weekly'\n")
    result = _plan(ledger, tmp_path, LEDGERBRIDGE_RULES_FILE=str(rules))
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == (
        f"ledgerbridge: invalid rules: {rules}: aggregation.sales_invoices: Input should be"
        " 'each' or 'daily_journal', not 'weekly'\n"
    )


def test_sync_dry_run_prints_the_plan_and_applies_nothing(
    ledger: psycopg.Connection[Any], tmp_path: Path
) -> None:
    append_versions(
        ledger, [NewVersion.of(Customer(system="kashflow", key="DRYRUN", name="Dry Run Ltd"))]
    )
    ledger.commit()
    environment = {
        "DATABASE_URL": ledger.info.dsn,
        "LEDGERBRIDGE_CONFIG": str(tmp_path / "absent.toml"),
        "COLUMNS": "250",
    }
    result = CliRunner().invoke(app, ["sync", "--dry-run"], env=environment)
    assert result.exit_code == 0, result.stderr
    assert "Planned writes" in result.stdout and "01-DRYRUN" in result.stdout
    assert _count(ledger, "write_intent") == 0 and _count(ledger, "write_outcome") == 0
