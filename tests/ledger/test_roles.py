"""The application's login may read and append to the ledger, and nothing else.

Every way around the append-only guarantee that works for a table's owner or a superuser is
refused for a member of ledgerbridge_app; what it can still do (append a row that breaks a
chain) is caught by `verify`.
"""

from __future__ import annotations

import threading
from typing import Any

import psycopg
import pytest
from filled_ledger import SEAL_KEY, fill_every_table
from psycopg import sql
from pydantic import SecretStr
from typer.testing import CliRunner

from ledger import (
    IdentityLink,
    NewVersion,
    append_links,
    append_results,
    append_versions,
    current,
    finish_run,
    history,
    start_run,
)
from ledger.results import MatchResult
from ledger.roles import APP_ROLE, ensure_role
from ledger.seals import CHAINED_TABLES, seal_ledger
from ledger.verify import verify_ledger
from ledgerbridge.cli import app
from ledgerbridge.config import Settings
from ledgerbridge.database import prepare_ledger, with_user
from ledgerbridge.testdb import drop_database, fresh_name, with_dbname

KEY = SEAL_KEY

BYPASSES = {
    "disable every trigger": "ALTER TABLE ledger.record_version DISABLE TRIGGER ALL",
    "disable the guard": "ALTER TABLE ledger.record_version DISABLE TRIGGER refuse_update_delete",
    "replica mode skips triggers": "SET session_replication_role = replica",
    "replace the guard function": (
        "CREATE OR REPLACE FUNCTION ledger.refuse_change() RETURNS trigger"
        " LANGUAGE plpgsql AS $$ BEGIN RETURN OLD; END $$"
    ),
    "replace the chain function": (
        "CREATE OR REPLACE FUNCTION ledger.chain_row() RETURNS trigger"
        " LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$"
    ),
    "drop the guard trigger": "DROP TRIGGER refuse_update_delete ON ledger.record_version",
    "drop the table": "DROP TABLE ledger.record_version CASCADE",
    "drop the schema": "DROP SCHEMA ledger CASCADE",
    "take the table over": "ALTER TABLE ledger.record_version OWNER TO CURRENT_USER",
    "add a table of its own": "CREATE TABLE ledger.shadow (id int)",
}


@pytest.fixture
def filled(conn: psycopg.Connection[Any]) -> int:
    """A ledger with a row in every table (appended by the owner); returns the run id."""
    return fill_every_table(conn)


@pytest.mark.parametrize("statement", BYPASSES.values(), ids=BYPASSES.keys())
def test_every_bypass_is_refused_for_the_app_role(
    filled: int, app_conn: psycopg.Connection[Any], conn: psycopg.Connection[Any], statement: str
) -> None:
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        app_conn.execute(statement)
    app_conn.rollback()

    assert verify_ledger(conn, KEY).mismatches == []
    assert conn.execute("SELECT to_regclass('ledger.shadow')").fetchone() == (None,)


@pytest.mark.parametrize("table", [*CHAINED_TABLES, "record_version", "version_chain_head"])
def test_the_app_role_may_not_change_or_remove_rows(
    filled: int, app_conn: psycopg.Connection[Any], conn: psycopg.Connection[Any], table: str
) -> None:
    count = sql.SQL("SELECT count(*) FROM ledger.{}").format(sql.Identifier(table))
    before = conn.execute(count).fetchone()

    column = "head_hash" if table == "version_chain_head" else "chain_hash"
    for statement in (
        f"UPDATE ledger.{{}} SET {column} = {column}",
        "DELETE FROM ledger.{}",
        "TRUNCATE ledger.{}",
    ):
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="permission denied"):
            app_conn.execute(sql.SQL(statement).format(sql.Identifier(table)))
        app_conn.rollback()

    assert before == (1,)
    assert conn.execute(count).fetchone() == before


