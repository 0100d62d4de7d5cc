"""Fixtures for the Sage 100 connector: a seeded sandbox company per test, read over ODBC
(pyodbc + the SQLite ODBC driver) and written through the BOI emulator (plugged in as the shell
does) on a clock the test controls."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path

import pytest
from sage100_fixtures import Clock

from connectors.sage100 import Sage100Reader, Sage100Writer
from ledgerbridge.sage100_session import SandboxBOISession


@pytest.fixture
def clock_start() -> datetime:
    """When this suite's `clock` (tests/sage100_fixtures.py) starts."""
    return datetime(2026, 11, 2, 9, 0, 0)


@pytest.fixture
def reader(company_db: Path) -> Iterator[Sage100Reader]:
    with Sage100Reader(f"DRIVER=SQLite3;Database={company_db}") as odbc_reader:
        yield odbc_reader


@pytest.fixture
def session(company_db: Path, clock: Clock) -> Iterator[SandboxBOISession]:
    boi = SandboxBOISession(company_db, clock=clock, today=date(2026, 11, 2))
    yield boi
    boi.close()
    boi.script.close()


@pytest.fixture
def writer(session: SandboxBOISession, reader: Sage100Reader) -> Sage100Writer:
    return Sage100Writer(session, reader.lookups())
