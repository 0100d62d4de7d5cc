"""The KashFlow sandbox's two-step login, for tests that talk to it over HTTP."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

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
