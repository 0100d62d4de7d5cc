"""`ledgerbridge ledger seal|verify`: one clear line when something is missing, a non-zero
exit on any mismatch, and a seal file that still proves history after the ledger's own
seals are gone."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import psycopg
import pytest
from typer.testing import CliRunner, Result

from ledger import NewVersion, append_versions
from ledgerbridge.cli import app

KEY = "a seal key of 32 bytes, for tests"


def ledger_cli(url: str, *args: str, key: str | None = KEY) -> Result:
    env = {"DATABASE_URL": url, "COLUMNS": "200", "LEDGERBRIDGE_CONFIG": "/nonexistent.toml"}
    if key is not None:
        env["LEDGERBRIDGE_SEAL_KEY"] = key
    return CliRunner().invoke(app, ["ledger", *args], env=env)


@pytest.fixture
def appended(conn: psycopg.Connection[Any]) -> psycopg.Connection[Any]:
    append_versions(conn, [NewVersion("kashflow", "customer", k, {"name": k}) for k in "AB"])
    append_versions(conn, [NewVersion("kashflow", "customer", "A", {"name": "A v2"})])
    return conn


@pytest.fixture
def seal_file(appended: psycopg.Connection[Any], app_url: str, tmp_path: Path) -> Path:
    """Seal 1 of the appended ledger, written out by `ledger seal --out`."""
    out = tmp_path / "seal.json"
    assert ledger_cli(app_url, "seal", "--out", str(out)).exit_code == 0
    return out


def test_sealing_without_a_key_is_refused_in_one_line(app_url: str) -> None:
    result = ledger_cli(app_url, "seal", key=None)

    assert result.exit_code == 2
    assert result.output == (
        "cannot seal without a key: set LEDGERBRIDGE_SEAL_KEY or LEDGERBRIDGE_SEAL_KEY_FILE\n"
    )


def test_a_short_key_is_refused_and_never_shown(app_url: str) -> None:
    result = ledger_cli(app_url, "seal", key="hunter2")

    assert result.exit_code == 2
    assert result.output == "the seal key is too short: use at least 16 random bytes\n"
    assert "hunter2" not in result.output


def test_seal_then_verify(appended: psycopg.Connection[Any], app_url: str, tmp_path: Path) -> None:
    out = tmp_path / "seal-1.json"

    sealed = ledger_cli(app_url, "seal", "--out", str(out))
    verified = ledger_cli(app_url, "verify")

    assert sealed.exit_code == 0, sealed.output
    assert sealed.output.startswith("seal 1: 1 chain heads signed at ")
    assert KEY not in sealed.output + out.read_text()
    assert '"record_version/kashflow/customer": [\n      3,' in out.read_text()
    assert verified.exit_code == 0, verified.output
    assert verified.output == "ledger verified: 4 rows in 2 chains, 1 seals checked\n"


def test_a_seal_file_is_never_overwritten(app_url: str, tmp_path: Path) -> None:
    out = tmp_path / "seal.json"
    out.write_text("keep me")

    result = ledger_cli(app_url, "seal", "--out", str(out))

    assert result.exit_code == 2
    assert "exists already" in result.output
    assert out.read_text() == "keep me"


def test_verify_names_a_changed_version_and_fails(
    appended: psycopg.Connection[Any], app_url: str
) -> None:
    with appended.transaction():
        appended.execute("SET LOCAL session_replication_role = replica")
        appended.execute(
            'UPDATE ledger.record_version SET payload = \'{"name": "Z"}\''
            " WHERE native_key = 'A' AND version = 2"
        )

    result = ledger_cli(app_url, "verify")

    assert result.exit_code == 1
    assert result.output.splitlines() == [
        "MISMATCH ledger.record_version kashflow customer 'A' version 2 (chain position 3): its"
        " payload does not match its content hash: changed",
        "ledger NOT verified: 1 mismatches; 3 rows in 1 chains, 0 seals checked",
    ]


def test_a_seal_file_outlives_the_ledgers_own_seals(
    appended: psycopg.Connection[Any], app_url: str, seal_file: Path
) -> None:
    append_versions(appended, [NewVersion("kashflow", "customer", "C", {"name": "C"})])
    with appended.transaction():
        appended.execute("SET LOCAL session_replication_role = replica")
        appended.execute("DELETE FROM ledger.seal")
        appended.execute("DELETE FROM ledger.record_version WHERE native_key = 'A'")

    since_file = ledger_cli(app_url, "verify", "--since", str(seal_file))
    since_gone = ledger_cli(app_url, "verify", "--since", "1")

    assert since_file.exit_code == 1
    assert "MISMATCH ledger.seal seal 1: the ledger's copy differs from the one given" in (
        since_file.output
    )
    assert "the head the seal given signed is missing: rows removed" in since_file.output
    assert since_gone.exit_code == 2
    assert since_gone.output == "no seal 1 in the ledger: give a seal number or a seal file\n"


def test_verify_since_a_seal_checks_only_what_came_after(
    appended: psycopg.Connection[Any], app_url: str, seal_file: Path
) -> None:
    append_versions(appended, [NewVersion("kashflow", "customer", "B", {"name": "B v2"})])

    by_file = ledger_cli(app_url, "verify", "--since", str(seal_file))
    by_number = ledger_cli(app_url, "verify", "--since", "1")
    wrong_key = ledger_cli(
        app_url, "verify", "--since", str(seal_file), key="another key, 32 bytes!"
    )

    assert by_file.output == "ledger verified: 2 rows in 2 chains, 1 seals checked\n"
    assert by_number.output == by_file.output
    assert wrong_key.exit_code == 1
    assert "MISMATCH ledger.seal seal 1: the seal given is not signed with this key" in (
        wrong_key.output
    )


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("not json", "not a seal file: not JSON"),
        ('{"seal_id": 1}', "not a seal file: field 'sealed_at' is missing"),
    ],
)
def test_a_broken_seal_file_is_one_clear_line(
    app_url: str, tmp_path: Path, content: str, message: str
) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text(content)

    result = ledger_cli(app_url, "verify", "--since", str(broken))

    assert result.exit_code == 2
    assert result.output.startswith(f"--since {broken}: {message}")
    assert len(result.output.splitlines()) == 1


def test_the_key_can_live_in_a_file(app_url: str, tmp_path: Path) -> None:
    key_file = tmp_path / "seal.key"
    key_file.write_text(KEY + "\n")
    env = {"DATABASE_URL": app_url, "LEDGERBRIDGE_SEAL_KEY_FILE": str(key_file)}

    sealed = CliRunner().invoke(app, ["ledger", "seal"], env=env)
    verified = ledger_cli(app_url, "verify")  # the same key, from the environment

    assert sealed.exit_code == 0, sealed.output
    assert verified.output == "ledger verified: 1 rows in 1 chains, 1 seals checked\n"
