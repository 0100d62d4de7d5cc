"""Deciding through the API: each decision is appended to ledger.decision with the token's
name and the time, changes the status the listings show, is refused when it changes
nothing, and appears in the audit of the records it concerns; a NUL character in any text
of a request's body, or a text longer than what it holds, is refused naming it."""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from api_company import auth
from fastapi.testclient import TestClient
from polls_recorder import QueuedPolls

from writer.outbox import awaiting_approval, intent_states


def decisions(conn: Any) -> list[tuple[Any, ...]]:
    return conn.execute(
        "SELECT kind, outcome, actor, reason, created_at IS NOT NULL FROM ledger.decision"
        " ORDER BY decision_id"
    ).fetchall()


def first(client: TestClient, path: str) -> dict[str, Any]:
    body = client.get(path, headers=auth("read")).json()
    item: dict[str, Any] = body["items"][0]
    return item


def test_confirming_and_rejecting_a_match(client: TestClient, api_conn: Any) -> None:
    match = first(client, "/reconciliation/matches")
    path = f"/reconciliation/matches/{match['id']}"
    confirmed = client.post(
        f"{path}/confirm", headers=auth("review"), json={"reason": "remittance seen"}
    )
    assert confirmed.status_code == 200, confirmed.text
    assert confirmed.json()["matches"][0]["status"] == "confirmed"
    assert confirmed.json()["decision"]["actor"] == "review-person"
    again = client.post(f"{path}/confirm", headers=auth("review"))
    assert again.status_code == 409 and "confirmed already" in again.json()["detail"]
    rejected = client.post(f"{path}/reject", headers=auth("admin"))
    assert rejected.json()["matches"][0]["status"] == "rejected"
    listed = client.get(
        "/reconciliation/matches", params={"status": "rejected"}, headers=auth("read")
    )
    assert [m["decided_by"] for m in listed.json()["items"]] == ["admin-person"]
    assert decisions(api_conn) == [
        ("match", "confirmed", "review-person", "remittance seen", True),
        ("match", "rejected", "admin-person", None, True),
    ]
    assert (
        client.post("/reconciliation/matches/999999/confirm", headers=auth("review")).json()[
            "detail"
        ]
        == "no payment match 999999"
    )


def test_a_manual_match_is_checked_then_takes_its_items_out_of_unmatched(
    client: TestClient,
) -> None:
    def manual(invoices: list[dict[str, str]]) -> Any:
        body = {"payment": {"system": "kashflow", "entity": "payment", "key": "R-77"},
                "invoices": invoices, "reason": "customer phoned"}  # fmt: skip
        return client.post("/reconciliation/matches", headers=auth("review"), json=body)

    usd = manual([{"system": "kashflow", "key": "10050", "amount": "10.00"}])
    assert usd.status_code == 422
    assert usd.json()["field"] == "body.invoices.0.key" and "USD" in usd.json()["detail"]
    too_much = manual([{"system": "kashflow", "key": "10044", "amount": "75.51"}])
    assert too_much.json()["field"] == "body.invoices.0.amount"
    over_payment = manual([
        {"system": "kashflow", "key": "10044", "amount": "30.00"},
        {"system": "sage100", "key": "0010001", "amount": "30.00"},
    ])  # fmt: skip
    assert over_payment.json()["field"] == "body.invoices"
    assert "more than the payment's 33.33" in over_payment.json()["detail"]
    missing = manual([{"system": "kashflow", "key": "NOPE", "amount": "1.00"}])
    assert missing.status_code == 422 and "is not in the ledger" in missing.json()["detail"]

    # the Sage invoice is of the Sage customer, linked to the KashFlow one: same counterparty
    made = manual([
        {"system": "kashflow", "key": "10044", "amount": "20.00"},
        {"system": "sage100", "key": "0010001", "amount": "13.33"},
    ])  # fmt: skip
    assert made.status_code == 201, made.text
    assert made.json()["subject"]["manual"] is True
    left = {
        (i["system"], i["key"])
        for i in client.get(
            "/reconciliation/unmatched", params={"limit": 500}, headers=auth("read")
        ).json()["items"]
    }
    assert not {("kashflow", "R-77"), ("kashflow", "10044"), ("sage100", "0010001")} & left
    assert ("kashflow", "10043") in left


