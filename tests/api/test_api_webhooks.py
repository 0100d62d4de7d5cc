"""Webhook intake: a signed, fresh, well-formed event of a known source reaches the ledger
once however often it is delivered; every refusal (bad signature, stale timestamp,
replayed id, oversized, malformed, unknown type or source, invalid data, a NUL character)
is a clear 4xx and recorded, and nothing refused is processed. A taken event has the writer plan the
flows that consume its source, and what they plan is written to the KashFlow sandbox."""

from __future__ import annotations

import time
from decimal import Decimal
from typing import Any

import orjson
import psycopg
import pytest
from api_company import WEBHOOK_SECRETS, auth, party
from fastapi.testclient import TestClient
from polls_recorder import QueuedPolls
from pydantic import SecretStr

from api.app import create_app
from api.services.webhooks import WriterWork, sign
from api.settings import ApiSettings
from canonical import Customer
from cdc.poll import poll_stream
from cdc.streams import Sources, stream
from connectors.kashflow import KashFlowClient
from connectors.sage100 import Sage100Reader
from ledger import append_versions
from sandbox.kashflow import SandboxServer
from writer.alerts import Alerter
from writer.apply import Applier
from writer.dead_letters import writer_dead_letters
from writer.rules import load_rules
from writer.targets import KashFlowTarget


def webhook_event(event_id: str, event_type: str, /, **data: str) -> dict[str, Any]:
    """A webhook event as the sources send it: its id, its type and the record's data."""
    return {"id": event_id, "type": event_type, "data": data}


ORDER_DATA = {
    "key": "SO-1001", "customer_key": "jane@example.com", "issue_date": "2026-11-02",
    "currency": "GBP", "net_amount": "50.00", "tax_amount": "10.00", "gross_amount": "60.00",
    "reference": "web order 1001",
}  # fmt: skip
ORDER = webhook_event("evt_1001", "order.created", **ORDER_DATA)
PAYMENT = webhook_event(
    "pi_77", "payment.succeeded", key="pi_77", kind="receipt",
    counterparty_key="jane@example.com", payment_date="2026-11-02", amount="60.00",
    currency="GBP", method="card", reference="SO-1001",
)  # fmt: skip


def deliver(
    client: TestClient,
    event: dict[str, Any] | bytes,
    source: str = "ecommerce",
    secret: str | None = None,
    at: float | None = None,
    signature: str | None = None,
) -> Any:
    body = event if isinstance(event, bytes) else orjson.dumps(event)
    stamp = str(int(at if at is not None else time.time()))
    key = secret if secret is not None else WEBHOOK_SECRETS.get(source, "x")
    headers = {
        "X-Webhook-Timestamp": stamp,
        "X-Webhook-Signature": signature or sign(key, stamp, body),
        "Content-Type": "application/json",
    }
    return client.post(f"/webhooks/{source}", content=body, headers=headers)


def ledger_rows(conn: Any, system: str) -> list[tuple[Any, ...]]:
    return conn.execute(
        "SELECT entity, native_key, version, payload->>'gross_amount', payload->>'amount'"
        " FROM ledger.record_version WHERE system = %s ORDER BY entity, native_key, version",
        (system,),
    ).fetchall()


def deliveries(conn: Any) -> list[tuple[Any, ...]]:
    return conn.execute(
        "SELECT source, event_id, outcome, status_code, split_part(reason, ':', 1)"
        " FROM ledger.webhook_event ORDER BY webhook_event_id"
    ).fetchall()


