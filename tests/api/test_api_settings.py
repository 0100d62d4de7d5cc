"""The control API's settings, set as a user would (environment), observed on the real
command and the real app: where `serve` listens and how it logs, the pool's size, and the
webhook intake's secrets, timestamp tolerance and body limit."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from typing import Any

import httpx
import orjson
import pytest
from fastapi.testclient import TestClient

from api.services.webhooks import sign
from ledgerbridge.api_commands import build_app
from ledgerbridge.config import load_settings

ORDER = {"id": "evt_9", "type": "order.created",
         "data": {"key": "SO-9", "customer_key": "c@example.com", "issue_date": "2026-11-02",
                  "net_amount": "5.00", "gross_amount": "5.00"}}  # fmt: skip
PAYMENT = {"id": "pi_9", "type": "payment.succeeded",
           "data": {"key": "pi_9", "kind": "receipt", "payment_date": "2026-11-02",
                    "amount": "5.00"}}  # fmt: skip


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def test_serve_listens_on_the_configured_host_and_port_and_logs_json_lines(
    api_url: str, tmp_path: Any
) -> None:
    port = free_port()
    env = {**os.environ, "DATABASE_URL": api_url, "LEDGERBRIDGE_API__HOST": "127.0.0.1",
           "LEDGERBRIDGE_API__PORT": str(port), "LEDGERBRIDGE_LOG_FORMAT": "json",
           "LEDGERBRIDGE_CONFIG": str(tmp_path / "none.toml")}  # fmt: skip
    log = tmp_path / "serve.log"
    with log.open("wb") as stderr:
        server = subprocess.Popen(
            [sys.executable, "-c", "from ledgerbridge.cli import main; main()", "-v", "serve"],
            env=env, stdout=subprocess.DEVNULL, stderr=stderr,
        )  # fmt: skip
        try:
            answer = None
            for _ in range(300):
                try:
                    answer = httpx.get(f"http://127.0.0.1:{port}/health", timeout=2)
                    break
                except httpx.TransportError:
                    time.sleep(0.05)
            assert answer is not None and answer.status_code == 200
        finally:
            server.terminate()
            server.wait(10)
    lines = [orjson.loads(line) for line in log.read_text().splitlines() if line.strip()]
    assert lines, "serve logged nothing"
    assert any("GET /health" in event["message"] for event in lines)
    assert all({"ts", "level", "logger", "message"} <= set(event) for event in lines)


@pytest.fixture
def configured(monkeypatch: pytest.MonkeyPatch, api_url: str, tmp_path: Any) -> TestClient:
    monkeypatch.setenv("LEDGERBRIDGE_CONFIG", str(tmp_path / "none.toml"))
    monkeypatch.setenv("DATABASE_URL", api_url)
    monkeypatch.setenv("LEDGERBRIDGE_API__POOL_SIZE", "2")
    monkeypatch.setenv("LEDGERBRIDGE_API__WEBHOOK_SECRETS__ECOMMERCE", "env-shop-secret")
    monkeypatch.setenv("LEDGERBRIDGE_API__WEBHOOK_SECRETS__GATEWAY", "env-gateway-secret")
    monkeypatch.setenv("LEDGERBRIDGE_API__WEBHOOK_TOLERANCE_SECONDS", "60")
    monkeypatch.setenv("LEDGERBRIDGE_API__WEBHOOK_MAX_BYTES", "2000")
    return TestClient(build_app(load_settings()))


def post(client: TestClient, source: str, event: dict[str, Any], secret: str,
         age: float = 0) -> Any:  # fmt: skip
    body = orjson.dumps(event)
    stamp = str(int(time.time() - age))
    headers = {"X-Webhook-Timestamp": stamp, "X-Webhook-Signature": sign(secret, stamp, body)}
    return client.post(f"/webhooks/{source}", content=body, headers=headers)


def test_the_pool_and_the_webhook_intake_follow_the_environment(configured: TestClient) -> None:
    with configured as client:
        assert client.app.state.pool.max_size == 2  # type: ignore[attr-defined]
        assert post(client, "ecommerce", ORDER, "env-shop-secret").status_code == 202
        assert post(client, "gateway", PAYMENT, "env-gateway-secret").status_code == 202
        assert post(client, "gateway", PAYMENT, "env-shop-secret").status_code == 401
        stale = post(client, "ecommerce", {**ORDER, "id": "evt_10"}, "env-shop-secret", age=90)
        assert stale.status_code == 400 and "more than the 60 s allowed" in stale.json()["detail"]
        big = {**ORDER, "id": "evt_11", "padding": "x" * 2100}
        oversized = post(client, "ecommerce", big, "env-shop-secret")
        assert oversized.status_code == 413 and "2000 bytes" in oversized.json()["detail"]
