"""The KashFlow sandbox served per test module, and its two-step login, for tests that
talk to it over HTTP."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from sandbox.kashflow import SandboxConfig, SandboxServer, open_sandbox

MEMORABLE_WORD = "ledgerbridge"

Login = Callable[[httpx.Client], dict[str, str]]


def log_in(
    http: httpx.Client, username: str = "sandbox", word: str = MEMORABLE_WORD
) -> dict[str, str]:
    """The `Authorization` header of a fresh session (`http` is based at `/v2`)."""
    first = http.post("/sessiontoken", json={"UserName": username, "Password": "sandbox"}).json()
    letters = [
        {"Position": item["Position"], "Value": word[item["Position"] - 1]}
        for item in first["MemorableWordList"]
    ]
    second = http.put(
        "/sessiontoken",
        json={"TemporaryToken": first["TemporaryToken"], "MemorableWordList": letters},
    )
    return {"Authorization": f"KfToken {second.json()['SessionToken']}"}


@pytest.fixture(scope="session")
def kashflow_login() -> Login:
    return log_in


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxServer]:
    """A sandbox of its own for each test module, on a loopback port."""
    db = Path(tmp_path_factory.mktemp("kashflow-sandbox")) / "kashflow.db"
    with SandboxServer(open_sandbox(db, SandboxConfig(rate_limit_per_second=None))) as running:
        yield running


@pytest.fixture(scope="module")
def http(server: SandboxServer, kashflow_login: Login) -> Iterator[httpx.Client]:
    """A client of the module's sandbox at `/v2`, logged in."""
    with httpx.Client(base_url=server.base_url, timeout=10) as client:
        client.headers.update(kashflow_login(client))
        yield client