def test_a_valid_order_delivered_three_times_reaches_the_ledger_once(
    client: TestClient, api_conn: Any, polls: QueuedPolls
) -> None:
    answers = [deliver(client, ORDER) for _ in range(3)]
    assert [a.status_code for a in answers] == [202, 409, 409]
    taken = answers[0].json()
    assert taken["record"] == {"system": "ecommerce", "entity": "sales_invoice", "key": "SO-1001"}
    assert taken["version"] == 1
    assert answers[1].headers["content-type"] == "application/problem+json"
    assert answers[1].json()["detail"] == "event evt_1001 of ecommerce was taken already"
    assert answers[1].json()["field"] == "body.id"
    assert ledger_rows(api_conn, "ecommerce") == [("sales_invoice", "SO-1001", 1, "60", None)]
    assert deliveries(api_conn) == [
        ("ecommerce", "evt_1001", "accepted", 202, None),
        ("ecommerce", "evt_1001", "refused", 409, "replayed"),
        ("ecommerce", "evt_1001", "refused", 409, "replayed"),
    ]
    assert [p[:2] for p in polls.queued()] == [
        ("kashflow", "customer"), ("kashflow", "sales_invoice"),
    ]  # fmt: skip
    assert taken["polls_requested"] == ["kashflow:customer", "kashflow:sales_invoice"]
    run = client.get("/sync/runs", params={"kind": "webhook"}, headers=auth("read")).json()
    assert [(r["system"], r["status"], r["counts"]) for r in run["items"]] == [
        ("ecommerce", "succeeded", {"appended": 1, "unchanged": 0})
    ]


def test_a_gateway_payment_and_an_order_update_are_records_of_their_systems(
    client: TestClient, api_conn: Any
) -> None:
    assert deliver(client, PAYMENT, "gateway").status_code == 202
    assert deliver(client, ORDER).status_code == 202
    changed = {**ORDER_DATA, "net_amount": "40.00", "gross_amount": "50.00"}
    updated = webhook_event("evt_1002", "order.updated", **changed)
    assert deliver(client, updated).json()["version"] == 2
    assert ledger_rows(api_conn, "gateway") == [("payment", "pi_77", 1, None, "60")]
    assert [r[2:4] for r in ledger_rows(api_conn, "ecommerce")] == [(1, "60"), (2, "50")]
    audit = client.get("/audit/ecommerce/sales_invoice/SO-1001", headers=auth("read")).json()
    assert {c["field"] for c in audit["versions"][1]["changes"]} == {"gross_amount", "net_amount"}


REFUSALS = [
    ("bad signature", 401, "bad_signature", "header.x-webhook-signature"),
    ("no signature scheme", 401, "no_signature", "header.x-webhook-signature"),
    ("stale timestamp", 400, "stale_timestamp", "header.x-webhook-timestamp"),
    ("future timestamp", 400, "stale_timestamp", "header.x-webhook-timestamp"),
    ("no timestamp", 400, "no_timestamp", "header.x-webhook-timestamp"),
    ("oversized", 413, "oversized", "body"),
    ("not json", 400, "malformed", "body"),
    ("not an object", 400, "malformed", "body"),
    ("no id", 400, "malformed", "body.id"),
    ("type not text", 400, "malformed", "body.type"),
    ("data not an object", 400, "malformed", "body.data"),
    ("unknown type", 422, "unknown_type", "body.type"),
    ("no key", 422, "invalid", "body.data.key"),
    ("invalid data", 422, "invalid", "body.data"),
    ("invalid currency", 422, "invalid", "body.data.currency"),
    ("customer not an object", 422, "invalid", "body.data.customer"),
    ("customer without a key", 422, "invalid", "body.data.customer.key"),
    ("invalid customer", 422, "invalid", "body.data.customer.name"),
    ("unknown source", 404, "unknown_source", "path.source"),
]
"""Each way a delivery is refused: the status, the reason's code, and the field the problem
names where it came from (the path, a header, the body)."""


