"""KashFlow document cycles between sweeps: new documents above the high-water mark and
open documents whose summary moved are read in full, for a handful of requests; an edit
to a closed document waits for the next sweep."""

from __future__ import annotations

from typing import Any

import psycopg
import pytest
from run_versions import versions_of

from cdc.poll import poll_stream
from cdc.streams import Sources, stream
from connectors.kashflow import KashFlowClient

INVOICES = stream("kashflow", "sales_invoice")


def test_a_cycle_reads_new_and_moved_open_documents_only(
    autocommit: psycopg.Connection[Any], sources: Sources, client: KashFlowClient
) -> None:
    first = poll_stream(autocommit, sources, INVOICES)  # the first poll is a sweep
    assert first.read > 100
    idle = poll_stream(autocommit, sources, INVOICES)
    assert (idle.appended, idle.deleted) == (0, 0)
    assert idle.requests <= 4, "new-documents page and the pages holding open documents"

    summaries = list(client.invoices.list(perpage=500))
    unpaid = [s for s in summaries if s["Status"] == "Unpaid"]
    part_paid, to_settle = unpaid[0], unpaid[1]
    closed = next(s for s in summaries if s["Status"] == "Paid")
    line = client.invoices.add_payment_line(
        part_paid["Number"], {"Date": "2026-11-02 12:00:00", "Amount": 1, "Reference": "part"}
    )
    settle = client.invoices.add_payment_line(
        to_settle["Number"],
        {"Date": "2026-11-02 12:00:00", "Amount": to_settle["DueAmount"], "Reference": "all"},
    )
    template = client.invoices.read(str(part_paid["Number"]))
    new = client.invoices.create_record(
        template.model_copy(update={"key": "99001", "amount_paid": 0})
    )
    paid = client.invoices.read(str(closed["Number"]))
    client.invoices.update_record(paid.model_copy(update={"reference": "LATE EDIT"}))

    cycle = poll_stream(autocommit, sources, INVOICES)
    assert versions_of(autocommit, cycle.run_id) == {
        ("sales_invoice", str(part_paid["Number"]), 2, "upsert"),
        ("sales_invoice", str(to_settle["Number"]), 2, "upsert"),
        ("sales_invoice", new.key, 1, "upsert"),
        ("payment", f"R{line['Id']}", 1, "upsert"),
        ("payment", f"R{settle['Id']}", 1, "upsert"),
    }
    assert cycle.requests <= 4 + 2 + 3, "lists, payment vocabulary, three full reads"

    sweep = poll_stream(autocommit, sources, INVOICES, thorough=True)
    assert versions_of(autocommit, sweep.run_id) == {
        ("sales_invoice", str(closed["Number"]), 2, "upsert")
    }


def test_the_sweep_cadence_decides_when_closed_edits_are_seen(
    autocommit: psycopg.Connection[Any], company_db: Any, server: Any, client: KashFlowClient
) -> None:
    from cdc.outcome import PollSettings
    from connectors.sage100 import Sage100Reader
    from ledgerbridge.config import load_settings

    def sources_sweeping_every(seconds: str) -> Sources:
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv("LEDGERBRIDGE_CDC__SWEEP_SECONDS", seconds)
            configured: PollSettings = load_settings().cdc.poll_settings()
        return Sources(
            sage100=lambda: Sage100Reader(f"DRIVER=SQLite3;Database={company_db}"),
            kashflow=lambda: KashFlowClient(
                base_url=server.base_url,
                username="sandbox",
                password="sandbox",
                memorable_word="ledgerbridge",
                requests_per_second=None,
            ),
            settings=configured,
        )

    hourly, always = sources_sweeping_every("3600"), sources_sweeping_every("0.001")
    with hourly, always:
        poll_stream(autocommit, hourly, INVOICES)
        closed = next(s for s in client.invoices.list(perpage=500) if s["Status"] == "Paid")
        paid = client.invoices.read(str(closed["Number"]))
        client.invoices.update_record(paid.model_copy(update={"reference": "CLOSED EDIT"}))
        assert poll_stream(autocommit, hourly, INVOICES).appended == 0
        assert poll_stream(autocommit, always, INVOICES).appended == 1
