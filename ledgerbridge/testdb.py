"""Throwaway databases for tests and benchmarks: a fresh, migrated database per run.

The server is `DATABASE_URL` when set, else the embedded PostgreSQL. A migrated template
is made once; copies of it (`CREATE DATABASE ... TEMPLATE`) are cheap, so every test that
needs an empty ledger can have its own.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from ledger.migrate import upgrade
from ledgerbridge.database import embedded_server_url


def server_url() -> str:
    url = os.environ.get("DATABASE_URL")
    if url:
        return url
    home = Path(os.environ.get("LEDGERBRIDGE_HOME", ".ledgerbridge"))
    return embedded_server_url(home)


def with_dbname(url: str, dbname: str) -> str:
    info = conninfo_to_dict(url)
    info["dbname"] = dbname
    return make_conninfo(**{k: str(v) for k, v in info.items() if v is not None})


def create_database(server: str, name: str, template: str | None = None) -> str:
    with psycopg.connect(server, autocommit=True) as conn:
        statement = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
        if template:
            statement = sql.SQL("{} TEMPLATE {}").format(statement, sql.Identifier(template))
        conn.execute(statement)
    return with_dbname(server, name)


def drop_database(server: str, name: str) -> None:
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


def fresh_name(prefix: str) -> str:
    return f"{prefix}_{os.getpid()}_{uuid.uuid4().hex[:8]}"


def create_migrated_database(server: str, prefix: str = "ledgerbridge") -> tuple[str, str]:
    """A new database with the ledger schema; returns (name, url)."""
    name = fresh_name(prefix)
    url = create_database(server, name)
    upgrade(url)
    return name, url
