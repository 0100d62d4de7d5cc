"""The KashFlow sandbox on a loopback port for the connector's tests, and clients for it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from kashflow_sandbox_fixtures import kashflow_client

from connectors.kashflow import KashFlowClient, RetryPolicy
from sandbox.kashflow import SandboxConfig, SandboxServer, open_sandbox

RETRY = RetryPolicy(max_retries=4, base_delay=0.01, max_delay=0.1)


class Admin:
    """The sandbox-only admin path: faults, limits, session expiry, request counts."""

    def __init__(self, server: SandboxServer) -> None:
        self.http = httpx.Client(base_url=server.admin_url, timeout=10)

    def faults(self, **plan: Any) -> None:
        self.http.put("/faults", json=plan).raise_for_status()

    def limits(self, **limits: Any) -> None:
        self.http.put("/limits", json=limits).raise_for_status()

    def expire_sessions(self) -> None:
        self.http.post("/sessions/expire").raise_for_status()

    def stats(self) -> dict[str, Any]:
        return dict(self.http.get("/stats").json())

    def requests_to(self, method_and_path: str) -> int:
        return int(self.stats()["ByPath"].get(method_and_path, 0))

    def reset(self) -> None:
        self.faults()
        self.limits(
            rate_limit_per_second=None,
            session_timeout_seconds=3600,
            retry_after_format="seconds",
        )
        self.http.post("/stats/reset").raise_for_status()


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxServer]:
    db = Path(tmp_path_factory.mktemp("kashflow")) / "kashflow.db"
    sandbox = open_sandbox(db, SandboxConfig(rate_limit_per_second=None))
    with SandboxServer(sandbox) as running:
        yield running


@pytest.fixture(scope="session")
def admin(server: SandboxServer) -> Iterator[Admin]:
    handle = Admin(server)
    yield handle
    handle.http.close()


@pytest.fixture(autouse=True)
def clean_sandbox(admin: Admin) -> Iterator[None]:
    admin.reset()
    yield
    admin.reset()


def make_client(server: SandboxServer, **options: Any) -> KashFlowClient:
    """A sandbox client with four retries; `options` override any setting."""
    return kashflow_client(server, **{"retry": RETRY, **options})


ClientFactory = Callable[..., KashFlowClient]


@pytest.fixture
def client_factory(server: SandboxServer) -> Iterator[ClientFactory]:
    """Makes clients for the sandbox with options overridden; closes them afterwards."""
    made: list[KashFlowClient] = []

    def factory(**options: Any) -> KashFlowClient:
        made.append(make_client(server, **options))
        return made[-1]

    yield factory
    for kashflow in made:
        kashflow.close()


@pytest.fixture
def client(server: SandboxServer) -> Iterator[KashFlowClient]:
    with make_client(server) as kashflow:
        yield kashflow