def bad_delivery(client: TestClient, case: str) -> Any:
    """`ORDER` delivered with the one thing wrong that `case` names."""
    source = "ecommerce"
    kwargs: dict[str, Any] = {}
    body: dict[str, Any] | bytes = ORDER
    if case == "bad signature":
        kwargs = {"secret": "not-the-secret"}
    elif case == "no signature scheme":
        kwargs = {"signature": "md5=abc"}
    elif case == "stale timestamp":
        kwargs = {"at": time.time() - 301}
    elif case == "future timestamp":
        kwargs = {"at": time.time() + 3600}
    elif case == "no timestamp":
        return client.post(f"/webhooks/{source}", content=orjson.dumps(ORDER))
    elif case == "oversized":
        body = {**ORDER, "padding": "x" * 5000}
    elif case == "not json":
        body = b"{not json"
    elif case == "not an object":
        body = b"[]"
    elif case == "no id":
        body = {"type": "order.created", "data": {}}
    elif case == "type not text":
        body = {**ORDER, "type": 7}
    elif case == "data not an object":
        body = {**ORDER, "data": []}
    elif case == "unknown type":
        body = {**ORDER, "type": "order.teleported"}
    elif case == "no key":
        body = {**ORDER, "data": {**ORDER_DATA, "key": " "}}
    elif case == "invalid data":
        body = {**ORDER, "data": {**ORDER_DATA, "gross_amount": "61.00"}}
    elif case == "invalid currency":
        body = {**ORDER, "data": {**ORDER_DATA, "currency": "GBPX"}}
    elif case == "customer not an object":
        body = {**ORDER, "data": {**ORDER_DATA, "customer": "jane"}}
    elif case == "customer without a key":
        body = {**ORDER, "data": {**ORDER_DATA, "customer": {"name": "Jane Doe"}}}
    elif case == "invalid customer":
        body = {**ORDER, "data": {**ORDER_DATA, "customer": {**JANE, "name": ""}}}
    elif case == "unknown source":
        source = "fax"
    return deliver(client, body, source, **kwargs)


def test_each_bad_delivery_is_refused_clearly_recorded_and_not_processed(
    client: TestClient, api_conn: Any
) -> None:
    for count, (case, status, reason, field) in enumerate(REFUSALS, start=1):
        answer = bad_delivery(client, case)
        assert answer.status_code == status, (case, answer.text)
        problem = answer.json()
        assert answer.headers["content-type"] == "application/problem+json"
        assert problem["field"] == field and problem["detail"], case
        assert WEBHOOK_SECRETS["ecommerce"] not in answer.text
        recorded = deliveries(api_conn)
        assert len(recorded) == count
        assert recorded[-1][2:] == ("refused", status, reason), case
        if case == "invalid data":
            assert (
                "gross_amount 61.00 is not net_amount 50.00 + tax_amount 10.00" in problem["detail"]
            )
    assert ledger_rows(api_conn, "ecommerce") == []
    assert deliver(client, ORDER).status_code == 202  # the same event, sent right, is taken


ORDER_WITH_LINES = {**ORDER, "data": {**ORDER_DATA, "lines": [{
    "line_no": 1, "description": "Oak side table", "quantity": "1", "unit_price": "50.00",
    "net_amount": "50.00", "tax_rate": "20", "tax_amount": "10.00", "gl_account": "4000",
}]}}  # fmt: skip
"""An order as KashFlow will take it: an invoice needs a line."""


JANE = {"key": "jane@example.com", "name": "Jane Doe", "email": "jane@example.com"}
NULS = [
    ({**ORDER, "data": {**ORDER_DATA, "reference": "web order\x001001"}}, "data.reference"),
    ({**ORDER, "id": "evt_\x001001"}, "id"),
    ({**ORDER, "type": "order.created\x00"}, "type"),
    ({**ORDER, "data": {**ORDER_DATA, "customer": {**JANE, "name": "Jane\x00"}}},
     "data.customer.name"),
    ({**ORDER_WITH_LINES, "data": {**ORDER_WITH_LINES["data"], "lines": [
        {**ORDER_WITH_LINES["data"]["lines"][0], "description": "Oak\x00"}]}},
     "data.lines.0.description"),
    ({**ORDER, "data": {**ORDER_DATA, "note\x00": "gift"}}, "data.note\\x00"),
    ({**ORDER, "sent\x00": True}, "sent\\x00"),
]  # fmt: skip
"""Events holding a NUL character (a text or a key's) and the field of the event each is
refused for (in the request's body): PostgreSQL's json and text cannot hold one (a key's NUL
is named as \\x00)."""


