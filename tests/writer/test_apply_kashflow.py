"""Applying intents to the KashFlow sandbox over real HTTP: a create whose answer is lost
after it committed is found, not posted again; 429s and 5xx are retried by the one
policy; a refusal is a dead letter; the alert webhook is POSTed its JSON summary."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from datetime import date
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any, ClassVar

import psycopg
import pytest

from canonical import Allocation, CanonicalRecord, Customer, DocumentLine, Payment, SalesInvoice
from connectors.kashflow import KashFlowClient
from writer.alerts import Alerter
from writer.apply import Applier
from writer.dead_letters import writer_dead_letters
from writer.intents import WriteIntent

ApplierFactory = Callable[..., Applier]


def intent(
    record: CanonicalRecord, *, depends_on: tuple[str, ...] = (), version: int = 1
) -> WriteIntent:
    return WriteIntent(
        flow=f"{record.entity}_to_kashflow", target_system="kashflow", operation="create",
        record=record, source_system="sage100", source_entity=record.entity,
        source_key=record.key, source_version=version, depends_on=depends_on,
    )  # fmt: skip


def customer(code: str) -> Customer:
    return Customer.build(system="kashflow", key=code, party_number=code, name=f"Shop {code}")


def invoice(number: str, customer_code: str) -> SalesInvoice:
    line = DocumentLine(
        line_no=1, description="Consultancy", quantity=Decimal(1), unit_price=Decimal(100),
        net_amount=Decimal(100), tax_rate=Decimal(20), tax_amount=Decimal(20), gl_account="4000",
    )  # fmt: skip
    return SalesInvoice.build(
        system="kashflow", key=number, customer_key=customer_code, issue_date=date(2026, 3, 1),
        due_date=date(2026, 3, 31), reference=f"PO-{number}", lines=(line,),
        net_amount=Decimal(100), tax_amount=Decimal(20), gross_amount=Decimal(120),
    )  # fmt: skip


def receipt(number: str, customer_code: str) -> Payment:
    return Payment.build(
        system="kashflow", key=f"RC-{number}", kind="receipt", counterparty_key=customer_code,
        payment_date=date(2026, 3, 10), amount=Decimal(120), method="BACS", bank_account="1200",
        reference=f"RC {number}",
        allocations=(Allocation(invoice_key=number, amount=Decimal(120)),),
    )  # fmt: skip


def codes(kashflow: KashFlowClient, prefix: str) -> list[str]:
    return [c["Code"] for c in kashflow.customers.list(perpage=500) if c["Code"].startswith(prefix)]


def test_creates_whose_answer_is_lost_after_commit_are_found_not_repeated(
    make_applier: ApplierFactory, kashflow: KashFlowClient, admin: Any
) -> None:
    shop = intent(customer("WRK001"))
    sold = intent(invoice("881001", "WRK001"), depends_on=(shop.idempotency_key,))
    paid = intent(receipt("881001", "WRK001"), depends_on=(sold.idempotency_key,))
    applier = make_applier()
    applier.submit([shop, sold, paid])
    # Every create is carried out by KashFlow, then its connection drops before the answer.
    admin.faults(drop_after_commit_count=3, methods=["POST"])
    report = applier.apply()
    assert report.succeeded == 3 and report.dead_lettered == 0
    assert codes(kashflow, "WRK") == ["WRK001"]
    assert kashflow.invoices.get(881001)["Status"] == "Paid"
    assert len(kashflow.invoices.payment_lines(881001)) == 1
    assert admin.requests_to("POST /v2/customers") == 1
    assert admin.requests_to("POST /v2/invoices") == 1
    assert applier.apply().succeeded == 0


def test_rate_limits_and_server_errors_are_retried_by_the_one_policy(
    make_applier: ApplierFactory, kashflow: KashFlowClient, admin: Any
) -> None:
    waits: list[float] = []
    applier = make_applier(sleep=waits.append)
    applier.submit([intent(customer("WRK002")), intent(customer("WRK003"))])
    admin.faults(statuses=[429, 503, 503], retry_after="0", methods=["POST"])
    report = applier.apply()
    assert report.succeeded == 2 and report.failed_transient == 0
    assert codes(kashflow, "WRK") == ["WRK002", "WRK003"]


def test_a_server_that_keeps_failing_leaves_the_intent_pending_and_alerts(
    make_applier: ApplierFactory, kashflow: KashFlowClient, admin: Any
) -> None:
    applier = make_applier(failing_after_attempts=2)
    applier.submit([intent(customer("WRK004"))])
    admin.faults(statuses=[503] * 8, methods=["POST"], path_prefix="/v2/customers")
    first = applier.apply()
    assert first.failed_transient == 1 and not applier.alerter.sent
    admin.faults(statuses=[503] * 8, methods=["POST"], path_prefix="/v2/customers")
    assert applier.apply().failed_transient == 1
    assert applier.alerter.sent[-1]["alert"] == "keeps_failing"
    admin.faults()
    assert applier.apply().succeeded == 1
    assert codes(kashflow, "WRK") == ["WRK004"]


class _Hook(BaseHTTPRequestHandler):
    received: ClassVar[list[dict[str, Any]]] = []

    def do_POST(self) -> None:
        length = int(self.headers["Content-Length"])
        _Hook.received.append(json.loads(self.rfile.read(length)))
        self.send_response(204)
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def webhook() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    _Hook.received = []
    server = HTTPServer(("127.0.0.1", 0), _Hook)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/alerts", _Hook.received
    server.shutdown()
    server.server_close()


def test_a_refusal_is_a_dead_letter_and_the_webhook_gets_its_summary(
    make_applier: ApplierFactory,
    kashflow: KashFlowClient,
    autocommit: psycopg.Connection[Any],
    webhook: tuple[str, list[dict[str, Any]]],
    caplog: pytest.LogCaptureFixture,
) -> None:
    url, received = webhook
    applier = make_applier(alerter=Alerter(url))
    # An invoice for a customer KashFlow does not have: referential integrity.
    orphan = intent(invoice("881005", "NOSUCH99"))
    applier.submit([orphan])
    with caplog.at_level("ERROR", logger="writer.alerts"):
        assert applier.apply().dead_lettered == 1
    [letter] = writer_dead_letters(autocommit)
    assert (letter.system, letter.entity, letter.key) == ("kashflow", "sales_invoice", "881005")
    assert letter.idempotency_key == orphan.idempotency_key
    assert letter.error_type == "ValidationFailed" and letter.message
    [alert] = received
    assert alert["alert"] == "dead_letters" and alert["count"] == 1
    assert alert["items"][0]["idempotency_key"] == orphan.idempotency_key
    assert any("writer alert" in r.getMessage() for r in caplog.records)
