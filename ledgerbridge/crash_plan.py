"""The write plan that the crash test and the crash benchmark kill `ledgerbridge apply` in
the middle of: chains of dependent creates in both sandboxes (KashFlow customer -> invoice
-> receipt, Sage 100 invoice -> receipt), how to run the applier on them, how far the
applier has got, and how to kill it part way.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import IO, Any, NamedTuple

import psycopg

from canonical import Allocation, Customer, DocumentLine, Payment, SalesInvoice, System
from writer.intents import WriteIntent

KASHFLOW_CUSTOMERS = "CRSH"
"""Code prefix of the planned KashFlow customers (then the chain number, two digits or more)."""
KASHFLOW_FIRST_INVOICE = 883000
SAGE100_FIRST_INVOICE = 730000
SAGE100_CUSTOMER = "01-HARB0000"
SAGE100_PRODUCT = "MIR-00000"
SAGE100_RECEIPTS = "SR"
"""Check number prefix of the planned Sage 100 receipts (then the chain number)."""

APPLY_COMMAND = [sys.executable, "-m", "ledgerbridge.writer_commands", "apply"]


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


def crash_intents(chains: int) -> list[WriteIntent]:
    """`chains` of each: KashFlow customer -> invoice -> receipt; Sage 100 invoice ->
    receipt. Five intents a chain, each listed after those that depend on it."""
    intents = []
    for n in range(chains):
        code = f"{KASHFLOW_CUSTOMERS}{n:02d}"
        kf_number = f"{KASHFLOW_FIRST_INVOICE + n}"
        sage_number = f"{SAGE100_FIRST_INVOICE + n}"
        shop = _intent(Customer.build(system="kashflow", key=code, name=f"Crash {n}"), "kashflow")
        sold = _intent(_invoice("kashflow", kf_number, code, None), "kashflow",
                       (shop.idempotency_key,))  # fmt: skip
        paid = _intent(_receipt("kashflow", kf_number, code, f"KR{n:02d}"), "kashflow",
                       (sold.idempotency_key,))  # fmt: skip
        posted = _intent(
            _invoice("sage100", sage_number, SAGE100_CUSTOMER, SAGE100_PRODUCT), "sage100"
        )
        banked = _intent(
            _receipt("sage100", f"0{sage_number}", SAGE100_CUSTOMER,
                     f"{SAGE100_RECEIPTS}{n:02d}"),
            "sage100", (posted.idempotency_key,),
        )  # fmt: skip
        intents += [paid, sold, shop, banked, posted]
    return intents


def applier_env(ledger_url: str, kashflow_url: str, company_db: Path) -> dict[str, str]:
    """The environment `APPLY_COMMAND` runs in: both sandboxes, small batches, short delays."""
    return {
        **os.environ,
        "DATABASE_URL": ledger_url,
        "LEDGERBRIDGE_KASHFLOW__BASE_URL": kashflow_url,
        "LEDGERBRIDGE_KASHFLOW__REQUESTS_PER_SECOND": "500",
        "LEDGERBRIDGE_SAGE100__ODBC_CONNECTION_STRING": f"DRIVER=SQLite3;Database={company_db}",
        "LEDGERBRIDGE_WRITER__BATCH_SIZE": "3",
        "LEDGERBRIDGE_WRITER__BASE_DELAY_SECONDS": "0.05",
    }


def steps_stored(conn: psycopg.Connection[Any]) -> int:
    """How many write outcomes (steps of intents) the ledger holds."""
    row = conn.execute("SELECT count(*) FROM ledger.write_outcome").fetchone()
    return int(row[0]) if row else 0


def attempts_and_recoveries(conn: psycopg.Connection[Any]) -> tuple[int, int]:
    """Attempts started, and attempts that found their record already written."""
    row = conn.execute(
        "SELECT count(*) FILTER (WHERE status = 'started'),"
        " count(*) FILTER (WHERE recovery_point = 'found_after_uncertain')"
        " FROM ledger.write_outcome"
    ).fetchone()
    assert row is not None
    return int(row[0]), int(row[1])


class Interruption(NamedTuple):
    """How one run of the applier ended: `killed`, else it had exited by itself; `stalled`
    when it stored fewer steps than asked for within the patience given."""

    killed: bool
    stalled: bool


def interrupt_apply(
    conn: psycopg.Connection[Any],
    env: dict[str, str],
    output: IO[bytes] | int,
    *,
    steps: int,
    pause: float,
    patience: float = 30.0,
) -> Interruption:
    """Runs `APPLY_COMMAND` (its output and errors to `output`) and, once it has stored
    `steps` more steps, or has stored fewer for `patience` seconds, kills it `pause`
    seconds later unless it has exited by then. Counting steps, not seconds, keeps each
    run's progress the same however busy the machine is."""
    before = steps_stored(conn)
    applier = subprocess.Popen(APPLY_COMMAND, env=env, stdout=output, stderr=subprocess.STDOUT)
    given_up = time.monotonic() + patience
    stalled = False
    while applier.poll() is None and steps_stored(conn) < before + steps:
        if time.monotonic() >= given_up:
            stalled = True
            break
        time.sleep(0.01)
    time.sleep(pause)
    killed = applier.poll() is None
    if killed:
        applier.kill()
    applier.wait(30)
    return Interruption(killed, stalled)
