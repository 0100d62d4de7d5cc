"""Both sandboxes for the writer's tests: a Sage 100 company per test (written through the
BOI emulator, searched over ODBC) and a KashFlow sandbox per test on a loopback port
(written over real HTTP, with its fault injection), and an applier over them."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import psycopg
import pytest
from kashflow_sandbox_fixtures import kashflow_client

from canonical.retry import RetryPolicy
from connectors.kashflow import KashFlowClient
from connectors.sage100 import Sage100Reader, Sage100Writer
from sandbox.kashflow import SandboxServer
from writer.alerts import Alerter
from writer.apply import Applier
from writer.targets import KashFlowTarget, Sage100Target, Target


class Admin:
    """The sandbox-only admin path: faults and request counts."""

    def __init__(self, server: SandboxServer) -> None:
        self.http = httpx.Client(base_url=server.admin_url, timeout=10)

    def faults(self, **plan: Any) -> None:
        self.http.put("/faults", json=plan).raise_for_status()

    def requests_to(self, method_and_path: str) -> int:
        return int(self.http.get("/stats").json()["ByPath"].get(method_and_path, 0))


@pytest.fixture
def admin(server: SandboxServer) -> Iterator[Admin]:
    admin = Admin(server)
    yield admin
    admin.http.close()


FAST_RETRY = RetryPolicy(max_retries=3, base_delay=0.01, max_delay=0.05)


@pytest.fixture
def open_kashflow(server: SandboxServer) -> Callable[[], KashFlowClient]:
    """A new client of the test's KashFlow sandbox per call (pollers close theirs)."""
    return lambda: kashflow_client(server)


@pytest.fixture
def kashflow(server: SandboxServer) -> Iterator[KashFlowClient]:
    with kashflow_client(server, retry=FAST_RETRY) as client:
        yield client


@pytest.fixture
def sage100_target(writer: Sage100Writer, reader: Sage100Reader) -> Sage100Target:
    return Sage100Target(writer, reader)


@pytest.fixture
def targets(request: pytest.FixtureRequest) -> dict[str, Target]:
    """Sage 100 always; KashFlow (a sandbox server) only for tests that ask for it."""
    chosen: dict[str, Target] = {"sage100": request.getfixturevalue("sage100_target")}
    if "kashflow" in request.fixturenames:
        chosen["kashflow"] = KashFlowTarget(request.getfixturevalue("kashflow"))
    return chosen


ApplierFactory = Callable[..., Applier]


@pytest.fixture
def make_applier(autocommit: psycopg.Connection[Any], targets: dict[str, Target]) -> ApplierFactory:
    def make(**options: Any) -> Applier:
        settings: dict[str, Any] = {
            "retry": FAST_RETRY,
            "alerter": Alerter(),
            "sleep": lambda seconds: None,
        }
        settings.update(options)
        return Applier(autocommit, targets, **settings)

    return make
