"""Security: every endpoint but /health needs a bearer token; read only reads, review also
decides, admin also runs and retries; tokens are made, listed and revoked by the command,
shown once and stored only as a hash."""

from __future__ import annotations

import hashlib
from typing import Any

import psycopg
import pytest
from api_company import TOKENS, auth
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from api.services.tokens import CHANNEL, create_token, revoke_token
from ledgerbridge.cli import app as cli

READS = [
    "/reconciliation/unmatched", "/reconciliation/unmatched/summary", "/reconciliation/matches",
    "/gl-suggestions", "/anomalies", "/approvals", "/dead-letters",
    "/audit/kashflow/sales_invoice/10042", "/audit/as-of?ts=2030-01-01T00:00:00Z",
    "/sync/runs", "/sync/schedules", "/metrics",
]  # fmt: skip
REVIEWS = [
    "/reconciliation/matches/1/confirm", "/reconciliation/matches/1/reject",
    "/gl-suggestions/1/accept", "/gl-suggestions/1/reject",
    "/anomalies/1/dismiss", "/anomalies/1/escalate",
    "/approvals/1/approve", "/approvals/1/reject",
]  # fmt: skip
ADMINS = ["/dead-letters/1/retry", "/dead-letters/retry", "/sync/run", "PUT /sync/schedules"]
MANUAL = "POST /reconciliation/matches"


def call(client: TestClient, path: str, headers: dict[str, str]) -> Any:
    if path in READS:
        return client.get(path, headers=headers)
    if path.startswith("PUT "):
        return client.put(path.removeprefix("PUT "), headers=headers, json={})
    return client.post(path.removeprefix("POST "), headers=headers, json={})


def test_no_token_no_access(reading_client: TestClient) -> None:
    refused: list[dict[str, str]] = [
        {},
        {"Authorization": "Bearer lbt_not-a-token"},
        {"Authorization": "Basic x"},
        auth("revoked"),
    ]
    for path in [*READS, *REVIEWS, *ADMINS, MANUAL]:
        for headers in refused:
            answer = call(reading_client, path, headers)
            assert answer.status_code == 401, (path, headers, answer.text)
            assert answer.headers["content-type"] == "application/problem+json"
            assert answer.headers["www-authenticate"] == "Bearer"
            assert TOKENS["revoked"] not in answer.text


def test_a_read_token_cannot_decide_or_run_and_a_review_token_cannot_retry(
    reading_client: TestClient,
) -> None:
    for path in [*REVIEWS, MANUAL, *ADMINS]:
        answer = call(reading_client, path, auth("read"))
        assert answer.status_code == 403, path
        assert answer.json()["detail"].startswith("token 'read-person' has scope read; this needs")
    for path in ADMINS:
        answer = call(reading_client, path, auth("review"))
        assert answer.status_code == 403, path
        assert answer.json()["detail"].endswith("this needs admin")


def test_every_scope_reads(reading_client: TestClient) -> None:
    for scope in ("read", "review", "admin"):
        for path in READS:
            assert call(reading_client, path, auth(scope)).status_code == 200, (scope, path)


def test_token_commands_print_the_secret_once_and_keep_only_its_hash(
    api_url: str, monkeypatch: pytest.MonkeyPatch, client: TestClient
) -> None:
    monkeypatch.setenv("DATABASE_URL", api_url)
    runner = CliRunner()
    made = runner.invoke(cli, ["token", "create", "ci-bot", "--scope", "review"])
    assert made.exit_code == 0, made.output
    secret = made.output.strip().splitlines()[-1]
    assert secret.startswith("lbt_")
    with psycopg.connect(api_url) as conn:
        stored = conn.execute(
            "SELECT token_hash, scope FROM ledger.api_token WHERE name = 'ci-bot'"
        ).fetchall()
        assert stored == [(hashlib.sha256(secret.encode()).hexdigest(), "review")]
        everything = str(conn.execute("SELECT * FROM ledger.api_token").fetchall())
        assert secret not in everything
    listed = runner.invoke(cli, ["token", "list"])
    assert "ci-bot" in listed.output and "review" in listed.output and secret not in listed.output
    bearer = {"Authorization": f"Bearer {secret}"}
    assert client.get("/anomalies", headers=bearer).status_code == 200
    again = runner.invoke(cli, ["token", "create", "ci-bot", "--scope", "admin"])
    assert again.exit_code == 1 and "exists; revoke it first" in again.output
    assert runner.invoke(cli, ["token", "revoke", "ci-bot"]).exit_code == 0
    assert client.get("/anomalies", headers=bearer).status_code == 401
    assert runner.invoke(cli, ["token", "revoke", "ci-bot"]).exit_code == 1
    bad = runner.invoke(cli, ["token", "create", "x y", "--scope", "read"])
    assert bad.exit_code == 2 and "name must be" in bad.output
    wrong = runner.invoke(cli, ["token", "create", "z", "--scope", "god"])
    assert wrong.exit_code == 2 and "scope must be one of read, review, admin" in wrong.output


def test_a_revocation_bites_at_once_even_when_the_token_cache_lost_its_listener(
    api_url: str, client: TestClient
) -> None:
    with psycopg.connect(api_url, autocommit=True) as conn:
        secret, _ = create_token(conn, "cached", "read")
        bearer = {"Authorization": f"Bearer {secret}"}
        assert client.get("/anomalies", headers=bearer).status_code == 200  # now cached
        assert client.get("/anomalies", headers=bearer).status_code == 200
        listening = conn.execute(  # and waits until its process has gone
            "SELECT pg_terminate_backend(pid, 10000) FROM pg_stat_activity"
            " WHERE datname = current_database() AND query = %s",
            (f"LISTEN {CHANNEL}",),
        ).fetchall()
        assert listening == [(True,)]
        revoke_token(conn, "cached")  # its NOTIFY reaches no one
        assert client.get("/anomalies", headers=bearer).status_code == 401
        again, _ = create_token(conn, "cached-again", "read")
        assert client.get("/anomalies", headers={"Authorization": f"Bearer {again}"}).is_success
