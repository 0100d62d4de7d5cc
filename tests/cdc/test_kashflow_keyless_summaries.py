"""A KashFlow list summary without its key (a customer with no Code, an invoice with no
Number), over real HTTP against the sandbox into the real ledger: it is dead-lettered once,
naming the field and what else tells the record, with the summary kept; the rest of the
stream is stored; and while it is there no record the list lacks is taken as deleted (it
may be that one)."""

from __future__ import annotations

import json
import logging
from typing import Any

import psycopg
import pytest

from canonical import Customer, ValidationFailed
from cdc.kashflow_scan import scan_changes
from cdc.streams import Sources, stream
from cdc.sync import sync_once
from connectors.kashflow import KashFlowClient
from ledger.dead_letters import dead_letters
from sandbox.kashflow import SandboxServer
from sandbox.kashflow.documents import CUSTOMER_SUMMARY, INVOICE_SUMMARY, summary

CUSTOMERS = [stream("kashflow", "customer")]


def current_customers(conn: psycopg.Connection[Any]) -> set[str]:
    rows = conn.execute(
        "SELECT native_key FROM ledger.current_record"
        " WHERE system = 'kashflow' AND entity = 'customer'"
    ).fetchall()
    return {key for (key,) in rows}


def put_customer_without_code(server: SandboxServer) -> dict[str, Any]:
    """A customer whose list summary lacks its Code; returns that summary."""
    store = server.sandbox.store
    acme = store.get("customers", "ACME0019")
    assert acme is not None
    record = {**acme, "Code": None, "Name": "No Code Trading Ltd", "Id": 90_001}
    listed = {k: v for k, v in summary(record, CUSTOMER_SUMMARY).items() if k != "Code"}
    store.put("customers", "~NOCODE", record, listed)
    return listed


def test_a_customer_without_its_code_is_dead_lettered_once_and_the_rest_is_stored(
    ledger_url: str, autocommit: psycopg.Connection[Any], sources: Sources, server: SandboxServer
) -> None:
    listed = put_customer_without_code(server)
    [report] = sync_once(ledger_url, sources, CUSTOMERS)
    assert report.status == "partial"
    [letter] = dead_letters(autocommit)
    assert (letter.system, letter.entity, letter.native_key) == ("kashflow", "customer", None)
    assert letter.field == "raw.Code"
    assert letter.message == (
        "Code is missing (Id 90001, Name 'No Code Trading Ltd'): a record without its key"
        " cannot be read, nor told from the others"
    )
    # The summary is kept as it came over the wire.
    assert set(letter.payload) == set(listed)
    assert (letter.payload["Id"], letter.payload["Name"]) == (90_001, "No Code Trading Ltd")
    stored = current_customers(autocommit)
    assert "None" not in stored
    assert len(stored) == server.sandbox.store.count("customers") - 1

    # The next poll finds it again, unchanged: it is not told twice.
    [again] = sync_once(ledger_url, sources, CUSTOMERS)
    assert again.status == "succeeded"
    assert len(dead_letters(autocommit)) == 1


def test_while_a_summary_has_no_key_no_record_missing_from_the_list_is_deleted(
    ledger_url: str,
    autocommit: psycopg.Connection[Any],
    sources: Sources,
    server: SandboxServer,
    client: KashFlowClient,
    caplog: pytest.LogCaptureFixture,
) -> None:
    client.customers.create_record(Customer(system="kashflow", key="GONE01", name="Soon Gone"))
    sync_once(ledger_url, sources, CUSTOMERS)
    assert "GONE01" in current_customers(autocommit)
    client.customers.delete("GONE01")
    put_customer_without_code(server)
    # The summary without a Code might be GONE01's: it is not deleted on this list, and
    # the log says how many deletes wait and why.
    with caplog.at_level(logging.WARNING, logger="cdc"):
        sync_once(ledger_url, sources, CUSTOMERS)
    assert "GONE01" in current_customers(autocommit)
    held = [r for r in caplog.records if r.getMessage().startswith("kashflow deletes held back")]
    assert [r.getMessage() for r in held] == [
        "kashflow deletes held back: 1 summaries without a key"
    ]
    assert (held[0].__dict__["entity"], held[0].__dict__["held_back"]) == ("customer", 1)
    # Once every summary has its key again, what the list lacks is deleted.
    assert server.sandbox.store.delete("customers", "~NOCODE")
    sync_once(ledger_url, sources, CUSTOMERS)
    assert "GONE01" not in current_customers(autocommit)


def test_an_invoice_without_its_number_is_dead_lettered_and_the_others_stored(
    ledger_url: str, autocommit: psycopg.Connection[Any], sources: Sources, server: SandboxServer
) -> None:
    store = server.sandbox.store
    first = json.loads(store.page("invoices", offset=0, limit=1)[0])
    full = store.get("invoices", str(first["Number"]))
    assert full is not None
    record = {**full, "Number": None, "Id": 90_002}
    listed = {k: v for k, v in summary(record, INVOICE_SUMMARY).items() if k != "Number"}
    store.put("invoices", "99999999", record, listed)
    [report] = sync_once(ledger_url, sources, [stream("kashflow", "sales_invoice")])
    assert report.status == "partial"
    [letter] = dead_letters(autocommit)
    assert (letter.entity, letter.native_key, letter.field) == ("sales_invoice", None, "raw.Number")
    assert letter.message.startswith("Number is missing (Id 90002): ")
    stored = autocommit.execute(
        "SELECT count(*) FROM ledger.current_record"
        " WHERE system = 'kashflow' AND entity = 'sales_invoice'"
    ).fetchone()
    assert stored == (store.count("invoices") - 1,)


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (None, "missing"),
        ("  ", "'  ', not a key"),
        (True, "True, not a key"),
        ({}, "{}, not a key"),
    ],
)
def test_the_key_of_a_summary_is_text_or_a_number(
    client: KashFlowClient, value: object, shown: str
) -> None:
    with pytest.raises(ValidationFailed) as refused:
        client.customers.key_of({"Code": value, "Id": 7})
    assert str(refused.value) == (
        f"kashflow/customer field raw.Code: Code is {shown} (Id 7): a record without its key"
        " cannot be read, nor told from the others"
    )
    assert client.invoices.key_of({"Number": 0}) == "0"
    assert client.customers.key_of({"code": "ACME0019"}) == "ACME0019"


def test_a_search_by_key_passes_a_summary_without_one_by(
    client: KashFlowClient, server: SandboxServer
) -> None:
    put_customer_without_code(server)
    assert client.customers.find("ACME0019") is not None
    assert client.customers.find("None") is None


def test_a_change_scan_reports_a_summary_without_its_key_and_reads_the_rest(
    client: KashFlowClient, server: SandboxServer
) -> None:
    put_customer_without_code(server)
    result = scan_changes(client.customers)
    [letter] = result.refused
    assert (letter.entity, letter.key, letter.field) == ("customer", None, "raw.Code")
    assert len(result.changed) == server.sandbox.store.count("customers") - 1
    assert result.summaries_read == server.sandbox.store.count("customers")
