"""Both sandboxes for the CDC tests: a Sage 100 company per test (read over ODBC, written
through the BOI emulator on a clock the test moves) and a KashFlow sandbox per test on a
loopback port (written through its REST API), with `Sources` pointing the pollers at them."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import psycopg
import pytest
from sage100_fixtures import Clock

from cdc.outcome import PollSettings
from cdc.streams import Sources
from connectors.kashflow import KashFlowClient, RetryPolicy
from connectors.sage100 import Sage100Reader, Sage100Writer
from ledgerbridge.sage100_session import SandboxBOISession
from sandbox.kashflow import SandboxServer


def kashflow_client(server: SandboxServer, **options: Any) -> KashFlowClient:
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


ClientFactory = Callable[..., KashFlowClient]


@pytest.fixture
def client_factory(server: SandboxServer) -> ClientFactory:
    """Clients for this test's sandbox, with options overridden (the caller closes them)."""
    return lambda **options: kashflow_client(server, **options)


@pytest.fixture
def client(server: SandboxServer) -> Iterator[KashFlowClient]:
    """A client for the test's own edits (the pollers have theirs)."""
    with kashflow_client(server) as kashflow:
        yield kashflow


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


@pytest.fixture
def sources(company_db: Path, server: SandboxServer) -> Iterator[Sources]:
    with Sources(
        sage100=lambda: Sage100Reader(f"DRIVER=SQLite3;Database={company_db}"),
        kashflow=lambda: kashflow_client(server),
        settings=PollSettings(sweep_seconds=3600, key_diff_seconds=3600),
    ) as opened:
        yield opened


@pytest.fixture
def autocommit(ledger_url: str) -> Iterator[psycopg.Connection[Any]]:
    with psycopg.connect(ledger_url, autocommit=True) as connection:
        yield connection


WorkerFactory = Callable[..., "subprocess.Popen[bytes]"]


@pytest.fixture
def worker_env(ledger_url: str, company_db: Path, server: SandboxServer) -> dict[str, str]:
    """The configuration a `ledgerbridge worker` needs to poll this test's sandboxes."""
    return {
        **os.environ,
        "DATABASE_URL": ledger_url,
        "LEDGERBRIDGE_KASHFLOW__BASE_URL": server.base_url,
        "LEDGERBRIDGE_KASHFLOW__REQUESTS_PER_SECOND": "200",
        "LEDGERBRIDGE_SAGE100__ODBC_CONNECTION_STRING": f"DRIVER=SQLite3;Database={company_db}",
        "LEDGERBRIDGE_CDC__TICK_SECONDS": "1",
        "LEDGERBRIDGE_CDC__HEARTBEAT_SECONDS": "0.5",
        "LEDGERBRIDGE_CDC__STALLED_SECONDS": "2",
        "LEDGERBRIDGE_CDC__KEY_DIFF_SECONDS": "1",
    }


@pytest.fixture
def start_worker(worker_env: dict[str, str], tmp_path: Path) -> Iterator[WorkerFactory]:
    """Starts `ledgerbridge worker` processes; any still running are killed at the end."""
    started: list[subprocess.Popen[bytes]] = []

    def start(quick: bool = False) -> subprocess.Popen[bytes]:
        command = (
            [sys.executable, "-m", "ledgerbridge.cdc_commands", "worker"]
            if quick
            else [str(Path(sys.executable).with_name("ledgerbridge")), "worker"]
        )
        log = (tmp_path / f"worker-{len(started)}.log").open("wb")
        process = subprocess.Popen(command, env=worker_env, stdout=log, stderr=subprocess.STDOUT)
        started.append(process)
        return process

    yield start
    for process in started:
        if process.poll() is None:
            process.kill()
            process.wait(10)
