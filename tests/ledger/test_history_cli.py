"""`ledgerbridge history` prints every version with what changed between them."""

from __future__ import annotations

from typing import Any

import psycopg
from typer.testing import CliRunner

from ledger import NewVersion, append_versions
from ledgerbridge.cli import app


def test_history_shows_versions_and_field_changes(
    conn: psycopg.Connection[Any], ledger_url: str
) -> None:
    append_versions(
        conn, [NewVersion("sage100", "customer", "01-ACME", {"name": "Acme", "city": "York"})]
    )
    append_versions(
        conn, [NewVersion("sage100", "customer", "01-ACME", {"name": "Acme Ltd", "city": "York"})]
    )

    result = CliRunner().invoke(
        app, ["history", "sage100", "customer", "01-ACME"],
        env={"DATABASE_URL": ledger_url, "COLUMNS": "200"},
    )  # fmt: skip

    assert result.exit_code == 0, result.output
    assert "sage100 customer 01-ACME: 2 version(s)" in result.output
    assert "first seen (2 fields)" in result.output
    assert "name: Acme → Acme Ltd" in result.output


def test_history_of_an_unknown_record_says_so(ledger_url: str) -> None:
    result = CliRunner().invoke(
        app, ["history", "kashflow", "customer", "NOPE"], env={"DATABASE_URL": ledger_url}
    )

    assert result.exit_code == 1
    assert "no versions of kashflow customer 'NOPE'" in result.output


def test_history_refuses_an_unknown_entity(ledger_url: str) -> None:
    result = CliRunner().invoke(
        app,
        ["history", "kashflow", "invoice", "1"],
        env={"DATABASE_URL": ledger_url, "COLUMNS": "200"},
    )

    assert result.exit_code == 2
    assert "unknown entity 'invoice'" in result.output
