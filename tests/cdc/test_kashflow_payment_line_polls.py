"""A KashFlow invoice's payment lines through whole polls, over real HTTP against the
sandbox into the real ledger: each line is a payment version; a line that cannot be read
is dead-lettered and its payment kept; lines that cannot be read at all delete none of
the invoice's payments; only a line gone from the invoice (or the invoice itself)
deletes its payment, even after a version whose lines could not be read."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import psycopg

from cdc.streams import Sources, stream
from cdc.sync import sync_once
from connectors.kashflow import KashFlowClient
from ledger.dead_letters import dead_letters
from sandbox.kashflow import SandboxServer
from sandbox.kashflow.documents import INVOICE_SUMMARY, summary

INVOICES = [stream("kashflow", "sales_invoice")]


def current_payments(conn: psycopg.Connection[Any], keys: set[str]) -> set[str]:
    rows = conn.execute(
        "SELECT native_key FROM ledger.current_record"
        " WHERE system = 'kashflow' AND entity = 'payment' AND native_key = ANY(%s)",
        (sorted(keys),),
    ).fetchall()
    return {key for (key,) in rows}


def rewrite_lines(server: SandboxServer, number: str, lines: Any, paid: str) -> None:
    """The invoice as KashFlow would hold it with these payment lines (`paid` moves its
    summary, as a payment does, so the poll reads it again)."""
    store = server.sandbox.store
    full = store.get("invoices", number)
    assert full is not None
    full = {**full, "PaymentLines": lines, "TotalPaidAmount": Decimal(paid)}
    store.put("invoices", number, full, summary(full, INVOICE_SUMMARY))


def test_payment_lines_are_kept_unless_gone_from_their_invoice(
    ledger_url: str,
    autocommit: psycopg.Connection[Any],
    sources: Sources,
    server: SandboxServer,
    client: KashFlowClient,
) -> None:
    store = server.sandbox.store
    number = str(json.loads(store.page("invoices", offset=0, limit=1)[0])["Number"])
    made = [
        client.request(
            "POST",
            f"/invoices/{number}/payments",
            json={"Amount": amount, "Date": "2026-03-09", "Reference": f"part {amount}"},
        )
        for amount in ("10.00", "20.00")
    ]
    first, second = (f"R{line['Id']}" for line in made)
    lines = store.get("invoices", number)["PaymentLines"]  # type: ignore[index]
    kept = lines[-2]
    assert [r.status for r in sync_once(ledger_url, sources, INVOICES)] == ["succeeded"]
    assert current_payments(autocommit, {first, second}) == {first, second}

    # Lines that cannot be read at all say nothing of which payments are gone.
    rewrite_lines(server, number, "not a list", "30.01")
    [report] = sync_once(ledger_url, sources, INVOICES)
    assert report.status == "partial"
    [letter] = dead_letters(autocommit, report.run_id)
    assert (letter.entity, letter.native_key) == ("sales_invoice", number)
    assert current_payments(autocommit, {first, second}) == {first, second}

    # A line gone from the invoice deletes its payment, and only that one, even when the
    # version before could not be read (its payments are those of the one before that).
    rewrite_lines(server, number, [*lines[:-2], kept], "10.00")
    [report] = sync_once(ledger_url, sources, INVOICES)
    assert report.status == "succeeded"
    assert current_payments(autocommit, {first, second}) == {first}

    # One line that cannot be read is dead-lettered by its key; its payment is kept.
    rewrite_lines(server, number, [*lines[:-2], {**kept, "Amount": "ten"}], "10.01")
    [report] = sync_once(ledger_url, sources, INVOICES)
    assert report.status == "partial"
    [letter] = dead_letters(autocommit, report.run_id)
    assert (letter.entity, letter.native_key, letter.field) == ("payment", first, "Amount")
    assert current_payments(autocommit, {first, second}) == {first}

    # The invoice deleted: its payments with it.
    assert store.delete("invoices", number)
    [report] = sync_once(ledger_url, sources, INVOICES)
    assert current_payments(autocommit, {first, second}) == set()
