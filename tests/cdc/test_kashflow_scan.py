"""The change scan: large pages of summaries, a hash per summary, full reads only for
what changed since the state the caller kept, and deletes found by absence."""

from __future__ import annotations

import math
from datetime import date
from decimal import Decimal
from typing import Any

from canonical import Customer, SalesInvoice
from cdc.kashflow_scan import ScanState, scan_changes, summary_hash
from connectors.kashflow import KashFlowClient


def test_summary_hash_ignores_key_order_and_number_formatting() -> None:
    one = {"Number": 1, "GrossAmount": Decimal("46.0000"), "Status": "Paid"}
    same = {"Status": "Paid", "GrossAmount": Decimal("46"), "Number": 1}
    assert summary_hash(one) == summary_hash(same)
    assert summary_hash(one) != summary_hash({**one, "Status": "Unpaid"})


def test_a_first_scan_reads_everything_and_a_second_nothing(client: KashFlowClient) -> None:
    first = scan_changes(client.invoices, perpage=500)
    total = first.summaries_read
    assert len(first.changed) == total == len(first.state.hashes)
    assert all(isinstance(record, SalesInvoice) and record.lines for record in first.changed)
    assert first.list_requests == math.ceil(total / 500)
    again = scan_changes(client.invoices, first.state, perpage=500)
    assert again.changed == [] and again.deleted == [] and again.full_reads == 0
    assert again.list_requests == first.list_requests


def test_only_changed_records_are_read_in_full(client: KashFlowClient) -> None:
    before = scan_changes(client.invoices, perpage=500).state
    unpaid = next(s for s in client.invoices.list(perpage=500) if s["TotalPaidAmount"] == 0)
    client.invoices.add_payment_line(
        unpaid["Number"], {"Date": "2026-05-01 12:00:00", "Amount": 5, "Reference": "scan"}
    )
    invoice = client.invoices.read("10002")
    client.invoices.update_record(invoice.model_copy(update={"due_date": date(2027, 1, 1)}))
    result = scan_changes(client.invoices, before, perpage=500)
    assert sorted(r.key for r in result.changed) == sorted([str(unpaid["Number"]), "10002"])
    assert result.full_reads == 2
    assert result.changed[0].content_hash != ""


def test_deleted_records_are_reported_by_key(client: KashFlowClient) -> None:
    client.customers.create_record(Customer(system="kashflow", key="GONE01", name="Soon Gone"))
    before = scan_changes(client.customers).state
    client.customers.delete("GONE01")
    result = scan_changes(client.customers, before)
    assert result.deleted == ["GONE01"]
    assert "GONE01" not in result.state.hashes


def test_customers_keep_their_last_updated_watermark(client: KashFlowClient) -> None:
    before = scan_changes(client.customers).state
    assert before.last_updated is not None
    customer = client.customers.read("ACME0019")
    client.customers.update_record(customer.model_copy(update={"phone": "0113 000000"}))
    result = scan_changes(client.customers, before)
    assert [r.key for r in result.changed] == ["ACME0019"]
    assert result.state.last_updated is not None
    assert result.state.last_updated > before.last_updated


def test_state_is_plain_data_the_caller_can_store(client: KashFlowClient) -> None:
    state = scan_changes(client.suppliers).state
    stored: dict[str, Any] = {"hashes": dict(state.hashes), "last_updated": state.last_updated}
    restored = ScanState(**stored)
    assert scan_changes(client.suppliers, restored).changed == []