def test_accepting_a_gl_suggestion_with_another_account_and_rejecting_one(
    client: TestClient, api_conn: Any
) -> None:
    suggestions = client.get("/gl-suggestions", headers=auth("read")).json()["items"]
    fuel = next(s for s in suggestions if s["line"] == "7001:1")
    unknown = client.post(
        f"/gl-suggestions/{fuel['id']}/accept", headers=auth("review"),
        json={"account": "9999-99-99"},
    )  # fmt: skip
    assert unknown.status_code == 422 and unknown.json()["field"] == "body.account"
    accepted = client.post(
        f"/gl-suggestions/{fuel['id']}/accept", headers=auth("review"),
        json={"account": "7600-00-00"},
    )  # fmt: skip
    assert accepted.status_code == 200
    subject = accepted.json()["subject"]
    assert (subject["suggested"], subject["account"], subject["overridden"]) == (
        "7300-00-00", "7600-00-00", True,
    )  # fmt: skip
    assert subject["line"]["counterparty"] == "Fleetway Fuels"
    plain = next(s for s in suggestions if s["line"] == "7002:1")
    assert (
        client.post(f"/gl-suggestions/{plain['id']}/accept", headers=auth("review")).json()[
            "subject"
        ]["account"]
        == "7500-00-00"
    )
    other = next(s for s in suggestions if s["line"] == "7003:1")
    assert client.post(f"/gl-suggestions/{other['id']}/reject", headers=auth("review")).is_success
    statuses = {
        s["line"]: (s["status"], s["account"])
        for s in client.get("/gl-suggestions", headers=auth("read")).json()["items"]
    }
    assert statuses == {
        "7001:1": ("accepted", "7600-00-00"), "7002:1": ("accepted", "7500-00-00"),
        "7003:1": ("rejected", None),
    }  # fmt: skip
    audit = client.get("/audit/kashflow/purchase_invoice/7001", headers=auth("read")).json()
    assert [(d["kind"], d["outcome"], d["actor"]) for d in audit["decisions"]] == [
        ("gl_suggestion", "accepted", "review-person")
    ]


def test_anomalies_and_approvals(client: TestClient) -> None:
    anomaly = first(client, "/anomalies")
    dismissed = client.post(f"/anomalies/{anomaly['id']}/dismiss", headers=auth("review"))
    assert dismissed.json()["outcome"] == "dismissed"
    assert (
        client.post(f"/anomalies/{anomaly['id']}/dismiss", headers=auth("review")).status_code
        == 409
    )
    assert client.post(f"/anomalies/{anomaly['id']}/escalate", headers=auth("review")).is_success
    assert first(client, "/anomalies")["status"] == "escalated"

    approval = first(client, "/approvals")
    answer = client.post(f"/approvals/{approval['id']}/approve", headers=auth("review"),
                         json={"reason": "agreed with the customer"})  # fmt: skip
    assert answer.status_code == 200
    assert answer.json()["subject"]["idempotency_key"] == approval["idempotency_key"]
    approved = client.get("/approvals", params={"status": "approved"}, headers=auth("read"))
    assert [a["decided_by"] for a in approved.json()["items"]] == ["review-person"]
    assert (
        client.get("/approvals", params={"status": "pending"}, headers=auth("read")).json()["items"]
        == []
    )
    assert client.post("/approvals/2/approve", headers=auth("review")).status_code == 404


