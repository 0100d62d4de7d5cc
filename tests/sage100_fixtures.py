"""Sage 100 fixtures shared by the connector, sandbox, CDC and writer tests (a pytest plugin,
loaded by `pytest_plugins` in tests/conftest.py): a seeded company per test, the clock the
BOI emulator stamps writes with, and an ODBC reader, a BOI session and a writer on that
company. Each suite's conftest gives `clock_start`, its own "now"."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from connectors.sage100 import Sage100Reader, Sage100Writer
from ledgerbridge.sage100_session import SandboxBOISession
from sandbox.datagen import generate_company
from sandbox.sage100.seed import seed_company


class Clock:
    """The time the emulator stamps on writes; tests move it."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


@pytest.fixture(scope="session")
def seeded_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("sage100") / "template.db"
    seed_company(path, generate_company("small", 42))
    return path


@pytest.fixture
def company_db(seeded_template: Path, tmp_path: Path) -> Path:
    return Path(shutil.copyfile(seeded_template, tmp_path / "sage100.db"))


@pytest.fixture
def clock(clock_start: datetime) -> Clock:
    return Clock(clock_start)


@pytest.fixture
def reader(company_db: Path) -> Iterator[Sage100Reader]:
    with Sage100Reader(f"DRIVER=SQLite3;Database={company_db}") as odbc_reader:
        yield odbc_reader


@pytest.fixture
def session(company_db: Path, clock: Clock) -> Iterator[SandboxBOISession]:
    """The BOI emulator plugged in as the shell does, stamping writes with `clock`."""
    boi = SandboxBOISession(company_db, clock=clock, today=date(2026, 11, 2))
    yield boi
    boi.close()
    boi.script.close()


@pytest.fixture
def writer(session: SandboxBOISession, reader: Sage100Reader) -> Sage100Writer:
    return Sage100Writer(session, reader.lookups())


def hold_customer(company_db: Path, customer_no: str = "HARB0000") -> tuple[SandboxBOISession, Any]:
    """Another user (a clerk) with customer 01-`customer_no` open in the BOI emulator, as when
    the record is in use in Sage 100; returns that session and the held object (`nClear`
    lets the record go, closing the session ends it)."""
    other = SandboxBOISession(str(company_db), user="clerk")
    held = other.open_object("AR_Customer_bus")
    held.nSetKeyValue("ARDivisionNo$", "01")
    held.nSetKeyValue("CustomerNo$", customer_no)
    assert held.nSetKey() == 1
    return other, held