def test_the_app_role_does_everything_the_application_does(
    app_conn: psycopg.Connection[Any], conn: psycopg.Connection[Any]
) -> None:
    run_id = start_run(app_conn, "reconcile")
    append_versions(app_conn, [NewVersion("sage100", "customer", "01-A", {"name": "A"})], run_id)
    append_versions(app_conn, [NewVersion("sage100", "customer", "01-A", {"name": "B"})], run_id)
    append_links(app_conn, run_id, [IdentityLink("customer", "A", "01-A")])
    append_results(app_conn, run_id, [MatchResult("master", "g", 1.0, "auto")])
    with app_conn.transaction():
        app_conn.execute(
            "INSERT INTO ledger.dead_letter (stage, error_type, message, run_id)"
            " VALUES ('cdc', 'ValidationFailed', 'name: NUL character', %s)",
            (run_id,),
        )
        app_conn.execute(
            "INSERT INTO ledger.checkpoint (stream, position, run_id) VALUES ('s', '{}', %s)",
            (run_id,),
        )
    finish_run(app_conn, run_id)
    seal = seal_ledger(app_conn, KEY)

    assert [v.payload for v in history(app_conn, "sage100", "customer", "01-A")] == [
        {"name": "A"},
        {"name": "B"},
    ]
    assert [v.native_key for v in current(app_conn, "sage100")] == ["01-A"]
    assert seal.heads["record_version/sage100/customer"][0] == 2
    assert verify_ledger(app_conn, KEY).mismatches == []
    owner = conn.execute(
        "SELECT tableowner FROM pg_tables WHERE schemaname = 'ledger' AND tablename = 'seal'"
    ).fetchone()
    assert owner is not None and owner[0] != app_conn.info.user


def test_chain_columns_the_app_role_sends_are_replaced_by_the_trigger(
    app_conn: psycopg.Connection[Any], conn: psycopg.Connection[Any]
) -> None:
    with app_conn.transaction():
        app_conn.execute(
            "INSERT INTO ledger.decision (kind, subject, outcome, actor, chain_seq, chain_hash)"
            " VALUES ('approval', '{}', 'approved', 'mallory', 99, 'deadbeef')"
        )

    assert conn.execute("SELECT chain_seq FROM ledger.decision").fetchall() == [(1,)]
    assert verify_ledger(conn, KEY).mismatches == []


def test_a_version_the_app_role_forges_around_the_appender_is_named(
    filled: int, app_conn: psycopg.Connection[Any], conn: psycopg.Connection[Any]
) -> None:
    with app_conn.transaction():
        app_conn.execute(
            "INSERT INTO ledger.record_version (system, entity, native_key, version, operation,"
            " payload, content_hash, observed_at, chain_seq, chain_hash) VALUES ('kashflow',"
            " 'customer', 'A', 99, 'upsert', '{\"name\": \"Forged\"}', 'deadbeef',"
            " now() - interval '10 years', 2, 'deadbeef')"
        )

    [mismatch] = verify_ledger(conn, KEY).mismatches

    assert str(mismatch).startswith(
        "ledger.record_version kashflow customer 'A' version 99 (chain position 2):"
    )


def test_a_deployment_keeps_the_owner_apart_from_the_app_login(
    ledger_url: str, app_url: str, app_login: str
) -> None:
    apart = Settings(database_url=SecretStr(app_url), owner_database_url=SecretStr(ledger_url))
    together = Settings(database_url=SecretStr(ledger_url))

    assert prepare_ledger(apart) == []
    [warning] = prepare_ledger(together)
    assert "connects as the ledger's owner" in warning
    assert "LEDGERBRIDGE_OWNER_DATABASE_URL" in warning


