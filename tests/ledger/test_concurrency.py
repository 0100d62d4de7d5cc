"""Concurrent appenders of the same record get consecutive versions: no duplicate, no gap."""

from __future__ import annotations

import threading
from multiprocessing import get_context
from typing import Any

import psycopg

from ledger import NewVersion, append_versions, history

WRITES_EACH = 40


def _append_many(url: str, writer: str, errors: list[BaseException]) -> None:
    try:
        with psycopg.connect(url) as conn:
            for i in range(WRITES_EACH):
                shared = NewVersion("kashflow", "sales_invoice", "10001",
                                    {"writer": writer, "step": i})  # fmt: skip
                own = NewVersion("kashflow", "sales_invoice", f"{writer}-{i}", {"step": i})
                append_versions(conn, [shared, own])
    except BaseException as exc:  # surfaced by the test, not swallowed
        errors.append(exc)


def _assert_consecutive(url: str, writers: int) -> None:
    with psycopg.connect(url) as conn:
        versions = [v.version for v in history(conn, "kashflow", "sales_invoice", "10001")]
        assert versions == list(range(1, writers * WRITES_EACH + 1))
        steps = [
            (v.payload or {}).get("writer")
            for v in history(conn, "kashflow", "sales_invoice", "10001")
        ]
        assert {s for s in steps} == {f"w{i}" for i in range(writers)}


def test_two_threads_appending_one_record(ledger_url: str) -> None:
    errors: list[BaseException] = []
    threads = [
        threading.Thread(target=_append_many, args=(ledger_url, f"w{i}", errors)) for i in range(2)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    _assert_consecutive(ledger_url, 2)


def _process_entry(url: str, writer: str) -> None:
    errors: list[BaseException] = []
    _append_many(url, writer, errors)
    if errors:
        raise errors[0]


def test_three_processes_appending_one_record(ledger_url: str) -> None:
    context = get_context("spawn")
    processes = [
        context.Process(target=_process_entry, args=(ledger_url, f"w{i}")) for i in range(3)
    ]
    for process in processes:
        process.start()
    for process in processes:
        process.join(timeout=120)

    assert [p.exitcode for p in processes] == [0, 0, 0]
    _assert_consecutive(ledger_url, 3)


def test_different_streams_do_not_wait_for_each_other(
    conn: psycopg.Connection[Any], ledger_url: str
) -> None:
    # Holding the kashflow/customer stream lock must not block sage100/customer appends.
    with conn.transaction():
        conn.execute(
            "SELECT pg_advisory_xact_lock("
            "hashtextextended('ledger.record_version:kashflow:customer', 0))"
        )
        with psycopg.connect(ledger_url) as other:
            other.execute("SET lock_timeout = '2s'")
            result = append_versions(other, [NewVersion("sage100", "customer", "01-A", {"n": 1})])
    assert result.appended == 1