def test_retrying_dead_letters_asks_for_a_poll_of_each_stream_once(
    client: TestClient, polls: QueuedPolls
) -> None:
    one = client.post("/dead-letters/1/retry", headers=auth("admin"))
    assert one.status_code == 200, one.text
    assert one.json()["action"] == "poll queued for sage100:customer"
    assert polls.queued() == [("sage100", "customer", "retry dead letter 1")]
    assert client.post("/dead-letters/1/retry", headers=auth("admin")).status_code == 409
    every = client.post("/dead-letters/retry", headers=auth("admin")).json()
    assert [r["decision"]["subject"]["dead_letter_id"] for r in every["retried"]] == [2]
    assert polls.queued()[-1] == ("kashflow", "sales_invoice", "retry dead letter 2")
    statuses = client.get("/dead-letters", headers=auth("read")).json()["items"]
    assert {d["status"] for d in statuses} == {"retry_requested"}
    assert {d["retry_requested_by"] for d in statuses} == {"admin-person"}


def test_approvals_and_writer_retries_are_the_writers_own_decisions(
    client: TestClient, api_conn: Any
) -> None:
    """What the API decides is what the writer reads: an approval releases the intent for
    the applier, a retry of a writer dead letter makes its intent pending again, and a
    retry of a write that has landed since is refused."""
    approval = first(client, "/approvals")
    key = approval["idempotency_key"]
    assert key in {s.idempotency_key for s in awaiting_approval(api_conn)}
    approved = client.post(f"/approvals/{approval['id']}/approve", headers=auth("review"))
    assert approved.status_code == 200, approved.text
    assert key not in {s.idempotency_key for s in awaiting_approval(api_conn)}
    assert approved.json()["subject"]["records"] == [
        {"system": "kashflow", "entity": "sales_invoice", "key": "10050"}
    ]

    landed, failed = "customer_to_sage100:kashflow:customer:ACME0019:v1", key
    for written in (landed, failed):
        api_conn.execute(
            "INSERT INTO ledger.write_outcome (idempotency_key, attempt, recovery_point, status)"
            " VALUES (%s, 1, 'finished', 'failed_permanent')",
            (written,),
        )
        api_conn.execute(
            "INSERT INTO ledger.dead_letter (stage, system, entity, native_key, idempotency_key,"
            " error_type, field, message) VALUES ('writer', 'sage100', 'sales_invoice', NULL,"
            " %s, 'ValidationFailed', 'ItemCode', 'unknown ItemCode')",
            (written,),
        )
        if written == landed:
            api_conn.execute(
                "INSERT INTO ledger.write_outcome (idempotency_key, attempt, recovery_point,"
                " status) VALUES (%s, 2, 'finished', 'succeeded')",
                (written,),
            )
    letters = client.get("/dead-letters", params={"stage": "writer"}, headers=auth("read"))
    ids = {d["idempotency_key"]: d["id"] for d in letters.json()["items"]}
    assert intent_states(api_conn, [failed])[0].stage == "dead_letter"
    retried = client.post(f"/dead-letters/{ids[failed]}/retry", headers=auth("admin"))
    assert retried.status_code == 200, retried.text
    assert retried.json()["action"] == f"the applier retries {failed} on its next pass"
    assert intent_states(api_conn, [failed])[0].stage == "pending"
    too_late = client.post(f"/dead-letters/{ids[landed]}/retry", headers=auth("admin"))
    assert too_late.status_code == 409 and "landed since" in too_late.json()["detail"]
    every = client.post("/dead-letters/retry", params={"stage": "writer"}, headers=auth("admin"))
    assert every.json() == {"retried": [], "polls_queued": 0}


