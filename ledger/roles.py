"""Who may do what to the ledger: its owner migrates it; the application may only read and append.

Migration 0002 creates the group role `APP_ROLE` (no login) with SELECT and INSERT on the
ledger's tables and the use of their sequences; the application's login is made a member of
it. Roles are cluster-wide, so creating one is race-safe: a concurrent creation is not an error.
"""

from __future__ import annotations

from typing import Any

import psycopg
from psycopg import sql

APP_ROLE = "ledgerbridge_app"
"""The group role the application's login belongs to (see migration 0002)."""


def ensure_role(conn: psycopg.Connection[Any], name: str, login: bool) -> None:
    """Creates role `name` unless it exists; another session creating it meanwhile is fine."""
    if conn.execute("SELECT FROM pg_roles WHERE rolname = %s", (name,)).fetchone() is not None:
        conn.commit()
        return
    statement = sql.SQL("CREATE ROLE {} " + ("LOGIN" if login else "NOLOGIN")).format(
        sql.Identifier(name)
    )
    try:
        with conn.transaction():
            conn.execute(statement)
    except (psycopg.errors.DuplicateObject, psycopg.errors.UniqueViolation):
        pass  # created meanwhile by another session: roles are shared by the whole server
    conn.commit()


def grant_app_role(conn: psycopg.Connection[Any], login: str) -> None:
    """Makes `login` a member of `APP_ROLE` (creating the group role if no migration has)."""
    ensure_role(conn, APP_ROLE, login=False)
    member = conn.execute("SELECT pg_has_role(%s, %s, 'MEMBER')", (login, APP_ROLE)).fetchone()
    conn.commit()
    if member is not None and member[0]:
        return
    try:
        with conn.transaction():
            conn.execute(
                sql.SQL("GRANT {} TO {}").format(sql.Identifier(APP_ROLE), sql.Identifier(login))
            )
    except psycopg.errors.UniqueViolation:
        pass  # granted meanwhile by another session


def ensure_app_login(conn: psycopg.Connection[Any], login: str) -> None:
    """A login role `login`, member of `APP_ROLE`: for servers where Ledgerbridge holds the
    superuser itself (the embedded one, tests). Elsewhere a DBA creates the login."""
    ensure_role(conn, login, login=True)
    grant_app_role(conn, login)


def current_user(conninfo: str) -> str:
    """The role a connection string logs in as."""
    with psycopg.connect(conninfo) as conn:
        row = conn.execute("SELECT current_user::text").fetchone()
    assert row is not None
    return str(row[0])
