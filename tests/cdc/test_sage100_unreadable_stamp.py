"""A Sage 100 row whose stamp cannot be read stops its own stream's poll with one line naming
the record and the column (no poll could see the record change, so none passes over it),
the other streams go on, and once the stamp reads again the stream catches up. Over real
ODBC against the sandbox's company file, into the real ledger."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import psycopg

from cdc.streams import Sources, stream
from cdc.sync import sync_once


def test_an_unreadable_stamp_stops_its_stream_by_name_and_the_rest_goes_on(
    ledger_url: str, autocommit: psycopg.Connection[Any], sources: Sources, company_db: Path
) -> None:
    streams = [stream("sage100", "customer"), stream("sage100", "supplier")]
    assert [r.status for r in sync_once(ledger_url, sources, streams)] == ["succeeded"] * 2
    with sqlite3.connect(company_db) as sage:
        division, number, time_updated = sage.execute(
            "SELECT ARDivisionNo, CustomerNo, TimeUpdated FROM AR_Customer"
            " ORDER BY DateUpdated DESC, TimeUpdated DESC LIMIT 1"
        ).fetchone()
        sage.execute(
            "UPDATE AR_Customer SET TimeUpdated = 'noon', CustomerName = 'Renamed Ltd'"
            " WHERE ARDivisionNo = ? AND CustomerNo = ?",
            [division, number],
        )
    customers, suppliers = sync_once(ledger_url, sources, streams)
    assert customers.status == "failed" and suppliers.status == "succeeded"
    assert customers.error == (
        f"sage100/customer/{division}-{number} field raw.TimeUpdated: TimeUpdated is 'noon',"
        " not a number: no change to this record can be seen"
    )
    with sqlite3.connect(company_db) as sage:
        sage.execute(
            "UPDATE AR_Customer SET TimeUpdated = ? WHERE ARDivisionNo = ? AND CustomerNo = ?",
            [time_updated, division, number],
        )
    customers, _ = sync_once(ledger_url, sources, streams)
    assert customers.status == "succeeded"
    name = autocommit.execute(
        "SELECT payload->>'name' FROM ledger.current_record"
        " WHERE system = 'sage100' AND entity = 'customer' AND native_key = %s",
        (f"{division}-{number}",),
    ).fetchone()
    assert name == ("Renamed Ltd",)
