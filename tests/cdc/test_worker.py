"""Continuous CDC on procrastinate: a `ledgerbridge worker` polls each stream on the
schedule stored in the ledger, and `request_poll` has a stream polled now, queued at
most once."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import psycopg

from canonical import Customer
from cdc import request_poll
from cdc.streams import STREAMS
from connectors.kashflow import KashFlowClient
from connectors.sage100 import Sage100Reader, Sage100Writer
from ledger.schedules import set_schedule


def only(conn: psycopg.Connection[Any], wanted: dict[str, int | None]) -> None:
    """Switches every stream off but those in `wanted` (name -> seconds)."""
    for target in STREAMS:
        set_schedule(conn, target.system, target.entity, wanted.get(target.name), "test")


def wait_for(check: Callable[[], bool], seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting")
        time.sleep(0.2)


def newest_name(conn: psycopg.Connection[Any], system: str, key: str) -> str | None:
    row = conn.execute(
        "SELECT payload->>'name' FROM ledger.newest_version WHERE system = %s"
        " AND entity = 'customer' AND native_key = %s",
        (system, key),
    ).fetchone()
    return None if row is None else str(row[0])


def test_request_poll_queues_a_stream_once(
    autocommit: psycopg.Connection[Any], ledger_url: str
) -> None:
    first = request_poll("kashflow", "customer", "webhook", database_url=ledger_url)
    second = request_poll("kashflow", "customer", "webhook again", database_url=ledger_url)
    assert first is not None and second is None
    queued = autocommit.execute(
        "SELECT queueing_lock, lock, status::text FROM procrastinate.procrastinate_jobs"
    ).fetchall()
    assert queued == [("kashflow:customer", "kashflow:customer", "todo")]


def test_a_worker_polls_on_schedule_and_on_request(
    autocommit: psycopg.Connection[Any],
    ledger_url: str,
    start_worker: Callable[..., Any],
    writer: Sage100Writer,
    reader: Sage100Reader,
    client: KashFlowClient,
) -> None:
    only(autocommit, {"sage100:customer": 1})
    start_worker(quick=True)  # `ledgerbridge worker` without loading the other commands
    wait_for(lambda: newest_name(autocommit, "sage100", "01-CEDA0002") is not None)
    cedar = next(c for c in reader.read_all("customer") if c.key == "01-CEDA0002")
    writer.write(cedar.model_copy(update={"name": "Cedar Print Scheduled"}))
    wait_for(lambda: newest_name(autocommit, "sage100", "01-CEDA0002") == "Cedar Print Scheduled")

    client.customers.create_record(Customer(system="kashflow", key="HOOK01", name="By Webhook"))
    assert newest_name(autocommit, "kashflow", "HOOK01") is None  # its stream is off
    request_poll("kashflow", "customer", "webhook", database_url=ledger_url)
    wait_for(lambda: newest_name(autocommit, "kashflow", "HOOK01") == "By Webhook")
    reasons = autocommit.execute(
        "SELECT parameters->>'reason' FROM ledger.sync_run WHERE system = 'kashflow'"
    ).fetchall()
    assert reasons == [("webhook",)]


def _intents(conn: psycopg.Connection[Any]) -> int:
    row = conn.execute("SELECT count(*) FROM ledger.write_intent").fetchone()
    return int(row[0]) if row else 0


def test_a_read_only_worker_polls_but_plans_no_writes(
    autocommit: psycopg.Connection[Any], start_worker: Callable[..., Any]
) -> None:
    only(autocommit, {"sage100:customer": 1})
    reading = start_worker(quick=True, read_only=True)
    wait_for(lambda: newest_name(autocommit, "sage100", "01-CEDA0002") is not None)
    time.sleep(3)  # three writer ticks (LEDGERBRIDGE_CDC__TICK_SECONDS=1) it must not take
    assert _intents(autocommit) == 0
    reading.kill()
    reading.wait(10)
    # The same ledger under a worker that writes: Sage's customers are planned for KashFlow.
    start_worker(quick=True)
    wait_for(lambda: _intents(autocommit) > 0)