@pytest.mark.parametrize(("event", "field"), NULS, ids=[field for _, field in NULS])
def test_an_event_holding_a_nul_is_refused_and_recorded_naming_the_event_and_field(
    client: TestClient, api_conn: Any, event: dict[str, Any], field: str
) -> None:
    """Refused like any invalid event, and recorded with one line naming both, never
    dropped (it was a 500 that left no row: the ledger could not store the event)."""
    answer = deliver(client, event)
    detail = f"event {event['id']!r}: {field}: String should not contain a NUL character"
    assert (answer.status_code, answer.json()["field"], answer.json()["detail"]) == (
        422, f"body.{field}", detail,
    )  # fmt: skip
    recorded = api_conn.execute(
        "SELECT event_id, event_type, outcome, status_code, reason FROM ledger.webhook_event"
    ).fetchall()
    shown = [text.replace("\x00", "\\x00") for text in (event["id"], event["type"])]
    assert recorded == [(*shown, "refused", 422, f"nul: {detail}")]
    assert ledger_rows(api_conn, "ecommerce") == []


def never_sage100() -> Sage100Reader:
    raise AssertionError("this test reads KashFlow only")


def test_a_valid_order_is_planned_by_the_writer_and_written_to_kashflow(
    api_url: str, api_conn: Any, polls: QueuedPolls, server: SandboxServer
) -> None:
    """The event triggers the flows it concerns: the writer's planner (with its rules)
    plans the order's KashFlow invoice and its new customer, recorded in the writer's
    outbox; the writer's applier then writes them to the KashFlow sandbox over HTTP."""
    kashflow = KashFlowClient(
        base_url=server.base_url, username="sandbox", password="sandbox",
        memorable_word="ledgerbridge", requests_per_second=None, timeout_seconds=5.0,
    )  # fmt: skip
    with (
        psycopg.connect(api_url, autocommit=True) as conn,
        Sources(sage100=never_sage100, kashflow=lambda: kashflow) as sources,
    ):
        # The ledger knows the sandbox's invoices, as the workers' polls keep it: new
        # invoices are numbered after them.
        assert poll_stream(conn, sources, stream("kashflow", "sales_invoice")).status == "succeeded"
        append_versions(conn, [party(Customer, "ecommerce", "jane@example.com",
                                     name="Jane Doe", email="jane@example.com")])  # fmt: skip
        settings = ApiSettings(
            webhook_secrets={k: SecretStr(v) for k, v in WEBHOOK_SECRETS.items()}
        )
        writer = WriterWork(load_rules(), Decimal(5000))
        app = create_app(api_url, settings, polls, pool_size=2, writer=writer)
        with TestClient(app) as client:
            taken = deliver(client, ORDER_WITH_LINES).json()
            assert (taken["flows_planned"], taken["intents_recorded"]) == (["ecommerce"], 2)
            assert taken["writer_refused"] == []
            unknown = {**ORDER_DATA, "key": "SO-1003", "customer_key": "bob@x.com"}
            refused = deliver(client, webhook_event("evt_1003", "order.created", **unknown))
            assert refused.json()["intents_recorded"] == 0
            assert refused.json()["writer_refused"] == [
                "ecommerce sales_invoice SO-1003: customer_key: the shop's customer bob@x.com"
                " is not in the ledger"
            ]
            again = deliver(client, {**ORDER_WITH_LINES, "id": "evt_1001b"}).json()
            assert again["intents_recorded"] == 0  # planned once: the idempotency key decides
        # The refused order is kept as the writer's dead letter, naming its record and field.
        [letter] = [d for d in writer_dead_letters(conn) if d.key == "SO-1003"]
        assert (letter.system, letter.entity, letter.field) == (
            "ecommerce", "sales_invoice", "customer_key",
        )  # fmt: skip

        planned = conn.execute(
            "SELECT idempotency_key, entity, target_key, payload->>'reference'"
            " FROM ledger.write_intent WHERE target_system = 'kashflow'"
            " AND idempotency_key LIKE 'ecommerce%' AND NOT requires_approval"
        ).fetchall()
        [(customer_key, _, code, _)] = [p for p in planned if p[1] == "customer"]
        [(_, _, number, reference)] = [p for p in planned if p[1] == "sales_invoice"]
        assert (code, reference) == ("WEBJANEEXAMPLECOM", "SO-1001")

        applier = Applier(conn, {"kashflow": KashFlowTarget(sources.kashflow())},
                          alerter=Alerter(), sleep=lambda seconds: None)  # fmt: skip
        report = applier.apply([customer_key])  # and the invoice, which depends on it
        assert (report.succeeded, report.dead_lettered) == (2, 0)
        written = sources.kashflow().invoices.get(int(number))
    assert (written["CustomerReference"], written["CustomerCode"]) == (
        "SO-1001", "WEBJANEEXAMPLECOM",
    )  # fmt: skip


