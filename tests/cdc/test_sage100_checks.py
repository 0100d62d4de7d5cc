"""The Sage 100 `supplier_payment` stream over real ODBC: A/P checks posted, corrected and
purged in the company are in the ledger after one `sync --once` exactly as those versions
(in the `payment` stream beside the cash receipts, whose key diff leaves them alone), and
a second sync adds nothing."""

from __future__ import annotations

import sqlite3
from decimal import Decimal
from pathlib import Path
from typing import Any

import psycopg
from sage100_fixtures import Clock
from test_sync_once import assert_all_succeeded, written_by

from cdc.streams import Sources, stream
from cdc.sync import sync_once
from ledger import current
from ledgerbridge.sage100_session import SandboxBOISession
from sandbox.sage100.company import audit_stamp

SAGE_STREAMS = [
    stream("sage100", entity)
    for entity in ("supplier", "purchase_invoice", "payment", "supplier_payment")
]


def post_check(session: SandboxBOISession, vendor_no: str, invoice_no: str, amount: str) -> None:
    """A manual check as a Sage user enters it (Manual Check and Payment Entry)."""
    check = session.open_object("AP_ManualCheck_bus")
    assert check.nSetKeyValue("BankCode$", "A") == 1
    assert check.nSetKeyValue("CheckNo$", "M9001") == 1
    assert check.nSetKey() == 2, check.sLastErrorMsg
    assert check.nSetValue("VendorNo$", vendor_no) == 1, check.sLastErrorMsg
    assert check.nSetValue("CheckDate$", "20261102") == 1
    assert check.oLines.nAddLine() == 1
    assert check.oLines.nSetValue("InvoiceNo$", invoice_no) == 1
    assert check.oLines.nSetValue("AmountPaid", amount) == 1
    assert check.oLines.nWrite() == 1, check.sLastErrorMsg
    assert check.nWrite() == 1, check.sLastErrorMsg


def test_checks_created_changed_and_purged_are_exactly_those_versions(
    ledger_url: str,
    autocommit: psycopg.Connection[Any],
    sources: Sources,
    session: SandboxBOISession,
    company_db: Path,
    clock: Clock,
) -> None:
    baseline = sync_once(ledger_url, sources, SAGE_STREAMS)
    assert_all_succeeded(baseline)
    checks = {
        v.native_key: v
        for v in current(autocommit, "sage100", "payment")
        if v.native_key.startswith("CHECK|")
    }
    receipts = [v for v in current(autocommit, "sage100", "payment") if v.native_key not in checks]
    assert len(checks) > 10 and len(receipts) > 10
    assert all(v.payload and v.payload["kind"] == "supplier_payment" for v in checks.values())
    corrected, purged = sorted(checks)[:2]

    with sqlite3.connect(company_db) as db:
        vendor_no, invoice_no = db.execute(
            "SELECT VendorNo, InvoiceNo FROM AP_OpenInvoice WHERE Balance > 20"
            " ORDER BY VendorNo, InvoiceNo"
        ).fetchone()
    clock.advance(minutes=5)
    post_check(session, vendor_no, invoice_no, "20.00")
    clock.advance(seconds=1)
    stamp = audit_stamp(clock(), "clerk", created=False)
    with sqlite3.connect(company_db) as db:  # a corrected check date; a purged check
        _, bank, check_no, seq = corrected.split("|")
        db.execute(
            "UPDATE AP_CheckHistoryHeader SET CheckDate = '2026-10-30', DateUpdated = ?,"
            " TimeUpdated = ?, UserUpdatedKey = ? WHERE BankCode = ? AND CheckNo = ?"
            " AND CheckSeqNo = ?",
            (stamp["DateUpdated"], stamp["TimeUpdated"], stamp["UserUpdatedKey"], bank,
             check_no, seq),
        )  # fmt: skip
        _, bank, check_no, seq = purged.split("|")
        for table in ("AP_CheckHistoryHeader", "AP_CheckHistoryDetail"):
            db.execute(
                f"DELETE FROM {table} WHERE BankCode = ? AND CheckNo = ? AND CheckSeqNo = ?",
                (bank, check_no, seq),
            )
    db.close()

    changes = sync_once(ledger_url, sources, SAGE_STREAMS)
    assert_all_succeeded(changes)
    invoice_key = f"01-{vendor_no}|{invoice_no}"
    assert written_by(autocommit, changes) == {
        ("sage100", "payment", "CHECK|A|M9001|000000", 1, "upsert"),
        ("sage100", "payment", corrected, checks[corrected].version + 1, "upsert"),
        ("sage100", "payment", purged, checks[purged].version + 1, "delete"),
        ("sage100", "purchase_invoice", invoice_key, 2, "upsert"),
    }
    [new] = [
        v
        for v in current(autocommit, "sage100", "payment")
        if v.native_key.endswith("M9001|000000")
    ]
    assert new.payload is not None
    assert new.payload["counterparty_key"] == f"01-{vendor_no}"
    assert Decimal(new.payload["amount"]) == Decimal("20.00")
    assert [(a["invoice_key"], Decimal(a["amount"])) for a in new.payload["allocations"]] == [
        (invoice_key, Decimal("20.00"))
    ]

    again = sync_once(ledger_url, sources, SAGE_STREAMS)
    assert_all_succeeded(again)
    assert written_by(autocommit, again) == set()
