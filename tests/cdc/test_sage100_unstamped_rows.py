"""A Sage 100 row written without DateUpdated (no stamp announces it, so no watermark reads
it) is found by the key-set diff and stored; one that cannot be mapped is dead-lettered
once, not at every diff. Over real ODBC against the sandbox's company file, into the
real ledger."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import psycopg

from cdc.streams import Sources, stream
from cdc.sync import sync_once
from ledger.dead_letters import dead_letters

CUSTOMERS = [stream("sage100", "customer")]


def insert_unstamped_customer(company_db: Path, number: str, **values: Any) -> None:
    """A copy of a customer under `number`, with no DateUpdated nor TimeUpdated."""
    with sqlite3.connect(company_db) as sage:
        columns = [c[1] for c in sage.execute("PRAGMA table_info(AR_Customer)")]
        first = sage.execute("SELECT * FROM AR_Customer LIMIT 1").fetchone()
        row = {
            **dict(zip(columns, first, strict=True)),
            "CustomerNo": number,
            "DateUpdated": None,
            "TimeUpdated": None,
            **values,
        }
        sage.execute(
            f"INSERT INTO AR_Customer ({', '.join(columns)})"
            f" VALUES ({', '.join('?' for _ in columns)})",
            [row[c] for c in columns],
        )


def test_a_row_without_a_stamp_is_found_by_the_key_diff(
    ledger_url: str, autocommit: psycopg.Connection[Any], sources: Sources, company_db: Path
) -> None:
    assert [r.status for r in sync_once(ledger_url, sources, CUSTOMERS)] == ["succeeded"]
    insert_unstamped_customer(company_db, "NOSTAMP", CustomerName="Never Stamped Ltd")
    [report] = sync_once(ledger_url, sources, CUSTOMERS)
    assert report.status == "succeeded"
    stored = autocommit.execute(
        "SELECT native_key, payload->>'name' FROM ledger.current_record"
        " WHERE system = 'sage100' AND entity = 'customer' AND native_key LIKE '%%-NOSTAMP'"
    ).fetchall()
    assert [name for _, name in stored] == ["Never Stamped Ltd"]
    [again] = sync_once(ledger_url, sources, CUSTOMERS)
    assert again.appended == 0


def test_an_unstamped_row_that_cannot_be_mapped_is_dead_lettered_once(
    ledger_url: str, autocommit: psycopg.Connection[Any], sources: Sources, company_db: Path
) -> None:
    sync_once(ledger_url, sources, CUSTOMERS)
    insert_unstamped_customer(company_db, "BADSTAMP", CreditLimit="lots")
    [report] = sync_once(ledger_url, sources, CUSTOMERS)
    assert report.status == "partial"
    [letter] = dead_letters(autocommit)
    assert letter.native_key is not None and letter.native_key.endswith("-BADSTAMP")
    assert letter.field == "raw.CreditLimit"
    sync_once(ledger_url, sources, CUSTOMERS)
    assert len(dead_letters(autocommit)) == 1
