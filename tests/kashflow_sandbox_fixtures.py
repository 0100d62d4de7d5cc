"""A KashFlow sandbox per test, served on a loopback port, copied from one seeded template
per session; clients logged in to a sandbox; and the clock start the Sage 100 company
fixtures read. A pytest plugin (tests/conftest.py loads it), used by the CDC, writer and
KashFlow connector suites."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from connectors.kashflow import KashFlowClient, RetryPolicy
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
    return Path(shutil.copyfile(kashflow_template, tmp_path / "kashflow.db"))


@pytest.fixture
def server(kashflow_db: Path) -> Iterator[SandboxServer]:
    sandbox = open_sandbox(kashflow_db, SandboxConfig(rate_limit_per_second=None))
    with SandboxServer(sandbox) as running:
        yield running


def kashflow_client(server: SandboxServer, **options: Any) -> KashFlowClient:
    """A client logged in to `server` as the sandbox's user, unpaced, with short retries;
    `options` override any of its settings."""
    settings: dict[str, Any] = {
        "base_url": server.base_url,
        "username": "sandbox",
        "password": "sandbox",
        "memorable_word": "ledgerbridge",
        "requests_per_second": None,
        "timeout_seconds": 5.0,
        "retry": RetryPolicy(max_retries=3, base_delay=0.01, max_delay=0.1),
    }
    settings.update(options)
    return KashFlowClient(**settings)
