"""Fixtures for the Sage 100 sandbox: a seeded company per test, an ODBC connection to it
(pyodbc through unixODBC and the SQLite ODBC driver, never sqlite3), and a BOI session
opened the way a COM script opens one, on a clock the test controls."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pyodbc
import pytest
from sage100_fixtures import Clock

from connectors.sage100.boi import TASKS
from sandbox.sage100.boi import ProvideXScript, SY_Session


@pytest.fixture
def clock_start() -> datetime:
    """When this suite's `clock` (tests/sage100_fixtures.py) starts."""
    return datetime(2026, 11, 2, 13, 30, 0)


@pytest.fixture
def odbc(company_db: Path) -> Iterator[pyodbc.Connection]:
    connection = pyodbc.connect(f"DRIVER=SQLite3;Database={company_db}", autocommit=True)
    yield connection
    connection.close()


@pytest.fixture
def query(odbc: pyodbc.Connection) -> Callable[..., list[dict[str, Any]]]:
    """Rows of a query over ODBC, as column -> value."""

    def run(sql: str, *params: Any) -> list[dict[str, Any]]:
        cursor = odbc.cursor()
        cursor.execute(sql, *params)
        names = [c[0] for c in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    return run


@pytest.fixture
def script(company_db: Path, clock: Clock) -> Iterator[ProvideXScript]:
    provide_x = ProvideXScript(company_db, clock=clock)
    provide_x.Init(r"C:\Sage\Sage 100\MAS90\Home")
    yield provide_x
    provide_x.close()


def open_session(script: ProvideXScript, task: str, module: str) -> SY_Session:
    """The SY_Session handshake every BOI script starts with."""
    session: SY_Session = script.NewObject("SY_Session")
    assert session.nSetUser("ledgerbridge", "secret") == 1
    assert session.nSetCompany("ABC") == 1
    assert session.nSetDate(module, "20261102") == 1
    assert session.nSetModule(module) == 1
    assert session.nSetProgram(session.nLookupTask(task)) == 1
    return session


@pytest.fixture
def new_object(script: ProvideXScript) -> Callable[[str], Any]:
    """`NewObject(name, session)` for a business object, its session set up for its task."""

    def make(name: str) -> Any:
        task, module = TASKS[name]
        return script.NewObject(name, open_session(script, task, module))

    return make
