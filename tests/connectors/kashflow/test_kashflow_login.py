"""Logging in to KashFlow: two steps with memorable-word positions, tokens that expire,
refusals with the real error body, and no secret ever in a log or a repr."""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from canonical import AuthenticationFailed, NotFound
from connectors.kashflow import KashFlowClient, RetryPolicy
from sandbox.kashflow import SandboxConfig, SandboxServer, open_sandbox

INVALID_TOKEN = {"Error": "InvalidSessionToken", "Message": "Session token provided is invalid."}


def test_login_answers_the_memorable_word_letters_asked_for_by_position(
    server: SandboxServer,
) -> None:
    http = httpx.Client(base_url=server.base_url)
    first = http.post("/sessiontoken", json={"username": "sandbox", "PASSWORD": "sandbox"})
    assert first.status_code == 200
    asked = [item["Position"] for item in first.json()["MemorableWordList"]]
    assert len(asked) == 3 and all(1 <= p <= len("ledgerbridge") for p in asked)
    letters = [{"Position": p, "Value": "LEDGERBRIDGE"[p - 1]} for p in asked]
    second = http.put(
        "/sessiontoken",
        json={"TemporaryToken": first.json()["TemporaryToken"], "MemorableWordList": letters},
    )
    assert second.status_code == 200
    token = second.json()["SessionToken"]
    assert http.get("/customers", headers={"Authorization": f"KfToken {token}"}).status_code == 200


def test_wrong_memorable_word_letters_are_refused(server: SandboxServer) -> None:
    http = httpx.Client(base_url=server.base_url)
    first = http.post("/sessiontoken", json={"UserName": "sandbox", "Password": "sandbox"}).json()
    wrong = [{"Position": i["Position"], "Value": "#"} for i in first["MemorableWordList"]]
    answer = http.put(
        "/sessiontoken",
        json={"TemporaryToken": first["TemporaryToken"], "MemorableWordList": wrong},
    )
    assert answer.status_code == 401
    assert answer.json()["Error"] == "InvalidMemorableWord"


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "KfToken not-a-token"}, {"Authorization": "Bearer whatever"}],
    ids=["missing", "wrong", "other-scheme"],
)
def test_missing_or_wrong_token_is_refused_with_the_real_error_body(
    server: SandboxServer, headers: dict[str, str]
) -> None:
    answer = httpx.get(f"{server.base_url}/invoices", headers=headers)
    assert answer.status_code == 401
    assert answer.json() == INVALID_TOKEN


def test_wrong_password_is_a_permanent_authentication_failure(client_factory: Any) -> None:
    kashflow = client_factory(password="not-the-password")
    with pytest.raises(AuthenticationFailed) as refused:
        kashflow.customers.get("ANY")
    assert refused.value.remote_message == "The username or password is incorrect."
    assert "not-the-password" not in str(refused.value)


def test_an_expired_token_mid_run_is_replaced_by_logging_in_again(
    client: KashFlowClient, admin: Any
) -> None:
    seen = []
    for number, summary in enumerate(client.invoices.list(perpage=20)):
        seen.append(summary["Number"])
        if number == 30:
            admin.expire_sessions()
    assert len(seen) == len(set(seen)) == 200
    assert client.stats.logins == 2


def test_the_inactivity_window_slides_with_each_call(client: KashFlowClient, admin: Any) -> None:
    admin.limits(session_timeout_seconds=0.6)
    for _ in range(4):
        client.bank_accounts.get(1)
        time.sleep(0.3)
    assert client.stats.logins == 1, "steady use keeps the session alive"
    time.sleep(0.8)
    client.bank_accounts.get(1)
    assert client.stats.logins == 2, "idleness beyond the window ends it"


def test_logout_ends_the_session(client: KashFlowClient, server: SandboxServer) -> None:
    client.login()
    token = client._token
    assert token is not None
    client.logout()
    answer = httpx.get(f"{server.base_url}/customers", headers={"Authorization": token.header})
    assert answer.status_code == 401


def test_secrets_never_reach_logs_reprs_or_errors(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    secrets: dict[str, Any] = {"password": "s3cret-Pa55word", "memorable_word": "xylophone"}
    config = SandboxConfig(username="carol", rate_limit_per_second=None, **secrets)
    caplog.set_level(logging.DEBUG)
    with SandboxServer(open_sandbox(tmp_path / "kf.db", config)) as server:
        admin = httpx.Client(base_url=server.admin_url)
        with KashFlowClient(
            base_url=server.base_url,
            username="carol",
            retry=RetryPolicy(base_delay=0.01),
            requests_per_second=None,
            **secrets,
        ) as kashflow:
            admin.put("/faults", json={"statuses": [503], "drop_count": 1})
            kashflow.customers.get("ACME0019")
            admin.post("/sessions/expire")
            kashflow.customers.get("ACME0019")
            token = kashflow._token
            assert token is not None
            texts = [repr(kashflow), repr(kashflow.credentials), repr(token), str(token)]
            kashflow.logout()
            with pytest.raises(NotFound) as missing:
                kashflow.customers.get("NOBODY")
            texts += [str(missing.value), repr(missing.value)]
        with KashFlowClient(
            base_url=server.base_url, username="carol", password="wrong-s3cret",
            memorable_word="xylophone", requests_per_second=None,
        ) as refused:  # fmt: skip
            with pytest.raises(AuthenticationFailed) as failure:
                refused.login()
            texts.append(str(failure.value))
    texts.append(caplog.text)
    assert "kashflow call" in caplog.text and "retrying" in caplog.text
    for text in texts:
        for secret in (token.reveal(), *secrets.values(), "wrong-s3cret"):
            assert secret not in text
