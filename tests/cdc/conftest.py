"""Both sandboxes for the CDC tests: a Sage 100 company per test (read over ODBC, written
through the BOI emulator on a clock the test moves) and a KashFlow sandbox per test on a
loopback port (written through its REST API), with `Sources` pointing the pollers at them."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from kashflow_sandbox_fixtures import kashflow_client

from cdc.outcome import PollSettings
from cdc.streams import Sources
from connectors.kashflow import KashFlowClient
from connectors.sage100 import Sage100Reader
from sandbox.kashflow import SandboxServer

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
def sources(company_db: Path, server: SandboxServer) -> Iterator[Sources]:
    with Sources(
        sage100=lambda: Sage100Reader(f"DRIVER=SQLite3;Database={company_db}"),
        kashflow=lambda: kashflow_client(server),
        settings=PollSettings(sweep_seconds=3600, key_diff_seconds=3600),
    ) as opened:
        yield opened


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

    def start(quick: bool = False, read_only: bool = False) -> subprocess.Popen[bytes]:
        command = (
            [sys.executable, "-m", "ledgerbridge.cdc_commands", "worker"]
            if quick
            else [str(Path(sys.executable).with_name("ledgerbridge")), "worker"]
        ) + (["--read-only"] if read_only else [])
        log = (tmp_path / f"worker-{len(started)}.log").open("wb")
        process = subprocess.Popen(command, env=worker_env, stdout=log, stderr=subprocess.STDOUT)
        started.append(process)
        return process

    yield start
    for process in started:
        if process.poll() is None:
            process.kill()
            process.wait(10)
