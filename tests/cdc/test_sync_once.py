"""`sync --once` against both sandboxes, over real ODBC and real HTTP: after creates,
changes and deletes made through each system's own write path, one sync appends exactly
those versions and a second appends nothing; one bad record never stops a stream."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import psycopg
from sage100_fixtures import Clock

from canonical import Customer
from cdc.poll import PollReport
from cdc.streams import Sources
from cdc.sync import sync_once
from connectors.kashflow import KashFlowClient
from connectors.sage100 import Sage100Reader, Sage100Writer
from ledger.dead_letters import dead_letters
from sandbox.kashflow import SandboxServer
from sandbox.kashflow.documents import CUSTOMER_SUMMARY, summary

Version = tuple[str, str, str, int, str]


def written_by(conn: psycopg.Connection[Any], reports: list[PollReport]) -> set[Version]:
    rows = conn.execute(
        "SELECT system::text, entity::text, native_key, version, operation::text"
        " FROM ledger.record_version WHERE run_id = ANY(%s)",
        ([r.run_id for r in reports],),
    ).fetchall()
    return set(rows)


def assert_all_succeeded(reports: list[PollReport]) -> None:
    failed = [(r.system, r.entity, r.error) for r in reports if r.status != "succeeded"]
    assert failed == []


def test_one_sync_appends_exactly_the_changes_and_a_second_nothing(
    ledger_url: str,
    autocommit: psycopg.Connection[Any],
    sources: Sources,
    writer: Sage100Writer,
    reader: Sage100Reader,
    clock: Clock,
    client: KashFlowClient,
) -> None:
    writer.write(Customer.build(system="sage100", key="01-ZGON0001", name="Soon Gone"))
    client.customers.create_record(Customer(system="kashflow", key="GONE01", name="Soon Gone"))
    baseline = sync_once(ledger_url, sources)
    assert_all_succeeded(baseline)
    assert sum(r.appended for r in baseline) > 500

    clock.advance(minutes=5)
    writer.write(Customer.build(system="sage100", key="01-NEWC0001", name="New Customer"))
    clock.advance(seconds=1)
    cedar = next(c for c in reader.read_all("customer") if c.key == "01-CEDA0002")
    writer.write(cedar.model_copy(update={"name": "Cedar Print Group PLC"}))
    clock.advance(seconds=1)
    writer.delete_customer("01-ZGON0001")

    client.customers.create_record(Customer(system="kashflow", key="NEW01", name="New One"))
    acme = client.customers.read("ACME0019")
    client.customers.update_record(acme.model_copy(update={"phone": "0113 496 0000"}))
    client.customers.delete("GONE01")
    unpaid = next(s for s in client.invoices.list(perpage=500) if s["Status"] == "Unpaid")
    line = client.invoices.add_payment_line(
        unpaid["Number"], {"Date": "2026-11-02 12:00:00", "Amount": 5, "Reference": "cdc"}
    )

    changes = sync_once(ledger_url, sources)
    assert_all_succeeded(changes)
    assert written_by(autocommit, changes) == {
        ("sage100", "customer", "01-NEWC0001", 1, "upsert"),
        ("sage100", "customer", "01-CEDA0002", 2, "upsert"),
        ("sage100", "customer", "01-ZGON0001", 2, "delete"),
        ("kashflow", "customer", "NEW01", 1, "upsert"),
        ("kashflow", "customer", "ACME0019", 2, "upsert"),
        ("kashflow", "customer", "GONE01", 2, "delete"),
        ("kashflow", "sales_invoice", str(unpaid["Number"]), 2, "upsert"),
        ("kashflow", "payment", f"R{line['Id']}", 1, "upsert"),
    }
    deleted = {(r.system, r.entity): r.deleted for r in changes if r.deleted}
    assert deleted == {("sage100", "customer"): 1, ("kashflow", "customer"): 1}

    again = sync_once(ledger_url, sources)
    assert_all_succeeded(again)
    assert written_by(autocommit, again) == set()
    assert sum(r.appended + r.deleted for r in again) == 0


def test_a_record_that_reappears_gets_a_new_upsert(
    ledger_url: str,
    autocommit: psycopg.Connection[Any],
    sources: Sources,
    client: KashFlowClient,
) -> None:
    kashflow_customers = [s for s in sync_once_streams(sources) if s.system == "kashflow"]
    client.customers.create_record(Customer(system="kashflow", key="BACK01", name="Comes Back"))
    sync_once(ledger_url, sources, kashflow_customers)
    client.customers.delete("BACK01")
    sync_once(ledger_url, sources, kashflow_customers)
    client.customers.create_record(Customer(system="kashflow", key="BACK01", name="Comes Back"))
    sync_once(ledger_url, sources, kashflow_customers)
    rows = autocommit.execute(
        "SELECT version, operation::text FROM ledger.record_version WHERE system = 'kashflow'"
        " AND entity = 'customer' AND native_key = 'BACK01' ORDER BY version"
    ).fetchall()
    assert rows == [(1, "upsert"), (2, "delete"), (3, "upsert")]


def sync_once_streams(sources: Sources) -> list[Any]:
    from cdc.streams import stream

    return [stream("kashflow", "customer")]


def test_bad_records_are_dead_lettered_and_the_rest_is_stored(
    ledger_url: str,
    autocommit: psycopg.Connection[Any],
    sources: Sources,
    server: SandboxServer,
    company_db: Path,
) -> None:
    long_name = "N" * 10_000
    store = server.sandbox.store
    acme = store.get("customers", "ACME0019")
    assert acme is not None
    for code, name in (("BAD0NUL", "Nul\x00Name Ltd"), ("BAD1LONG", long_name)):
        record = {**acme, "Code": code, "Name": name, "Id": 90_000 + len(code)}
        store.put("customers", code, record, summary(record, CUSTOMER_SUMMARY))
    with sqlite3.connect(company_db) as sage:
        columns = [c[1] for c in sage.execute("PRAGMA table_info(AR_Customer)")]
        row = dict(
            zip(columns, sage.execute("SELECT * FROM AR_Customer LIMIT 1").fetchone(), strict=True)
        )
        for number, name in (("BAD0NUL", "Nul\x00Name Ltd"), ("BAD1LONG", long_name)):
            values = {**row, "CustomerNo": number, "CustomerName": name}
            sage.execute(
                f"INSERT INTO AR_Customer ({', '.join(columns)})"
                f" VALUES ({', '.join('?' for _ in columns)})",
                [values[c] for c in columns],
            )
    from cdc.streams import stream

    reports = sync_once(
        ledger_url, sources, [stream("sage100", "customer"), stream("kashflow", "customer")]
    )
    assert [r.status for r in reports] == ["partial", "partial"]
    letters = {(d.system, d.native_key): d for d in dead_letters(autocommit)}
    # The SQLite ODBC driver ends text at a NUL (C strings), so Sage's NUL record arrives
    # cut ("Nul") and is stored; KashFlow's JSON carries it whole and it is dead-lettered.
    assert set(letters) == {
        ("sage100", "01-BAD1LONG"), ("kashflow", "BAD0NUL"), ("kashflow", "BAD1LONG"),
    }  # fmt: skip
    assert letters[("kashflow", "BAD0NUL")].field == "name"
    assert "NUL" in letters[("kashflow", "BAD0NUL")].message
    assert letters[("kashflow", "BAD1LONG")].field == "name"
    assert letters[("sage100", "01-BAD1LONG")].field == "name"
    assert all(d.entity == "customer" and d.message for d in letters.values())
    stored = autocommit.execute(
        "SELECT system::text, count(*) FROM ledger.current_record WHERE entity = 'customer'"
        " GROUP BY system ORDER BY system"
    ).fetchall()
    in_sources = {"kashflow": store.count("customers") - 2}
    with sqlite3.connect(company_db) as sage:
        in_sources["sage100"] = sage.execute("SELECT count(*) FROM AR_Customer").fetchone()[0] - 1
    assert dict(stored) == in_sources
    runs = autocommit.execute(
        "SELECT e.status, e.counts->>'errors' FROM ledger.sync_run_end AS e"
        " WHERE e.run_id = ANY(%s)",
        ([r.run_id for r in reports],),
    ).fetchall()
    assert sorted(runs) == [("partial", "1"), ("partial", "2")]
