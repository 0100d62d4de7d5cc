"""The application's own login for ledger tests: a member of ledgerbridge_app, one per run.

Roles are shared by the whole server and test runs share it, so each run makes a login of
its own name and drops it at the end (it owns nothing, so dropping it is always possible).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from psycopg import sql

from ledger.roles import ensure_app_login
from ledgerbridge.database import with_user
from ledgerbridge.testdb import fresh_name


@pytest.fixture(scope="session")
def app_login(pg_server: str, ledger_template: str) -> Iterator[str]:
    login = fresh_name("lbtest_app")
    with psycopg.connect(pg_server) as conn:
        ensure_app_login(conn, login)
    yield login
    with psycopg.connect(pg_server, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(login)))


@pytest.fixture
def app_url(ledger_url: str, app_login: str) -> str:
    return with_user(ledger_url, app_login)


@pytest.fixture
def app_conn(app_url: str) -> Iterator[psycopg.Connection[Any]]:
    with psycopg.connect(app_url) as connection:
        yield connection
