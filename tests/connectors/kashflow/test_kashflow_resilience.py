"""The client under a difficult KashFlow: rate limits (429 with Retry-After honoured,
and pacing that keeps under the limit), 5xx, dropped connections, cut-off bodies, slow
answers, and creates whose outcome was lost, over real HTTP with injected faults."""

from __future__ import annotations

import math
import socket
import time
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from email.utils import formatdate
from pathlib import Path
from typing import Any

import pytest

from canonical import (
    Allocation,
    ConnectionLost,
    Customer,
    Payment,
    RateLimited,
    TransientError,
)
from connectors.kashflow import KashFlowClient, RetryPolicy, ServerError
from connectors.kashflow.errors import NotSent, retry_after_seconds
from sandbox.kashflow import SandboxConfig, SandboxServer, open_sandbox, seed_synthetic_invoices


def test_429_waits_as_long_as_retry_after_says(client_factory: Any, admin: Any) -> None:
    """The sleeps the client asks for add up to the one second the server asked, once:
    the retry's back-off and the pacer's hold are not both slept in full."""
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        time.sleep(seconds)

    client = client_factory(sleep=sleep)
    client.login()
    admin.faults(statuses=[429], retry_after="1")
    account = client.bank_accounts.get(1)
    assert account["Code"] == 1200
    assert client.stats.rate_limited == 1 and client.stats.retries == 1
    assert sum(slept) == pytest.approx(1.0, abs=0.05), slept


def test_retry_after_as_an_http_date_is_honoured(client: KashFlowClient, admin: Any) -> None:
    client.login()
    admin.faults(statuses=[429], retry_after=formatdate(time.time() + 2, usegmt=True))
    started = time.monotonic()
    client.bank_accounts.get(1)
    assert time.monotonic() - started >= 1.0  # an HTTP date has whole seconds


def test_retry_after_reads_seconds_and_dates() -> None:
    now = 1_700_000_000.0
    assert retry_after_seconds("3", now) == 3.0
    assert retry_after_seconds(formatdate(now + 5, usegmt=True), now) == pytest.approx(5, abs=1)
    assert retry_after_seconds(formatdate(now - 5, usegmt=True), now) == 0.0
    assert retry_after_seconds("soon", now) is None
    assert retry_after_seconds(None, now) is None


def test_the_sandbox_limits_each_token_and_says_when_to_come_back(
    client_factory: Any, admin: Any
) -> None:
    admin.limits(rate_limit_per_second=5, rate_limit_burst=1)
    eager = client_factory(requests_per_second=None)
    eager.login()
    for _ in range(3):
        eager.bank_accounts.get(1)
    assert eager.stats.rate_limited >= 1, "an unpaced client hits the limit"
    assert admin.stats()["RateLimited"] == eager.stats.rate_limited


def test_pacing_stays_under_the_limit_and_uses_most_of_it(client_factory: Any, admin: Any) -> None:
    admin.limits(rate_limit_per_second=20, rate_limit_burst=2)
    paced = client_factory(requests_per_second=20)
    paced.login()
    waited_before = paced.pacer.waited
    for _ in range(30):
        paced.bank_accounts.get(1)
    assert admin.stats()["RateLimited"] == 0
    # Slots run on a fixed schedule, so 30 requests never wait longer in all than the 30
    # intervals from the login's last slot to theirs, however slow the machine (a timed
    # rate would be flaky). Not 29: the first of them waits for the slot after the
    # login's request, which has just been taken (1.468 s was measured once).
    assert paced.pacer.waited - waited_before <= 30 / 20 + 1e-6


@pytest.mark.parametrize("status", [502, 503, 504])
def test_gateway_and_unavailable_errors_are_retried(
    client: KashFlowClient, admin: Any, status: int
) -> None:
    client.login()
    admin.faults(statuses=[status, status])
    assert client.customers.read("ACME0019").key == "ACME0019"
    assert client.stats.retries == 2


def test_an_internal_error_is_transient_but_not_retried_blindly(
    client: KashFlowClient, admin: Any
) -> None:
    client.login()
    admin.faults(statuses=[500])
    with pytest.raises(ServerError) as failed:
        client.customers.get("ACME0019")
    assert isinstance(failed.value, TransientError) and failed.value.status == 500
    assert admin.requests_to("GET /v2/customers/ACME0019") == 1


def test_retries_end_after_max_retries_with_the_last_error(client_factory: Any, admin: Any) -> None:
    kashflow = client_factory(retry=RetryPolicy(max_retries=2, base_delay=0.01))
    kashflow.login()
    admin.faults(statuses=[503, 503, 503, 503])
    with pytest.raises(ServerError):
        kashflow.customers.get("ACME0019")
    assert admin.requests_to("GET /v2/customers/ACME0019") == 3


def test_exhausted_rate_limit_retries_raise_rate_limited(client_factory: Any, admin: Any) -> None:
    kashflow = client_factory(retry=RetryPolicy(max_retries=1, base_delay=0.01))
    kashflow.login()
    admin.faults(statuses=[429, 429], retry_after="0")
    with pytest.raises(RateLimited) as limited:
        kashflow.customers.get("ACME0019")
    assert limited.value.retry_after == 0