BODY_TEXTS = [
    ("POST", "/reconciliation/matches", "payment.system"),
    ("POST", "/reconciliation/matches", "payment.entity"),
    ("POST", "/reconciliation/matches", "payment.key"),
    ("POST", "/reconciliation/matches", "invoices.0.system"),
    ("POST", "/reconciliation/matches", "invoices.0.key"),
    ("POST", "/reconciliation/matches", "reason"),
    ("POST", "/reconciliation/matches/{match_id}/confirm", "reason"),
    ("POST", "/reconciliation/matches/{match_id}/reject", "reason"),
    ("POST", "/gl-suggestions/{suggestion_id}/accept", "account"),
    ("POST", "/gl-suggestions/{suggestion_id}/accept", "reason"),
    ("POST", "/gl-suggestions/{suggestion_id}/reject", "reason"),
    ("POST", "/anomalies/{anomaly_id}/dismiss", "reason"),
    ("POST", "/anomalies/{anomaly_id}/escalate", "reason"),
    ("POST", "/approvals/{intent_id}/approve", "reason"),
    ("POST", "/approvals/{intent_id}/reject", "reason"),
    ("POST", "/dead-letters/retry", "reason"),
    ("POST", "/dead-letters/{letter_id}/retry", "reason"),
    ("PUT", "/sync/schedules", "schedules.0.system"),
    ("PUT", "/sync/schedules", "schedules.0.entity"),
    ("PUT", "/sync/schedules", "schedules.0.interval"),
    ("PUT", "/sync/schedules", "reason"),
    ("POST", "/sync/run", "streams.0"),
    ("POST", "/sync/run", "reason"),
]
"""Every text of the API's request bodies (a list's as its first item) by route."""
BODIES: dict[str, dict[str, Any]] = {
    "/reconciliation/matches": {
        "payment": {"system": "kashflow", "entity": "payment", "key": "R-77"},
        "invoices": [{"system": "kashflow", "key": "10044", "amount": "20.00"}],
        "reason": "customer phoned",
    },
    "/gl-suggestions/{suggestion_id}/accept": {"account": "7600-00-00", "reason": "fuel"},
    "/sync/schedules": {
        "schedules": [{"system": "sage100", "entity": "customer", "interval": "5m"}],
        "reason": "month end",
    },
    "/sync/run": {"streams": ["sage100:customer"], "reason": "month end"},
}
"""A body each route takes (the decisions': a reason), before a NUL is put in it."""
LISTED = {
    "match_id": "/reconciliation/matches", "suggestion_id": "/gl-suggestions",
    "anomaly_id": "/anomalies", "intent_id": "/approvals", "letter_id": "/dead-letters",
}  # fmt: skip
"""Where the id each path takes is listed: the subjects are real, so only the NUL refuses."""
LONGEST = {
    "payment.system": 40, "payment.entity": 40, "payment.key": 200,
    "invoices.0.system": 40, "invoices.0.key": 200, "account": 200,
    "schedules.0.system": 40, "schedules.0.entity": 40, "schedules.0.interval": 20,
    "streams.0": 81, "reason": 2000,
}  # fmt: skip
"""The longest text each place of a body takes (the same in every body), by what it holds:
a system or an entity (the ledger's names are at most 16 characters), a record's key or a
GL account (a canonical record's key is at most 200), a stream (`system:entity`), an
interval (30s, 5m, 1h, off), a person's reason."""


def with_text(body: dict[str, Any], place: str, text: Callable[[str], str]) -> dict[str, Any]:
    """`body` with the text at `place` (dotted) made `text` of what it was."""
    changed = copy.deepcopy(body)
    *outer, last = [int(part) if part.isdigit() else part for part in place.split(".")]
    holder: Any = changed
    for part in outer:
        holder = holder[part]
    holder[last] = text(holder[last])
    return changed


def with_nul(body: dict[str, Any], place: str) -> dict[str, Any]:
    """`body` with a NUL character at the end of the text at `place` (dotted)."""
    return with_text(body, place, lambda text: text + "\x00")


@pytest.mark.parametrize(("method", "path", "place"), BODY_TEXTS)
def test_a_nul_in_a_text_of_a_request_body_is_refused_naming_it(
    reading_client: TestClient, method: str, path: str, place: str
) -> None:
    """PostgreSQL's text (and json) cannot hold a NUL character: one in a body is refused as
    one in a query parameter is, naming it (it was a 500)."""
    ids = {name: first(reading_client, listing)["id"] for name, listing in LISTED.items()}
    body = with_nul(BODIES.get(path, {"reason": "checked"}), place)
    answer = reading_client.request(method, path.format(**ids), json=body, headers=auth("admin"))
    assert (answer.status_code, answer.json()["field"]) == (422, f"body.{place}"), answer.text
    assert answer.json()["detail"] == f"body.{place}: String should not contain a NUL character"


