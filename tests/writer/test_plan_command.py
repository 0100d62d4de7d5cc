"""`ledgerbridge plan` prints the planned writes as a table and applies nothing; a broken
rules file stops it in one line."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import psycopg
import pytest

from canonical import Customer
from ledger import NewVersion, append_versions
from ledgerbridge.cli import main


def _count(conn: psycopg.Connection[Any], table: str) -> int:
    row = conn.execute(f"SELECT count(*) FROM ledger.{table}").fetchone()
    assert row is not None
    return int(row[0])


def test_plan_prints_every_planned_write_and_applies_nothing(
    ledger: psycopg.Connection[Any],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    long_name = "Brand New Customer With A Name Far Too Long For Sage 100"
    append_versions(
        ledger, [NewVersion.of(Customer(system="kashflow", key="PLANME", name=long_name))]
    )
    ledger.commit()
    monkeypatch.setenv("DATABASE_URL", ledger.info.dsn)
    monkeypatch.setenv("LEDGERBRIDGE_CONFIG", str(tmp_path / "absent.toml"))
    monkeypatch.setenv("COLUMNS", "250")
    with pytest.raises(SystemExit) as exited:
        main(["plan", "--flow", "customers", "--flow", "sales_invoices"])
    assert exited.value.code == 0
    out = capsys.readouterr().out
    assert "Planned writes" in out and "nothing applied" in out
    assert "customer_to_sage100" in out and "01-PLANME" in out
    assert "cut to 50 characters for AR_Customer.CustomerName" in out
    assert "sales_invoice_to_sage100" in out
    assert _count(ledger, "write_intent") == 0 and _count(ledger, "decision") == 0


def test_plan_refuses_a_broken_rules_file_in_one_line(
    ledger: psycopg.Connection[Any],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    rules = tmp_path / "rules.toml"
    rules.write_text("[aggregation]\nsales_invoices = 'weekly'\n")
    monkeypatch.setenv("DATABASE_URL", ledger.info.dsn)
    monkeypatch.setenv("LEDGERBRIDGE_CONFIG", str(tmp_path / "absent.toml"))
    monkeypatch.setenv("LEDGERBRIDGE_RULES_FILE", str(rules))
    with pytest.raises(SystemExit) as exited:
        main(["plan"])
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith(f"ledgerbridge: invalid rules: {rules}: aggregation.sales_invoices:")
