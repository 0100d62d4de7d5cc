"""The API as deployed: connected as the application's login (a member of
ledgerbridge_app, which may only read and append), it reads, decides, takes webhooks and
makes tokens; the rows it appends are chained; and it cannot rewrite them."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import orjson
import psycopg
import pytest
from api_company import WEBHOOK_SECRETS, auth
from fastapi.testclient import TestClient
from psycopg import sql
from pydantic import SecretStr

from api.app import create_app
from api.services.tokens import create_token
from api.services.webhooks import sign
from api.settings import ApiSettings
from ledger.roles import ensure_app_login
from ledgerbridge.database import with_user
from ledgerbridge.testdb import fresh_name


@pytest.fixture
def app_role_url(pg_server: str, api_url: str) -> Iterator[str]:
    login = fresh_name("lbapi_app")
    with psycopg.connect(pg_server) as conn:
        ensure_app_login(conn, login)
    yield with_user(api_url, login)
    with psycopg.connect(pg_server, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(login)))


def test_the_app_login_reads_decides_and_appends_but_rewrites_nothing(app_role_url: str) -> None:
    settings = ApiSettings(webhook_secrets={"ecommerce": SecretStr(WEBHOOK_SECRETS["ecommerce"])})
    with TestClient(create_app(app_role_url, settings, pool_size=2)) as client:
        assert client.get("/health").status_code == 200
        anomaly = client.get("/anomalies", headers=auth("read")).json()["items"][0]
        assert client.post(f"/anomalies/{anomaly['id']}/dismiss", headers=auth("review")).is_success
        order = {"key": "SO-R1", "customer_key": "c", "issue_date": "2026-11-02",
                 "net_amount": "1.00", "gross_amount": "1.00"}  # fmt: skip
        body = orjson.dumps({"id": "evt_r1", "type": "order.created", "data": order})
        stamp = str(int(time.time()))
        taken = client.post(
            "/webhooks/ecommerce", content=body,
            headers={"X-Webhook-Timestamp": stamp,
                     "X-Webhook-Signature": sign(WEBHOOK_SECRETS["ecommerce"], stamp, body)},
        )  # fmt: skip
        assert taken.status_code == 202, taken.text
        assert "ledgerbridge_ledger_up 1.0" in client.get("/metrics", headers=auth("read")).text
    with psycopg.connect(app_role_url) as conn:
        create_token(conn, "made-by-app", "read")
        conn.commit()
        chained: list[Any] = conn.execute(
            "SELECT count(*) FILTER (WHERE chain_hash IS NULL) FROM ledger.webhook_event"
        ).fetchall()
        assert chained == [(0,)]
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("UPDATE ledger.api_token SET scope = 'admin'")