def test_dropped_connections_are_retried(client: KashFlowClient, admin: Any) -> None:
    client.login()
    admin.faults(drop_count=2)
    assert len(list(client.invoices.list(perpage=100))) == 200
    assert client.stats.retries == 2


def test_a_body_cut_off_halfway_is_retried(client: KashFlowClient, admin: Any) -> None:
    client.login()
    admin.faults(truncate_count=1)
    assert client.invoices.read("10001").key == "10001"
    assert client.stats.retries == 1


def test_a_slow_answer_times_out_and_is_retried(client_factory: Any, admin: Any) -> None:
    # A second of timeout, so a busy machine's ordinary answer is not taken for slow.
    kashflow = client_factory(timeout_seconds=1.0)
    kashflow.login()
    admin.faults(slow_count=1, slow_seconds=3.0)
    assert kashflow.bank_accounts.get(1)["Id"] == 1
    assert kashflow.stats.retries == 1


def a_customer(key: str) -> Customer:
    return Customer(
        system="kashflow", key=key, party_number=key, name=f"Idempotent {key}", city="Leeds"
    )


def test_a_create_whose_answer_was_lost_is_found_not_posted_again(
    client: KashFlowClient, admin: Any
) -> None:
    client.login()
    admin.faults(drop_after_commit_count=1, methods=["POST"])
    assert client.customers.create_record(a_customer("IDEM01")) == a_customer("IDEM01")
    assert admin.requests_to("POST /v2/customers") == 1
    assert admin.requests_to("GET /v2/customers/IDEM01") == 1


def test_a_create_refused_before_it_happened_is_posted_again(
    client: KashFlowClient, admin: Any
) -> None:
    client.login()
    admin.faults(statuses=[503], methods=["POST"])
    assert client.customers.create_record(a_customer("IDEM02")) == a_customer("IDEM02")
    assert admin.requests_to("POST /v2/customers") == 2


def test_a_plain_post_is_never_retried_after_an_uncertain_outcome(
    client: KashFlowClient, admin: Any
) -> None:
    client.login()
    admin.faults(drop_after_commit_count=1, methods=["POST"])
    with pytest.raises(ConnectionLost):
        client.customers.create({"Code": "IDEM03", "Name": "Once only"})
    assert admin.requests_to("POST /v2/customers") == 1
    assert client.customers.find("IDEM03") is not None


def test_a_payment_whose_answer_was_lost_is_recorded_once(
    client: KashFlowClient, admin: Any
) -> None:
    number = str(next(s for s in client.invoices.list() if s["TotalPaidAmount"] == 0)["Number"])
    payment = Payment(
        system="kashflow", key="PAY-IDEM", kind="receipt", payment_date=date(2026, 5, 5),
        amount=Decimal("1.23"), method="Card", reference="Lost answer",
        allocations=(Allocation(invoice_key=number, amount=Decimal("1.23")),),
    )  # fmt: skip
    client.payments.vocabulary()
    admin.faults(drop_after_commit_count=1, methods=["POST"])
    [made] = client.payments.record(payment)
    assert made.reference == "Lost answer"
    lines = client.invoices.payment_lines(number)
    assert [line["Reference"] for line in lines].count("Lost answer") == 1


@pytest.fixture(scope="module")
def big_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxServer]:
    db = Path(tmp_path_factory.mktemp("kashflow-big")) / "kashflow.db"
    sandbox = open_sandbox(db, SandboxConfig(rate_limit_per_second=None))
    seed_synthetic_invoices(sandbox.store, 10_000)
    with SandboxServer(sandbox) as running:
        yield running


def test_paging_reads_every_one_of_ten_thousand_invoices_once(big_server: SandboxServer) -> None:
    with KashFlowClient(
        base_url=big_server.base_url, username="sandbox", password="sandbox",
        memorable_word="ledgerbridge", requests_per_second=None,
    ) as kashflow:  # fmt: skip
        numbers = [summary["Number"] for summary in kashflow.invoices.list(perpage=500)]
        requests = kashflow.stats.requests - 2  # the two login steps
    assert len(numbers) == len(set(numbers)) == 10_200
    assert numbers == sorted(numbers)
    assert requests == math.ceil(10_200 / 500)


def test_paging_follows_sort_order_across_pages(big_server: SandboxServer) -> None:
    with KashFlowClient(
        base_url=big_server.base_url, username="sandbox", password="sandbox",
        memorable_word="ledgerbridge", requests_per_second=None,
    ) as kashflow:  # fmt: skip
        amounts = [
            s["GrossAmount"]
            for s in kashflow.invoices.list(perpage=500, sortby="GrossAmount", order="Desc")
        ]
    assert len(amounts) == 10_200
    assert amounts == sorted(amounts, reverse=True)


def test_an_unreachable_kashflow_is_a_lost_connection_after_retries(client_factory: Any) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    kashflow = client_factory(
        base_url=f"http://127.0.0.1:{port}/v2", retry=RetryPolicy(max_retries=2, base_delay=0.01)
    )
    with pytest.raises(NotSent) as lost:
        kashflow.customers.get("ACME0019")
    assert isinstance(lost.value, ConnectionLost) and isinstance(lost.value, TransientError)
    assert kashflow.stats.requests == 3
