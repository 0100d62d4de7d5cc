"""A refusal of the service layer names its field where the value came from, as FastAPI
names the fields it refuses itself: `query.<name>`, `path.<name>`, `body.<place>` (the
services name a field as they took it; the routes know where it came from)."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import pytest
from api_company import TODAY, auth, sales_invoice
from fastapi.testclient import TestClient

from ledger import append_versions

NOW = datetime.now(UTC).isoformat()
PAYMENT = {"system": "kashflow", "entity": "payment", "key": "R-77"}
INVOICE = {"system": "kashflow", "key": "10044", "amount": "20.00"}


def manual(payment: dict[str, str] | None = None, *invoices: dict[str, str]) -> dict[str, Any]:
    """A manual match's body: R-77 (33.33) to 20.00 of 10044 unless told otherwise."""
    return {"payment": {**PAYMENT, **(payment or {})}, "invoices": list(invoices) or [INVOICE]}


REFUSALS = [
    ("GET", "/audit/as-of", {"ts": "2026-01-01T00:00:00"}, None, 422, "query.ts"),
    ("GET", "/audit/as-of", {"ts": NOW, "entity": "invoice"}, None, 422, "query.entity"),
    ("GET", "/audit/as-of", {"ts": NOW, "system": "xero"}, None, 422, "query.system"),
    ("GET", "/audit/xero/customer/ACME0019", {}, None, 422, "path.system"),
    ("GET", "/audit/kashflow/invoice/ACME0019", {}, None, 422, "path.entity"),
    ("GET", "/audit/kashflow/customer/NOPE", {}, None, 404, "path.key"),
    ("GET", "/reconciliation/unmatched", {"min_amount": "5", "max_amount": "1"}, None, 422,
     "query.min_amount"),
    ("GET", "/sync/runs", {"cursor": "abc"}, None, 422, "query.cursor"),
    ("POST", "/reconciliation/matches", {}, manual({"entity": "customer"}), 422,
     "body.payment.entity"),
    ("POST", "/reconciliation/matches", {}, manual({"system": "xero"}), 422,
     "body.payment.system"),
    ("POST", "/reconciliation/matches", {}, manual({"key": "NOPE"}), 422, "body.payment.key"),
    ("POST", "/reconciliation/matches", {}, manual(None, {**INVOICE, "system": "xero"}), 422,
     "body.invoices.0.system"),
    ("POST", "/reconciliation/matches", {}, manual(None, INVOICE, {**INVOICE, "key": "NOPE"}),
     422, "body.invoices.1.key"),
    ("POST", "/reconciliation/matches", {}, manual(None, {**INVOICE, "key": "10050"}), 422,
     "body.invoices.0.key"),
    ("POST", "/reconciliation/matches", {}, manual(None, {**INVOICE, "amount": "75.51"}), 422,
     "body.invoices.0.amount"),
    ("POST", "/reconciliation/matches", {}, manual(None, INVOICE, INVOICE), 422,
     "body.invoices"),
    ("PUT", "/sync/schedules", {},
     {"schedules": [{"system": "xero", "entity": "customer", "interval": "5m"}]}, 422,
     "body.schedules.0.entity"),
    ("PUT", "/sync/schedules", {},
     {"schedules": [{"system": "sage100", "entity": "customer", "interval": "5m"},
                    {"system": "sage100", "entity": "customer", "interval": "soon"}]}, 422,
     "body.schedules.1.interval"),
    ("POST", "/sync/run", {}, {"streams": ["sage100:customer", "sage100:cats"]}, 422,
     "body.streams.1"),
    ("POST", "/gl-suggestions/{suggestion_id}/accept", {}, {"account": "9999-99-99"}, 422,
     "body.account"),
]  # fmt: skip
"""Each refusal a service makes through the API but for a subject that is not there (see
below): the request, and the status and field it is answered with."""


def suggestion_id(client: TestClient) -> int:
    listed = client.get("/gl-suggestions", headers=auth("read")).json()["items"]
    return int(listed[0]["id"])


@pytest.mark.parametrize(
    ("method", "path", "params", "body", "status", "field"), REFUSALS,
    ids=[f"{method} {path} {field}" for method, path, _, _, _, field in REFUSALS],
)  # fmt: skip
def test_a_services_refusal_names_its_field_where_it_came_from(
    reading_client: TestClient,
    method: str,
    path: str,
    params: dict[str, str],
    body: dict[str, Any] | None,
    status: int,
    field: str,
) -> None:
    address = path.format(suggestion_id=suggestion_id(reading_client))
    answer = reading_client.request(
        method, address, params=params, json=body, headers=auth("admin")
    )
    assert (answer.status_code, answer.json().get("field")) == (status, field), answer.text
    assert "errors" not in answer.json(), "refused by FastAPI, not by the service"


def subject_paths(client: TestClient) -> list[tuple[str, str, str]]:
    """(method, path, its id's name) of every operation of the OpenAPI document whose path
    names a subject by its id."""
    paths = client.get("/openapi.json").json()["paths"]
    return [
        (method.upper(), path, found[1])
        for path, operations in paths.items()
        if (found := re.search(r"\{(\w+_id)\}", path))
        for method in operations
    ]


def test_a_subject_that_is_not_there_is_named_in_the_path(reading_client: TestClient) -> None:
    """Every operation on a subject by its id (a decision, a retry), asked of an id that
    names nothing, is refused naming its path's id (it named a bare `id`)."""
    operations = subject_paths(reading_client)
    assert len(operations) == 9, operations
    for method, path, name in operations:
        answer = reading_client.request(
            method, path.replace(f"{{{name}}}", "999999"), headers=auth("admin")
        )
        assert (answer.status_code, answer.json()["field"]) == (404, f"path.{name}"), path


def test_an_invoice_of_another_counterparty_is_named_in_the_body(
    client: TestClient, api_conn: Any
) -> None:
    """R-77 is Acme's: an invoice of Globex in its currency is refused naming its key."""
    append_versions(api_conn, [sales_invoice("kashflow", "10051", "GLOB0001", "50.00", TODAY)])
    body = manual(None, INVOICE, {**INVOICE, "key": "10051"})
    answer = client.post("/reconciliation/matches", json=body, headers=auth("review"))
    assert (answer.status_code, answer.json()["field"]) == (422, "body.invoices.1.key")
    assert "of customer GLOB0001" in answer.json()["detail"], answer.text