def test_roles_are_created_once_however_many_create_them_at_once(pg_server: str) -> None:
    name = fresh_name("lbtest_race")
    failures: list[BaseException] = []

    def create() -> None:
        try:
            with psycopg.connect(pg_server) as conn:
                ensure_role(conn, name, login=False)
        except BaseException as error:  # reported below, with the others
            failures.append(error)

    threads = [threading.Thread(target=create) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with psycopg.connect(pg_server, autocommit=True) as conn:
        count = conn.execute("SELECT count(*) FROM pg_roles WHERE rolname = %s", (name,))
        assert count.fetchone() == (1,)
        conn.execute(sql.SQL("DROP ROLE {}").format(sql.Identifier(name)))
    assert failures == []


def test_the_app_group_role_cannot_log_in(pg_server: str, ledger_template: str) -> None:
    with psycopg.connect(pg_server) as conn:
        row = conn.execute(
            "SELECT rolcanlogin, rolsuper, rolcreaterole, rolcreatedb, rolbypassrls"
            " FROM pg_roles WHERE rolname = %s",
            (APP_ROLE,),
        ).fetchone()
    assert row == (False, False, False, False, False)


def test_a_job_queue_schema_is_opened_to_the_app_role_by_one_call(
    conn: psycopg.Connection[Any], app_conn: psycopg.Connection[Any]
) -> None:
    with conn.transaction():
        conn.execute("CREATE SCHEMA queue")
        conn.execute("CREATE TABLE queue.job (id bigint GENERATED ALWAYS AS IDENTITY, status text)")
        conn.execute("SELECT ledger.grant_app_read_write('queue')")

    with app_conn.transaction():
        app_conn.execute("INSERT INTO queue.job (status) VALUES ('todo')")
        app_conn.execute("UPDATE queue.job SET status = 'doing'")
        app_conn.execute("DELETE FROM queue.job")
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        app_conn.execute("SELECT ledger.grant_app_read_write('ledger')")


def test_a_deployment_with_an_owner_login_and_an_app_login(pg_server: str) -> None:
    """The set-up the README shows: neither login is a superuser; the owner owns the database."""
    owner, login, database = (fresh_name(p) for p in ("lbtest_owner", "lbtest_login", "lbtest_dep"))
    with psycopg.connect(pg_server, autocommit=True) as admin:
        ensure_role(admin, APP_ROLE, login=False)
        for statement in (
            "CREATE ROLE {owner} LOGIN",
            "CREATE ROLE {login} LOGIN",
            "GRANT {group} TO {login}",
            "CREATE DATABASE {database} OWNER {owner}",
        ):
            names = {"owner": owner, "login": login, "database": database, "group": APP_ROLE}
            admin.execute(
                sql.SQL(statement).format(**{k: sql.Identifier(v) for k, v in names.items()})
            )
    url = with_dbname(pg_server, database)
    try:
        warnings = prepare_ledger(
            Settings(
                database_url=SecretStr(with_user(url, login)),
                owner_database_url=SecretStr(with_user(url, owner)),
            )
        )
        with psycopg.connect(with_user(url, login)) as app_conn:
            append_versions(app_conn, [NewVersion("kashflow", "customer", "A", {"name": "A"})])
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                app_conn.execute("ALTER TABLE ledger.record_version DISABLE TRIGGER ALL")
        with psycopg.connect(url) as conn:
            owners = conn.execute(
                "SELECT DISTINCT tableowner::text FROM pg_tables WHERE schemaname = 'ledger'"
            ).fetchall()

        assert warnings == []
        assert owners == [(owner,)]
    finally:
        drop_database(pg_server, database)
        with psycopg.connect(pg_server, autocommit=True) as admin:
            for role in (owner, login):
                admin.execute(sql.SQL("DROP ROLE {}").format(sql.Identifier(role)))


def test_db_upgrade_migrates_as_the_owner_and_warns_when_the_app_is_the_owner(
    ledger_url: str, app_url: str
) -> None:
    apart = CliRunner().invoke(
        app, ["db", "upgrade"],
        env={"DATABASE_URL": app_url, "LEDGERBRIDGE_OWNER_DATABASE_URL": ledger_url},
    )  # fmt: skip
    together = CliRunner().invoke(app, ["db", "upgrade"], env={"DATABASE_URL": ledger_url})

    assert apart.exit_code == 0, apart.output
    assert "warning" not in apart.output
    assert together.exit_code == 0, together.output
    assert "warning: the application connects as the ledger's owner" in together.output