def test_an_order_carrying_a_new_shop_customer_creates_it_in_kashflow(
    api_url: str, api_conn: Any, polls: QueuedPolls, server: SandboxServer
) -> None:
    """A shop's first order from someone comes with its customer (`data.customer`): both
    reach the ledger in one delivery, and the writer creates the KashFlow customer before
    the invoice. A customer event on its own is a record of the shop too; an order whose
    customer_key is not the customer it carries is refused, naming the field."""
    kashflow = KashFlowClient(
        base_url=server.base_url, username="sandbox", password="sandbox",
        memorable_word="ledgerbridge", requests_per_second=None, timeout_seconds=5.0,
    )  # fmt: skip
    bob = {"key": "bob@example.com", "name": "Bob Hale", "email": "bob@example.com"}
    order = {**ORDER_WITH_LINES, "id": "evt_2001", "data": {
        **ORDER_WITH_LINES["data"], "key": "SO-2001", "customer_key": "bob@example.com",
        "customer": bob,
    }}  # fmt: skip
    with (
        psycopg.connect(api_url, autocommit=True) as conn,
        Sources(sage100=never_sage100, kashflow=lambda: kashflow) as sources,
    ):
        assert poll_stream(conn, sources, stream("kashflow", "sales_invoice")).status == "succeeded"
        settings = ApiSettings(
            webhook_secrets={k: SecretStr(v) for k, v in WEBHOOK_SECRETS.items()}
        )
        app = create_app(api_url, settings, polls, pool_size=2,
                         writer=WriterWork(load_rules(), Decimal(5000)))  # fmt: skip
        with TestClient(app) as client:
            mismatched = {**order, "id": "evt_2000",
                          "data": {**order["data"], "customer_key": "eve@example.com"}}  # fmt: skip
            refused = deliver(client, mismatched)
            assert (refused.status_code, refused.json()["field"]) == (
                422, "body.data.customer_key",
            )  # fmt: skip
            taken = deliver(client, order).json()
            assert taken["record"] == {
                "system": "ecommerce",
                "entity": "sales_invoice",
                "key": "SO-2001",
            }
            assert (taken["version"], taken["intents_recorded"], taken["writer_refused"]) == (
                1, 2, [],
            )  # fmt: skip
            ann = {"key": "ann@example.com", "name": "Ann Lee", "email": "ann@example.com"}
            event = {"id": "evt_2002", "type": "customer.created", "data": ann}
            assert deliver(client, event).json()["record"]["entity"] == "customer"
        shop = {
            r[0]: r[1] for r in conn.execute(
                "SELECT native_key, payload->>'name' FROM ledger.current_record"
                " WHERE system = 'ecommerce' AND entity = 'customer'"
            ).fetchall()
        }  # fmt: skip
        assert shop == {"bob@example.com": "Bob Hale", "ann@example.com": "Ann Lee"}
        planned = conn.execute(
            "SELECT idempotency_key, entity, target_key FROM ledger.write_intent"
            " WHERE target_system = 'kashflow' AND idempotency_key LIKE 'ecommerce%'"
        ).fetchall()
        [(customer_intent, _, code)] = [p for p in planned if p[1] == "customer"]
        [(_, _, number)] = [p for p in planned if p[1] == "sales_invoice"]
        applier = Applier(conn, {"kashflow": KashFlowTarget(sources.kashflow())},
                          alerter=Alerter(), sleep=lambda seconds: None)  # fmt: skip
        report = applier.apply([customer_intent])  # and the invoice, which depends on it
        assert (report.succeeded, report.dead_lettered) == (2, 0)
        created = sources.kashflow().customers.get(code)
        written = sources.kashflow().invoices.get(int(number))
    assert (created["Name"], created["Email"]) == ("Bob Hale", "bob@example.com")
    assert (written["CustomerReference"], written["CustomerCode"]) == ("SO-2001", code)
