"""How requests are served: every request gives its pooled connection back, out of autocommit
(a GET's work runs in autocommit; the review pages and webhooks count on a transaction),
whether it succeeded, was refused or did not validate; a write still rolls back whole when
it fails; and `ledgerbridge serve --workers 2` answers on its port."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from typing import Any

import httpx
import psycopg
from api_company import auth
from fastapi.testclient import TestClient

from api.app import create_app


def _pooled_autocommit(client: TestClient) -> bool:
    with client.app.state.pool.connection(timeout=5) as conn:  # type: ignore[attr-defined]
        flag: bool = conn.autocommit
    return flag


def test_one_connection_serves_every_kind_of_request_in_turn(api_url: str) -> None:
    with TestClient(create_app(api_url, pool_size=1)) as client:
        assert client.get("/reconciliation/unmatched", headers=auth("read")).status_code == 200
        assert _pooled_autocommit(client) is False
        assert client.get("/anomalies", headers=auth("revoked")).status_code == 401
        assert client.post("/anomalies/1/dismiss", headers=auth("read")).status_code == 403
        refused = client.get("/reconciliation/unmatched?limit=0", headers=auth("read"))
        assert refused.status_code == 422
        assert client.get("/health").status_code == 200
        assert _pooled_autocommit(client) is False
        # Each of those gave the one connection back: with a leak this would wait for it.
        assert client.get("/audit/kashflow/sales_invoice/10042", headers=auth("read")).is_success


def test_a_scrape_on_one_connection_reads_the_ledger(api_url: str) -> None:
    with TestClient(create_app(api_url, pool_size=1)) as client:
        scraped = client.get("/metrics", headers=auth("read"))
        assert scraped.status_code == 200
        assert "ledgerbridge_ledger_up 1.0" in scraped.text


def test_a_failed_decision_leaves_nothing_behind(api_url: str) -> None:
    with TestClient(create_app(api_url, pool_size=1)) as client:
        anomaly = client.get("/anomalies", headers=auth("read")).json()["items"][0]
        path = f"/anomalies/{anomaly['id']}/dismiss"
        assert client.post(path, headers=auth("review")).status_code == 200
        with psycopg.connect(api_url) as conn:
            decided = _decisions(conn)
        assert client.post(path, headers=auth("review")).status_code == 409
        with psycopg.connect(api_url) as conn:
            assert _decisions(conn) == decided
        assert _pooled_autocommit(client) is False


def _decisions(conn: psycopg.Connection[Any]) -> int:
    row = conn.execute("SELECT count(*) FROM ledger.decision").fetchone()
    assert row is not None
    return int(row[0])


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def test_serve_with_two_workers_answers_on_its_port(api_url: str) -> None:
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-c", "from ledgerbridge.cli import main; main()", "serve",
         "--port", str(port), "--workers", "2"],
        env={**os.environ, "DATABASE_URL": api_url, "LEDGERBRIDGE_API__POOL_SIZE": "2"},
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 120  # starting two interpreters on a busy machine
        while True:
            assert server.poll() is None, server.stderr.read().decode() if server.stderr else ""
            try:
                if httpx.get(f"{base}/health", timeout=5).status_code == 200:
                    break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "serve --workers 2 did not answer"
                time.sleep(0.2)
        for _ in range(6):  # the connections land on either process
            with httpx.Client(base_url=base, headers=auth("read")) as http:
                answer = http.get("/reconciliation/unmatched")
            assert answer.status_code == 200 and answer.json()["items"], answer.text
    finally:
        server.send_signal(signal.SIGINT)
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
