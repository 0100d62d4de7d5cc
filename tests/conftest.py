"""Shared fixtures: a real PostgreSQL for every test that needs the ledger.

The server is `DATABASE_URL` when set, else the embedded PostgreSQL. Each test run
migrates a template database of its own; each test gets a fresh copy of it, since ledger
tables cannot be truncated between tests (that is the point of them).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from database_copies import database_copy, seeded_template

from ledgerbridge.testdb import server_url

pytest_plugins = ["sage100_fixtures", "kashflow_sandbox_fixtures"]
"""Sage 100 company and clock fixtures, shared by tests/connectors and tests/sandbox; a
KashFlow sandbox served per test, shared by tests/cdc and tests/writer."""


@pytest.fixture(scope="session")
def pg_server() -> str:
    return server_url()


@pytest.fixture(scope="session")
def ledger_template(pg_server: str) -> Iterator[str]:
    with seeded_template(pg_server, "lbtest_template") as name:
        yield name


@pytest.fixture
def ledger_url(pg_server: str, ledger_template: str) -> Iterator[str]:
    with database_copy(pg_server, ledger_template, "lbtest") as url:
        yield url


@pytest.fixture
def conn(ledger_url: str) -> Iterator[psycopg.Connection[Any]]:
    with psycopg.connect(ledger_url) as connection:
        yield connection
