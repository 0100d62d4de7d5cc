"""Sage 100 fixtures shared by the connector and sandbox tests (a pytest plugin, loaded by
`pytest_plugins` in tests/conftest.py): a seeded company per test and the clock the BOI
emulator stamps writes with. Each suite's conftest gives `clock_start`, its own "now"."""

from __future__ import annotations

import shutil
from datetime import datetime, timedelta
from pathlib import Path

import pytest

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
    target = tmp_path / "sage100.db"
    shutil.copyfile(seeded_template, target)
    return target


@pytest.fixture
def clock(clock_start: datetime) -> Clock:
    return Clock(clock_start)
