"""API fixtures: a ledger with a small company reconciled once and a token of each scope,
made once per test session as a template database; each test gets a fresh copy and the
real app on it, driven over HTTP in process (TestClient)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from api_company import TOKENS, WEBHOOK_SECRETS, scope_tokens, seed_company
from database_copies import database_copy, seeded_template
from fastapi.testclient import TestClient
from polls_recorder import QueuedPolls
from pydantic import SecretStr

from api.app import create_app
from api.services.tokens import create_token, revoke_token
from api.settings import ApiSettings


def seed_api_ledger(conn: psycopg.Connection[Any]) -> None:
    seed_company(conn)
    TOKENS.update(scope_tokens(conn))
    TOKENS["revoked"], _ = create_token(conn, "gone", "admin")
    revoke_token(conn, "gone")


@pytest.fixture(scope="session")
def api_template(pg_server: str) -> Iterator[str]:
    with seeded_template(pg_server, "lbapi_template", seed_api_ledger) as name:
        yield name


@pytest.fixture
def api_url(pg_server: str, api_template: str) -> Iterator[str]:
    with database_copy(pg_server, api_template, "lbapi") as url:
        yield url


@pytest.fixture
def api_conn(api_url: str) -> Iterator[psycopg.Connection[Any]]:
    with psycopg.connect(api_url, autocommit=True) as conn:
        yield conn


@pytest.fixture
def polls(api_url: str) -> QueuedPolls:
    return QueuedPolls(api_url)


def api_client(url: str, polls: QueuedPolls) -> TestClient:
    settings = ApiSettings(
        webhook_secrets={k: SecretStr(v) for k, v in WEBHOOK_SECRETS.items()},
        webhook_max_bytes=4096,
    )
    return TestClient(create_app(url, settings, polls, pool_size=3))


@pytest.fixture
def client(api_url: str, polls: QueuedPolls) -> Iterator[TestClient]:
    """The app on a ledger of the test's own."""
    with api_client(api_url, polls) as test_client:
        yield test_client


@pytest.fixture(scope="module")
def reading_client(pg_server: str, api_template: str) -> Iterator[TestClient]:
    """The app on a ledger the module's tests share: for tests that only read."""
    with (
        database_copy(pg_server, api_template, "lbapi_read") as url,
        api_client(url, QueuedPolls(url)) as test_client,
    ):
        yield test_client
