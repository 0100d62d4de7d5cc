"""Exactly once under SIGKILL: `ledgerbridge apply` runs as a subprocess against both
sandboxes (KashFlow over HTTP, with creates whose answer is lost after commit; Sage 100
through the BOI emulator) and is killed at random moments — before its calls, while they
are in flight, after them before their outcomes are stored — at least 20 times, then
run to the end. Each target then holds each record exactly once, and every intent has
succeeded."""

from __future__ import annotations

import os
import random
import subprocess
import sys
import time
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import psycopg

from canonical import Allocation, Customer, DocumentLine, Payment, SalesInvoice, System
from connectors.kashflow import KashFlowClient
from connectors.sage100 import Sage100Reader
from sandbox.kashflow import SandboxServer
from writer.apply import Applier
from writer.intents import WriteIntent
from writer.outbox import intent_states

MIN_KILLS = 20
# Enough work that a fast machine cannot finish it all in fewer than MIN_KILLS runs.
RECORDS_PER_SYSTEM = 32


def _intent(record: Any, target: System, depends_on: tuple[str, ...] = ()) -> WriteIntent:
    return WriteIntent(
        flow=f"{record.entity}_to_{target}", target_system=target, operation="create",
        record=record, source_system="sage100" if target == "kashflow" else "kashflow",
        source_entity=record.entity, source_key=record.key, source_version=1,
        depends_on=depends_on,
    )  # fmt: skip


def _invoice(system: str, number: str, customer: str, product: str | None) -> SalesInvoice:
    line = DocumentLine(
        line_no=1, product_key=product, description="Crash test", quantity=Decimal(1),
        unit_price=Decimal(50), net_amount=Decimal(50), gl_account="4000-00-00"
        if system == "sage100" else "4000",
    )  # fmt: skip
    return SalesInvoice.build(
        system=system, key=number, customer_key=customer, issue_date=date(2026, 11, 2),
        due_date=date(2026, 11, 30), reference=f"PO-{number}", lines=(line,),
        net_amount=Decimal(50), gross_amount=Decimal(50),
    )  # fmt: skip


def _receipt(system: str, number: str, customer: str, check: str) -> Payment:
    return Payment.build(
        system=system, key=check, kind="receipt", counterparty_key=customer,
        payment_date=date(2026, 11, 3), amount=Decimal(50), method="BACS",
        bank_account="1200" if system == "kashflow" else None, reference=check,
        allocations=(Allocation(invoice_key=number, amount=Decimal(50)),),
    )  # fmt: skip


def steps_stored(conn: psycopg.Connection[Any]) -> int:
    row = conn.execute("SELECT count(*) FROM ledger.write_outcome").fetchone()
    return int(row[0]) if row else 0


def crash_intents() -> list[WriteIntent]:
    """KashFlow: customer -> invoice -> receipt chains; Sage 100: invoice -> receipt."""
    intents = []
    for n in range(RECORDS_PER_SYSTEM):
        code = f"CRSH{n:02d}"
        shop = _intent(Customer.build(system="kashflow", key=code, name=f"Crash {n}"), "kashflow")
        sold = _intent(
            _invoice("kashflow", f"{883000 + n}", code, None), "kashflow", (shop.idempotency_key,)
        )
        paid = _intent(
            _receipt("kashflow", f"{883000 + n}", code, f"KR{n:02d}"), "kashflow",
            (sold.idempotency_key,),
        )  # fmt: skip
        posted = _intent(
            _invoice("sage100", f"{730000 + n}", "01-HARB0000", "MIR-00000"), "sage100"
        )
        banked = _intent(
            _receipt("sage100", f"0{730000 + n}", "01-HARB0000", f"SR{n:02d}"), "sage100",
            (posted.idempotency_key,),
        )  # fmt: skip
        intents += [paid, sold, shop, banked, posted]
    return intents


