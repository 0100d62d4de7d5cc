"""Fixtures for the Sage 100 connector: a seeded sandbox company per test, read over ODBC
(pyodbc + the SQLite ODBC driver) and written through the BOI emulator (plugged in as the shell
does) on a clock the test controls, all from tests/sage100_fixtures.py; here, when it starts."""

from __future__ import annotations

from datetime import datetime

import pytest


@pytest.fixture
def clock_start() -> datetime:
    """When this suite's `clock` (tests/sage100_fixtures.py) starts."""
    return datetime(2026, 11, 2, 9, 0, 0)
