"""KashFlow open documents across list pages: a cycle re-reads the pages of the list sorted
by number that hold the open documents — not the whole list, and no sort order KashFlow
does not document — and an open document that a delete before it moved off its page is
read by number, so its change is not missed.

The company is the sample one (200 invoices) plus 1,200 synthetic invoices, all paid, so
the list has three pages of 500 and only the first holds open documents at the start."""

from __future__ import annotations

import random
import shutil
from pathlib import Path
from typing import Any

import psycopg
import pytest
from run_versions import versions_of

from cdc.poll import poll_stream
from cdc.streams import Sources, stream
from connectors.kashflow import KashFlowClient
from connectors.kashflow.resources import SCAN_PAGE
from sandbox.kashflow import Store
from sandbox.kashflow.seed import pay_synthetic_invoices, seed_company, seed_synthetic_invoices

INVOICES = stream("kashflow", "sales_invoice")
SYNTHETIC = 1_200


@pytest.fixture
def kashflow_db(kashflow_template: Path, tmp_path: Path) -> Path:
    path = Path(shutil.copyfile(kashflow_template, tmp_path / "kashflow.db"))
    store = Store(path)
    seed_company(store, "small", 42)  # what `open_sandbox` seeds when the copy lacks it
    seed_synthetic_invoices(store, SYNTHETIC)
    pay_synthetic_invoices(store, SYNTHETIC, random.Random(1), share=1.0)
    store.close()
    return path


def pages_with_open(client: KashFlowClient) -> set[int]:
    listed = list(client.invoices.list(perpage=SCAN_PAGE, sortby="Number"))
    return {
        rank // SCAN_PAGE + 1
        for rank, summary in enumerate(listed)
        if summary["Status"] in ("Unpaid", "Overdue")
    }


def test_a_cycle_reads_the_pages_holding_open_documents_and_finds_one_that_moved(
    autocommit: psycopg.Connection[Any], sources: Sources, client: KashFlowClient
) -> None:
    numbers = [s["Number"] for s in client.invoices.list(perpage=SCAN_PAGE, sortby="Number")]
    assert len(numbers) == 200 + SYNTHETIC
    poll_stream(autocommit, sources, INVOICES)
    assert pages_with_open(client) == {1}
    idle = poll_stream(autocommit, sources, INVOICES)
    assert (idle.appended, idle.requests) == (0, 2), "new-documents page and page 1"

    # The first document of page 3 becomes open again (a paid document edited: only the
    # sweep sees that), so page 3 now holds an open document; page 2 still holds none.
    moved = str(numbers[2 * SCAN_PAGE])
    for line in client.invoices.payment_lines(moved):
        client.invoices.delete_payment_line(moved, line["Id"])
    poll_stream(autocommit, sources, INVOICES, thorough=True)
    assert pages_with_open(client) == {1, 3}
    idle = poll_stream(autocommit, sources, INVOICES)
    assert (idle.appended, idle.requests) == (0, 3), "new-documents page, pages 1 and 3"

    # A document of page 2 is deleted, so `moved` is now the last of page 2, which the
    # cycle does not read; it is paid in part meanwhile.
    client.invoices.delete(numbers[SCAN_PAGE + 10])
    line = client.invoices.add_payment_line(
        moved, {"Date": "2026-11-02 12:00:00", "Amount": 1, "Reference": "moved"}
    )
    cycle = poll_stream(autocommit, sources, INVOICES)
    assert versions_of(autocommit, cycle.run_id) == {
        ("sales_invoice", moved, 3, "upsert"),
        ("payment", f"R{line['Id']}", 1, "upsert"),
    }
    assert cycle.requests <= 3 + 1 + 2, "lists, the read by number, payment vocabulary"

    sweep = poll_stream(autocommit, sources, INVOICES, thorough=True)
    assert ("sales_invoice", str(numbers[SCAN_PAGE + 10]), 2, "delete") in versions_of(
        autocommit, sweep.run_id
    )
