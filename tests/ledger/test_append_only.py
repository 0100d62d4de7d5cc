"""The ledger refuses UPDATE, DELETE and TRUNCATE on every table, whatever the role."""

from __future__ import annotations

from typing import Any

import psycopg
import pytest
from filled_ledger import fill_every_table

TABLES = [
    "sync_run",
    "sync_run_end",
    "record_version",
    "link",
    "write_intent",
    "write_outcome",
    "dead_letter",
    "decision",
    "match_result",
    "checkpoint",
    "seal",
    "version_chain_head",
]


@pytest.fixture
def filled(conn: psycopg.Connection[Any]) -> psycopg.Connection[Any]:
    fill_every_table(conn)
    return conn


@pytest.mark.parametrize("table", TABLES)
@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE ledger.{table} SET created_at = created_at",
        "DELETE FROM ledger.{table}",
        "TRUNCATE ledger.{table} CASCADE",
    ],
)
def test_changing_history_is_refused(
    filled: psycopg.Connection[Any], table: str, statement: str
) -> None:
    sql = statement.format(table=table)
    if "SET created_at" in sql:
        column = {
            "sync_run": "started_at",
            "sync_run_end": "finished_at",
            "record_version": "observed_at",
            "version_chain_head": "appended_at",
        }.get(table, "created_at")
        sql = sql.replace("created_at", column)
    count_before = filled.execute(f"SELECT count(*) FROM ledger.{table}").fetchone()

    with pytest.raises(psycopg.errors.InsufficientPrivilege, match="append-only"):
        filled.execute(sql)
    filled.rollback()

    assert count_before == (1,)
    assert filled.execute(f"SELECT count(*) FROM ledger.{table}").fetchone() == count_before


def test_refused_for_a_non_owner_role_too(filled: psycopg.Connection[Any]) -> None:
    with filled.transaction():
        filled.execute("DROP ROLE IF EXISTS lb_app_test")
        filled.execute("CREATE ROLE lb_app_test")
        filled.execute("GRANT USAGE ON SCHEMA ledger TO lb_app_test")
        filled.execute("GRANT ALL ON ALL TABLES IN SCHEMA ledger TO lb_app_test")
    try:
        filled.execute("SET ROLE lb_app_test")
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="append-only"):
            filled.execute("DELETE FROM ledger.record_version")
        filled.rollback()
    finally:
        with filled.transaction():
            filled.execute("RESET ROLE")
            filled.execute("REVOKE ALL ON ALL TABLES IN SCHEMA ledger FROM lb_app_test")
            filled.execute("REVOKE USAGE ON SCHEMA ledger FROM lb_app_test")
            filled.execute("DROP ROLE lb_app_test")
