"""Migration 0002 chains what a ledger held before chains existed, and appends carry on."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest

from ledger import NewVersion, append_versions
from ledger.append import RECORD_VERSION_COLUMNS
from ledger.chain import DELETED_HASH, canonical_body
from ledger.migrate import upgrade
from ledger.roles import APP_ROLE
from ledger.verify import verify_ledger
from ledgerbridge.testdb import create_database, drop_database, fresh_name


@pytest.fixture
def ledger_at_0001(pg_server: str) -> Iterator[str]:
    name = fresh_name("lbtest_0001")
    url = create_database(pg_server, name)
    upgrade(url, "0001")
    yield url
    drop_database(pg_server, name)


def _version(key: str, version: int, payload: dict[str, Any] | None, at: str) -> tuple[Any, ...]:
    digest = (
        DELETED_HASH if payload is None else hashlib.sha256(canonical_body(payload)).hexdigest()
    )
    return (
        "sage100", "customer", key, version, "upsert" if payload else "delete",
        None if payload is None else psycopg.types.json.Jsonb(payload),
        psycopg.types.json.Jsonb({"CustomerNo": key, "CreditLimit": 1500.5, "Note": "Zoë"}),
        digest, None, at, None,
    )  # fmt: skip


def test_rows_from_before_chains_are_chained_in_the_order_they_were_observed(
    ledger_at_0001: str,
) -> None:
    with psycopg.connect(ledger_at_0001) as conn:
        with conn.transaction(), conn.cursor() as cur:
            cur.executemany(
                f"INSERT INTO ledger.record_version ({RECORD_VERSION_COLUMNS})"
                " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
                [
                    _version("01-B", 1, {"name": "B"}, "2026-01-01 10:00+00"),
                    _version("01-A", 1, {"name": "A"}, "2026-01-01 10:00+00"),
                    _version("01-A", 2, None, "2026-01-02 09:00+01"),
                ],
            )
            cur.execute("INSERT INTO ledger.sync_run (kind) VALUES ('poll'), ('scan')")
            cur.execute(
                "INSERT INTO ledger.dead_letter (stage, error_type, message, run_id)"
                " VALUES ('cdc', 'X', 'NUL in name', 2)"
            )
        upgrade(ledger_at_0001)
        chained = conn.execute(
            "SELECT native_key, version, chain_seq FROM ledger.record_version ORDER BY chain_seq"
        ).fetchall()
        append_versions(conn, [NewVersion("sage100", "customer", "01-C", {"name": "C"})])
        privileges = conn.execute(
            "SELECT has_table_privilege(%s, 'ledger.record_version', 'INSERT'),"
            " has_table_privilege(%s, 'ledger.record_version', 'UPDATE')",
            (APP_ROLE, APP_ROLE),
        ).fetchone()

        assert chained == [("01-A", 1, 1), ("01-B", 1, 2), ("01-A", 2, 3)]
        assert conn.execute(
            "SELECT chain_seq FROM ledger.record_version WHERE native_key = '01-C'"
        ).fetchone() == (4,)
        assert conn.execute(
            "SELECT run_id, chain_seq FROM ledger.sync_run ORDER BY run_id"
        ).fetchall() == [(1, 1), (2, 2)]
        assert verify_ledger(conn, None).mismatches == []
        assert privileges == (True, False)