def texts_in(
    schema: dict[str, Any], schemas: dict[str, Any], place: str = ""
) -> Iterator[tuple[str, dict[str, Any]]]:
    """The dotted places of the texts a body of this JSON schema holds (a list's as its first
    item), each with its schema; a decimal, which takes a number or a text, is no text."""

    def inner(name: str) -> str:
        return f"{place}.{name}".lstrip(".")

    if "$ref" in schema:
        yield from texts_in(schemas[schema["$ref"].rpartition("/")[2]], schemas, place)
    elif "anyOf" in schema:
        if not any(branch.get("type") == "number" for branch in schema["anyOf"]):
            for branch in schema["anyOf"]:
                yield from texts_in(branch, schemas, place)
    elif schema.get("type") == "string":
        yield place, schema
    elif schema.get("type") == "object":
        for name, field in schema.get("properties", {}).items():
            yield from texts_in(field, schemas, inner(name))
    elif schema.get("type") == "array":
        yield from texts_in(schema["items"], schemas, inner("0"))


def body_texts(client: TestClient) -> dict[tuple[str, str, str], dict[str, Any]]:
    """Every text of the bodies the OpenAPI document's operations take, with its schema, by
    (method, path, place)."""
    document = client.get("/openapi.json").json()
    schemas = document["components"]["schemas"]
    return {
        (method.upper(), path, place): text
        for path, operations in document["paths"].items()
        for method, operation in operations.items()
        for media in operation.get("requestBody", {}).get("content", {}).values()
        for place, text in texts_in(media["schema"], schemas)
    }


def test_every_text_of_a_request_body_is_tried_with_a_nul(reading_client: TestClient) -> None:
    """The texts of the bodies the document's operations take are those above: a new one is
    tried too. (A webhook's body is read by its route, not by a model: see
    test_api_webhooks.)"""
    assert set(body_texts(reading_client)) == set(BODY_TEXTS)


@pytest.mark.parametrize(("method", "path", "place"), BODY_TEXTS)
def test_a_text_of_a_request_body_past_its_limit_is_refused_naming_it(
    reading_client: TestClient, method: str, path: str, place: str
) -> None:
    """A text longer than what it holds is refused before any query sees it or any row keeps
    it (a system past the ledger's names failed the query, a 500; a key or a GL account was
    echoed back whole in the refusal, a stream or an interval too)."""
    ids = {name: first(reading_client, listing)["id"] for name, listing in LISTED.items()}
    longest = LONGEST[place]
    body = with_text(BODIES.get(path, {"reason": "checked"}), place, lambda _: "x" * (longest + 1))
    answer = reading_client.request(method, path.format(**ids), json=body, headers=auth("admin"))
    assert (answer.status_code, answer.json()["field"]) == (422, f"body.{place}"), answer.text
    assert (
        answer.json()["detail"] == f"body.{place}: String should have at most {longest} characters"
    )


@pytest.mark.parametrize(("method", "path", "place"), BODY_TEXTS)
def test_the_longest_text_of_a_request_body_is_taken(
    client: TestClient, method: str, path: str, place: str
) -> None:
    """The longest text a place takes reaches the service, which answers it as any other
    (done, or refused for what it says: no record has such a key, no system such a name)."""
    ids = {name: first(client, listing)["id"] for name, listing in LISTED.items()}
    body = with_text(BODIES.get(path, {"reason": "checked"}), place, lambda _: "x" * LONGEST[place])
    answer = client.request(method, path.format(**ids), json=body, headers=auth("admin"))
    assert answer.status_code < 500 and "errors" not in answer.json(), answer.text


def test_every_text_of_a_request_body_has_the_limit_of_what_it_holds(
    reading_client: TestClient,
) -> None:
    """As the document says it: a text added to a body without a limit fails here."""
    limits = {where: text.get("maxLength") for where, text in body_texts(reading_client).items()}
    assert limits == {(method, path, place): LONGEST[place] for method, path, place in BODY_TEXTS}
