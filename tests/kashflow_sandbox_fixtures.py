"""A KashFlow sandbox per test, served on a loopback port, copied from one seeded template
per session; and the clock start the Sage 100 company fixtures read. Shared by the CDC
and writer suites, which import these fixtures into their conftest."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest

from sandbox.kashflow import SandboxConfig, SandboxServer, open_sandbox


@pytest.fixture
def clock_start() -> datetime:
    return datetime(2026, 11, 2, 9, 0, 0)


@pytest.fixture(scope="session")
def kashflow_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("kashflow") / "template.db"
    open_sandbox(path, SandboxConfig(rate_limit_per_second=None))
    return path


@pytest.fixture
def kashflow_db(kashflow_template: Path, tmp_path: Path) -> Path:
    target = tmp_path / "kashflow.db"
    shutil.copyfile(kashflow_template, target)
    return target


@pytest.fixture
def server(kashflow_db: Path) -> Iterator[SandboxServer]:
    sandbox = open_sandbox(kashflow_db, SandboxConfig(rate_limit_per_second=None))
    with SandboxServer(sandbox) as running:
        yield running
