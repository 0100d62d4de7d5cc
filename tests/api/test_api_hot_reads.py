"""The hot reads (`api.hot_reads`): answered ahead of the routes, they answer exactly as the
routes do, for every request the routes answer with 200 and for every one they refuse; and
a decision taken through the API shows on the next page read the hot way."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from api_company import TOKENS, auth
from fastapi.testclient import TestClient

from api.app import create_app
from api.hot_reads import HotReads
from api.services.pages import encode_cursor

DEEP = encode_cursor("unmatched", ["kashflow", "payment", ""])
REQUESTS: list[tuple[str, str | None]] = [
    ("/reconciliation/unmatched", "read"),
    ("/reconciliation/unmatched?limit=3", "read"),
    (f"/reconciliation/unmatched?limit=2&cursor={DEEP}", "admin"),
    ("/reconciliation/unmatched?currency=usd&kind=invoice&age_bucket=0-30", "read"),
    ("/reconciliation/unmatched?min_amount=100&max_amount=5000&system=kashflow", "read"),
    ("/reconciliation/unmatched?counterparty=kashflow:ACME0001&limit=1&limit=4", "read"),
    ("/reconciliation/unmatched?min_amount=9&max_amount=1", "read"),  # 400
    ("/reconciliation/unmatched?limit=0", "read"),  # 422
    ("/reconciliation/unmatched?currency=EU", "read"),  # 422
    ("/reconciliation/unmatched?cursor=not-one", "read"),  # 400
    ("/reconciliation/unmatched?counterparty=kashflow:ACME0019%00", "read"),  # 422
    ("/reconciliation/unmatched", None),  # 401
    ("/reconciliation/unmatched", "basic"),  # 401
    ("/reconciliation/unmatched", "revoked"),  # 401
    ("/audit/kashflow/customer/ACME0019", "read"),
    ("/audit/kashflow/customer/NO-SUCH", "read"),  # 404
    ("/audit/kashflow/planet/ACME0019", "read"),  # 400
    ("/audit/kashflow/customer/" + "K" * 201, "read"),  # 422
    ("/audit/kashflow/customer/ACME0019%00", "read"),  # 422
    ("/audit/kashflow/customer/ACME0019", None),  # 401
    ("/health", None),
]
"""Each GET the hot reads take, and the token it carries (a scope's; none; not a bearer)."""


def _headers(token: str | None) -> dict[str, str]:
    if token is None:
        return {}
    if token == "basic":
        return {"Authorization": "Basic eDp5"}
    return {"Authorization": f"Bearer {TOKENS[token]}"}


class PassedOn:
    """Stands behind the hot reads and counts what they pass on to the routes."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.requests = 0

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        self.requests += scope["type"] == "http"
        await self.app(scope, receive, send)


def passed_on(client: TestClient) -> PassedOn:
    """What the app's hot reads pass on (from now on)."""
    layer = client.app.middleware_stack  # type: ignore[attr-defined]
    while not isinstance(layer, HotReads):
        layer = layer.app
    if not isinstance(layer.app, PassedOn):
        layer.app = PassedOn(layer.app)
    return layer.app


@pytest.fixture
def route_client(api_url: str) -> Iterator[TestClient]:
    """The same app without the hot reads: every request answered by its route."""
    app = create_app(api_url, pool_size=2)
    app.user_middleware = [m for m in app.user_middleware if m.cls is not HotReads]
    with TestClient(app) as test_client:
        yield test_client


def _answer(client: TestClient, path: str, headers: dict[str, str]) -> tuple[int, Any, str]:
    response = client.get(path, headers=headers)
    body = response.json()
    if path == "/health":
        body["database"].pop("latency_ms")  # a timing
    return response.status_code, body, response.headers["content-type"]


@pytest.mark.parametrize(("path", "token"), REQUESTS)
def test_the_hot_reads_answer_as_their_routes_do(
    client: TestClient, route_client: TestClient, path: str, token: str | None
) -> None:
    headers = _headers(token)
    client.get("/health")  # the middleware stack built
    routes = passed_on(client)
    answer = _answer(client, path, headers)
    assert answer == _answer(route_client, path, headers)
    assert routes.requests == (0 if answer[0] == 200 else 1)  # passed on only to be refused


def test_the_hot_reads_are_timed_by_their_route(client: TestClient) -> None:
    client.get("/reconciliation/unmatched", headers=auth("read"))
    client.get("/audit/kashflow/customer/ACME0019", headers=auth("read"))
    text = client.get("/metrics", headers=auth("read")).text
    assert 'route="/reconciliation/unmatched",status="200"' in text
    assert 'route="/audit/{system}/{entity}/{key}",status="200"' in text


def test_a_manual_match_changes_the_next_first_pages_totals(client: TestClient) -> None:
    def first_page() -> Any:
        return client.get("/reconciliation/unmatched?limit=500", headers=auth("read")).json()

    before = first_page()
    assert first_page() == before  # the totals kept: the same
    body = {"payment": {"system": "kashflow", "entity": "payment", "key": "R-77"},
            "invoices": [{"system": "kashflow", "key": "10044", "amount": "20.00"},
                         {"system": "sage100", "key": "0010001", "amount": "13.33"}]}  # fmt: skip
    made = client.post("/reconciliation/matches", headers=auth("review"), json=body)
    assert made.status_code == 201, made.text
    after = first_page()
    gbp = {t["currency"]: t for t in after["totals"]}["GBP"]
    was = {t["currency"]: t for t in before["totals"]}["GBP"]
    assert gbp["items"] == was["items"] - 3
    assert ("kashflow", "payment", "R-77") not in {
        (i["system"], i["entity"], i["key"]) for i in after["items"]
    }
