"""The writer from the command line, against the Sage 100 sandbox: `apply`, `approvals
list | approve | reject` and `deadletters list | show | retry ID | retry --all`; and the
apply task on a running worker, whose write has the ledger poll what it touched."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import psycopg
import pytest

from canonical import CanonicalRecord, DocumentLine, Product, SalesInvoice
from cdc.streams import STREAMS
from connectors.sage100 import Sage100Reader
from ledgerbridge.cli import main
from writer.apply import Applier
from writer.intents import WriteIntent
from writer.targets import Sage100Target


def sage_intent(record: CanonicalRecord, **options: Any) -> WriteIntent:
    return WriteIntent(
        flow=f"{record.entity}_to_sage100", target_system="sage100", operation="create",
        record=record, source_system="kashflow", source_entity=record.entity,
        source_key=record.key, source_version=1, **options,
    )  # fmt: skip


def invoice(number: str, product: str = "MIR-00000", amount: int = 10) -> SalesInvoice:
    line = DocumentLine(
        line_no=1, product_key=product, description="Mirror", quantity=Decimal(1),
        unit_price=Decimal(amount), net_amount=Decimal(amount), gl_account="4000-00-00",
    )  # fmt: skip
    return SalesInvoice.build(
        system="sage100", key=number, customer_key="01-HARB0000", issue_date=date(2026, 11, 2),
        lines=(line,), net_amount=Decimal(amount), gross_amount=Decimal(amount),
    )  # fmt: skip


@pytest.fixture
def configured(
    monkeypatch: pytest.MonkeyPatch, ledger_url: str, company_db: Path, tmp_path: Path
) -> Iterator[None]:
    monkeypatch.setenv("LEDGERBRIDGE_CONFIG", str(tmp_path / "absent.toml"))
    monkeypatch.setenv("DATABASE_URL", ledger_url)
    monkeypatch.setenv(
        "LEDGERBRIDGE_SAGE100__ODBC_CONNECTION_STRING", f"DRIVER=SQLite3;Database={company_db}"
    )
    yield


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    try:
        main(args)
        code = 0
    except SystemExit as exited:
        code = int(exited.code or 0)
    return code, capsys.readouterr().out


def posted(reader: Sage100Reader, number: str) -> int:
    sql = "SELECT InvoiceNo FROM AR_InvoiceHistoryHeader WHERE InvoiceNo = ?"
    return len(list(reader.rows(sql, (number,))))


def test_dead_letters_listed_shown_and_retried_from_the_command_line(
    configured: None,
    autocommit: psycopg.Connection[Any],
    sage100_target: Sage100Target,
    reader: Sage100Reader,
    capsys: pytest.CaptureFixture[str],
) -> None:
    Applier(autocommit, {}).submit([sage_intent(invoice("720001", product="CLI-ITEM"))])
    code, out = run(["apply"], capsys)
    assert code == 1 and "dead lettered" in out
    code, out = run(["deadletters", "list"], capsys)
    assert code == 0
    letter_id = autocommit.execute("SELECT max(dead_letter_id) FROM ledger.dead_letter").fetchone()
    assert letter_id is not None
    assert f" {letter_id[0]} " in out and "dead_letter" in out and "ItemCode" in out
    code, out = run(["deadletters", "show", str(letter_id[0])], capsys)
    assert code == 0 and "sales_invoice_to_sage100:kashflow" in out
    assert "field: ItemCode" in out and "The ItemCode CLI-ITEM is not on file." in out
    code, out = run(["deadletters", "retry", str(letter_id[0])], capsys)
    assert code == 1 and posted(reader, "0720001") == 0  # not fixed yet: dead again
    sage100_target.writer.write(
        Product.build(system="sage100", key="CLI-ITEM", name="CLI item", unit_price=10)
    )
    code, out = run(["deadletters", "retry", "--all"], capsys)
    assert code == 0 and posted(reader, "0720001") == 1
    code, out = run(["deadletters", "retry", "--all"], capsys)
    assert code == 0 and "nothing to retry" in out
    code, out = run(["deadletters", "list"], capsys)
    assert "dead_letter" not in out  # landed: listed only with --all
    code, out = run(["deadletters", "list", "--all"], capsys)
    assert "succeeded" in out
    assert posted(reader, "0720001") == 1


def test_approvals_from_the_command_line(
    configured: None,
    autocommit: psycopg.Connection[Any],
    reader: Sage100Reader,
    capsys: pytest.CaptureFixture[str],
) -> None:
    big = sage_intent(invoice("720010", amount=8000), requires_approval=True)
    Applier(autocommit, {}).submit([big])
    assert run(["apply"], capsys)[0] == 0
    code, out = run(["approvals", "list"], capsys)
    assert big.idempotency_key in out and "8000" in out
    assert posted(reader, "0720010") == 0
    assert run(["approvals", "approve", "no-such-key"], capsys)[0] == 1
    code, out = run(["approvals", "approve", big.idempotency_key, "--by", "alice"], capsys)
    assert code == 0 and "approved by alice" in out
    assert run(["apply"], capsys)[0] == 0
    assert posted(reader, "0720010") == 1
    decided = autocommit.execute(
        "SELECT outcome, actor FROM ledger.decision WHERE kind = 'approval'"
    ).fetchall()
    assert decided == [("approved", "alice")]


@pytest.fixture
def worker(ledger_url: str, company_db: Path, tmp_path: Path) -> Iterator[Callable[[], None]]:
    """Starts `python -m ledgerbridge.cdc_commands worker` with every stream's schedule
    off: only a poll requested by a write reads anything."""
    env = {
        **os.environ,
        "LEDGERBRIDGE_CONFIG": str(tmp_path / "absent.toml"),
        "DATABASE_URL": ledger_url,
        "LEDGERBRIDGE_SAGE100__ODBC_CONNECTION_STRING": f"DRIVER=SQLite3;Database={company_db}",
        "LEDGERBRIDGE_CDC__INTERVALS": json.dumps({s.name: "off" for s in STREAMS}),
        "LEDGERBRIDGE_CDC__TICK_SECONDS": "1",
    }
    started: list[subprocess.Popen[bytes]] = []

    def start() -> None:
        log = (tmp_path / "worker.log").open("wb")
        command = [sys.executable, "-m", "ledgerbridge.cdc_commands", "worker"]
        started.append(subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT))

    yield start
    for process in started:
        process.kill()
        process.wait(10)


def test_a_worker_applies_beside_the_polls_and_the_ledger_sees_the_write(
    autocommit: psycopg.Connection[Any], worker: Callable[[], None], tmp_path: Path
) -> None:
    Applier(autocommit, {}).submit([sage_intent(invoice("720020"))])
    worker()
    deadline = time.monotonic() + 60
    seen = None
    while time.monotonic() < deadline and seen is None:
        time.sleep(0.5)
        seen = autocommit.execute(
            "SELECT native_key FROM ledger.record_version WHERE system = 'sage100'"
            " AND entity = 'sales_invoice' AND native_key = '0720020'"
        ).fetchone()
    assert seen is not None, (tmp_path / "worker.log").read_text()[-3000:]
    outcome = autocommit.execute(
        "SELECT status FROM ledger.write_outcome ORDER BY outcome_id DESC LIMIT 1"
    ).fetchone()
    assert outcome == ("succeeded",)