def test_sigkilled_appliers_leave_every_record_written_exactly_once(
    ledger_url: str,
    company_db: Path,
    server: SandboxServer,
    kashflow: KashFlowClient,
    autocommit: psycopg.Connection[Any],
    tmp_path: Path,
) -> None:
    Applier(autocommit, {}).submit(crash_intents())
    httpx.put(
        f"{server.admin_url}/faults",
        json={"drop_after_commit_count": 4, "methods": ["POST"], "path_prefix": "/v2/invoices"},
    ).raise_for_status()
    env = {
        **os.environ,
        "DATABASE_URL": ledger_url,
        "LEDGERBRIDGE_KASHFLOW__BASE_URL": server.base_url,
        "LEDGERBRIDGE_KASHFLOW__REQUESTS_PER_SECOND": "500",
        "LEDGERBRIDGE_SAGE100__ODBC_CONNECTION_STRING": f"DRIVER=SQLite3;Database={company_db}",
        "LEDGERBRIDGE_WRITER__BATCH_SIZE": "3",
        "LEDGERBRIDGE_WRITER__BASE_DELAY_SECONDS": "0.05",
    }
    command = [sys.executable, "-m", "ledgerbridge.writer_commands", "apply"]
    chance = random.Random(20261129)
    kills = runs = 0
    with (tmp_path / "apply.log").open("wb") as log:
        while kills < MIN_KILLS and runs < 3 * MIN_KILLS:
            runs += 1
            before = steps_stored(autocommit)
            applier = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
            # Once it has stored a random number of steps, kill it a random moment later:
            # between phases, in a call, or after calls whose outcomes are not stored yet.
            # Counting steps, not seconds, keeps each run's progress the same however
            # busy the machine is.
            steps = chance.randint(1, 6)
            waited = time.monotonic() + 30
            while applier.poll() is None and steps_stored(autocommit) < before + steps:
                assert time.monotonic() < waited, "the applier never began"
                time.sleep(0.01)
            time.sleep(chance.uniform(0.0, 0.1))
            if applier.poll() is None:
                applier.kill()
                kills += 1
            applier.wait(30)
            if {st.stage for st in intent_states(autocommit)} == {"succeeded"}:
                break  # nothing left to interrupt
        finished = subprocess.run(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    assert kills >= MIN_KILLS
    assert finished.returncode == 0, (tmp_path / "apply.log").read_text()[-3000:]

    states = intent_states(autocommit)
    assert len(states) == 5 * RECORDS_PER_SYSTEM
    assert {s.stage for s in states} == {"succeeded"}, [
        (s.idempotency_key, s.stage) for s in states if s.stage != "succeeded"
    ]
    codes = [c["Code"] for c in kashflow.customers.list(perpage=500) if c["Code"][:4] == "CRSH"]
    assert sorted(codes) == [f"CRSH{n:02d}" for n in range(RECORDS_PER_SYSTEM)]
    numbers = [
        s["Number"] for s in kashflow.invoices.list(perpage=500) if 883000 <= s["Number"] < 883100
    ]
    assert sorted(numbers) == [883000 + n for n in range(RECORDS_PER_SYSTEM)]
    for n in range(RECORDS_PER_SYSTEM):
        assert len(kashflow.invoices.payment_lines(883000 + n)) == 1
    with Sage100Reader(f"DRIVER=SQLite3;Database={company_db}") as reader:
        posted = [
            r["InvoiceNo"]
            for r in reader.rows(
                "SELECT InvoiceNo FROM AR_InvoiceHistoryHeader WHERE InvoiceNo LIKE '07300%'"
            )
        ]
        banked = [
            r["CheckNo"]
            for r in reader.rows(
                "SELECT CheckNo FROM AR_CashReceiptsHistory WHERE CheckNo LIKE 'SR%'"
            )
        ]
    assert sorted(posted) == [f"0{730000 + n}" for n in range(RECORDS_PER_SYSTEM)]
    assert sorted(banked) == [f"SR{n:02d}" for n in range(RECORDS_PER_SYSTEM)]
    attempts = autocommit.execute(
        "SELECT count(*) FILTER (WHERE status = 'started'),"
        " count(*) FILTER (WHERE recovery_point = 'found_after_uncertain')"
        " FROM ledger.write_outcome"
    ).fetchone()
    assert attempts is not None
    started, found = attempts
    print(f"kills={kills} runs={runs} attempts={started} found_after_crash={found}")
    assert started > len(states)  # kills cut attempts short, which were started again
