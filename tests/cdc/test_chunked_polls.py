"""Polls are committed in chunks of `chunk_records`: each chunk's versions, digests and
checkpoint in one transaction, so a large first load holds one chunk in memory, and a
poll that stopped half way (its process killed: here, its chunks abandoned after the
second was committed) is taken up by the next poll where it stopped, with no version
missing and none duplicated. Against both sandboxes, over real ODBC and real HTTP."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
import pytest
from sage100_fixtures import Clock

from canonical import Customer
from cdc.outcome import PollSettings, PollStart
from cdc.poll import PollReport, commit_chunk, poll_stream
from cdc.streams import Sources, stream
from connectors.kashflow import KashFlowClient
from connectors.sage100 import Sage100Reader, Sage100Writer
from ledger import start_run
from ledger.checkpoints import latest_checkpoint
from ledgerbridge.cdc_commands import sources_of
from ledgerbridge.config import load_settings

CHUNK = 4


@pytest.fixture
def chunked(company_db: Path, client_factory: Callable[..., KashFlowClient]) -> Sources:
    """Sources whose polls commit `CHUNK` records at a time."""
    return Sources(
        sage100=lambda: Sage100Reader(f"DRIVER=SQLite3;Database={company_db}"),
        kashflow=client_factory,
        settings=PollSettings(chunk_records=CHUNK),
    )


def versions(conn: psycopg.Connection[Any], system: str, entity: str) -> dict[str, list[int]]:
    rows = conn.execute(
        "SELECT native_key, version FROM ledger.record_version WHERE system = %s"
        " AND entity = %s ORDER BY native_key, version",
        (system, entity),
    ).fetchall()
    found: dict[str, list[int]] = {}
    for key, version in rows:
        found.setdefault(key, []).append(version)
    return found


def commit_two_chunks_then_stop(
    conn: psycopg.Connection[Any], sources: Sources, system: str, entity: str
) -> int:
    """Commits a first poll's first two chunks as `poll_stream` does, then abandons the
    rest (what a SIGKILL between two chunks leaves); returns the records they read."""
    poller = sources.poller(stream(system, entity))
    run_id = start_run(conn, "poll", system, entity)
    report = PollReport(system, entity, run_id)
    position = latest_checkpoint(conn, system, entity)
    chunks = poller.chunks(PollStart(conn, position, datetime.now(UTC)))
    for _ in range(2):
        outcome = next(chunks)
        assert not outcome.final
        with conn.transaction():
            commit_chunk(conn, outcome, position, report)
        position = outcome.position or position
    return report.read


def test_a_sage_first_load_commits_chunk_by_chunk(
    autocommit: psycopg.Connection[Any], chunked: Sources
) -> None:
    with chunked as sources:
        report = poll_stream(autocommit, sources, stream("sage100", "customer"))
        keys = sources.sage100().key_set("customer")
    assert report.read == len(keys) > 3 * CHUNK
    stored = versions(autocommit, "sage100", "customer")
    assert set(stored) == keys and all(v == [1] for v in stored.values())
    checkpoints = autocommit.execute(
        "SELECT count(*) FROM ledger.checkpoint WHERE run_id = %s", (report.run_id,)
    ).fetchone()
    assert checkpoints == (-(-len(keys) // CHUNK),)  # one per chunk
    with chunked as sources:
        again = poll_stream(autocommit, sources, stream("sage100", "customer"))
    assert (again.appended, again.deleted) == (0, 0)


def test_a_sage_load_that_stopped_goes_on_where_it_stopped(
    autocommit: psycopg.Connection[Any],
    chunked: Sources,
    writer: Sage100Writer,
    clock: Clock,
) -> None:
    with chunked as sources:
        done = commit_two_chunks_then_stop(autocommit, sources, "sage100", "customer")
        assert done == 2 * CHUNK
        position = latest_checkpoint(autocommit, "sage100", "customer")
        assert position is not None and "loading" in position
        clock.advance(seconds=5)  # a record added while the load was stopped
        writer.write(Customer.build(system="sage100", key="01-ZLAT0001", name="Late Ltd"))
        report = poll_stream(autocommit, sources, stream("sage100", "customer"))
        keys = sources.sage100().key_set("customer")
    assert report.read == len(keys) - done
    stored = versions(autocommit, "sage100", "customer")
    assert set(stored) == keys and all(v == [1] for v in stored.values())
    position = latest_checkpoint(autocommit, "sage100", "customer")
    assert position is not None and "loading" not in position and "watermark" in position


def test_sage_changes_come_in_stamp_order_chunks(
    chunked: Sources, autocommit: psycopg.Connection[Any], clock: Clock, writer: Sage100Writer
) -> None:
    with chunked as sources:
        poll_stream(autocommit, sources, stream("sage100", "customer"))
        clock.advance(minutes=10)
        edited = [f"01-ZCHG{i:04d}" for i in range(3 * CHUNK - 1)]
        for key in edited:
            clock.advance(seconds=1)
            writer.write(Customer.build(system="sage100", key=key, name=f"{key} Ltd"))
        report = poll_stream(autocommit, sources, stream("sage100", "customer"))
        assert (report.read, report.appended) == (len(edited), len(edited))
        idle = poll_stream(autocommit, sources, stream("sage100", "customer"))
    assert (idle.read, idle.appended) == (0, 0)
    checkpoints = autocommit.execute(
        "SELECT count(*) FROM ledger.checkpoint WHERE run_id = %s", (report.run_id,)
    ).fetchone()
    assert checkpoints == (3,)


def test_a_kashflow_customer_pass_that_stopped_reads_only_the_rest(
    autocommit: psycopg.Connection[Any], chunked: Sources
) -> None:
    with chunked as sources:
        done = commit_two_chunks_then_stop(autocommit, sources, "kashflow", "customer")
        report = poll_stream(autocommit, sources, stream("kashflow", "customer"))
        listed = {c["Code"] for c in sources.kashflow().customers.list(perpage=500)}
    assert done == 2 * CHUNK and report.read == len(listed) - done
    stored = versions(autocommit, "kashflow", "customer")
    assert set(stored) == listed and all(v == [1] for v in stored.values())


def test_a_kashflow_sweep_that_stopped_goes_on_at_the_next_poll(
    autocommit: psycopg.Connection[Any],
    chunked: Sources,
    client: KashFlowClient,
) -> None:
    with chunked as sources:
        done = commit_two_chunks_then_stop(autocommit, sources, "kashflow", "sales_invoice")
        position = latest_checkpoint(autocommit, "kashflow", "sales_invoice")
        assert position is not None and position.get("sweeping") is True
        report = poll_stream(autocommit, sources, stream("kashflow", "sales_invoice"))
    numbers = {str(s["Number"]) for s in client.invoices.list(perpage=500)}
    stored = versions(autocommit, "kashflow", "sales_invoice")
    assert set(stored) == numbers and all(v == [1] for v in stored.values())
    assert report.read >= len(numbers) - done  # its payment lines are read too
    payments = versions(autocommit, "kashflow", "payment")
    assert payments and all(v == [1] for v in payments.values())
    position = latest_checkpoint(autocommit, "kashflow", "sales_invoice")
    assert position is not None and "sweeping" not in position and position["swept_at"]


def test_the_chunk_size_comes_from_configuration(
    autocommit: psycopg.Connection[Any], company_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LEDGERBRIDGE_CDC__CHUNK_RECORDS", "5")
    monkeypatch.setenv(
        "LEDGERBRIDGE_SAGE100__ODBC_CONNECTION_STRING", f"DRIVER=SQLite3;Database={company_db}"
    )
    with sources_of(load_settings()) as sources:
        report = poll_stream(autocommit, sources, stream("sage100", "supplier"))
    checkpoints = autocommit.execute(
        "SELECT count(*) FROM ledger.checkpoint WHERE run_id = %s", (report.run_id,)
    ).fetchone()
    assert report.read > 5 and checkpoints == (-(-report.read // 5),)
