"""Benchmark: exactly-once writes under SIGKILL, at scale.

Plans KashFlow customer -> invoice -> receipt chains and Sage 100 invoice -> receipt
chains, then runs `python -m ledgerbridge.writer_commands apply` against both sandboxes
(KashFlow over HTTP, some invoice creates losing their answer after commit; Sage 100
through the BOI emulator) and, each time it has begun applying, kills it with SIGKILL
a random moment later, at least 100 times (25 with --quick), before a last run to the
end. Counts duplicates in both targets and intents without a final outcome (goal: none
of either), and how many attempts found their record already written by a killed one.
Ends with one line of name=value pairs.

    .venv/bin/python bench/writer_crash.py [--quick]
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import psycopg

from canonical import Allocation, Customer, DocumentLine, Payment, SalesInvoice, System
from connectors.kashflow import KashFlowClient
from connectors.sage100 import Sage100Reader
from ledgerbridge.testdb import create_migrated_database, drop_database, server_url
from sandbox.datagen import generate_company
from sandbox.kashflow import SandboxConfig, SandboxServer, open_sandbox
from sandbox.sage100.seed import seed_company
from writer.apply import Applier
from writer.intents import WriteIntent
from writer.outbox import intent_states


def _intent(record: Any, target: System, depends_on: tuple[str, ...] = ()) -> WriteIntent:
    return WriteIntent(
        flow=f"{record.entity}_to_{target}", target_system=target, operation="create",
        record=record, source_system="sage100" if target == "kashflow" else "kashflow",
        source_entity=record.entity, source_key=record.key, source_version=1,
        depends_on=depends_on,
    )  # fmt: skip


def _invoice(system: str, number: str, customer: str) -> SalesInvoice:
    line = DocumentLine(
        line_no=1, description="Crash bench", quantity=Decimal(1), unit_price=Decimal(50),
        net_amount=Decimal(50), gl_account="4000-00-00" if system == "sage100" else "4000",
        product_key="MIR-00000" if system == "sage100" else None,
    )  # fmt: skip
    return SalesInvoice.build(
        system=system, key=number, customer_key=customer, issue_date=date(2026, 11, 2),
        lines=(line,), net_amount=Decimal(50), gross_amount=Decimal(50),
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


def planned(chains: int) -> list[WriteIntent]:
    intents = []
    for n in range(chains):
        code = f"BCR{n:04d}"
        shop = _intent(Customer.build(system="kashflow", key=code, name=f"Bench {n}"), "kashflow")
        sold = _intent(_invoice("kashflow", f"{884000 + n}", code), "kashflow",
                       (shop.idempotency_key,))  # fmt: skip
        paid = _intent(_receipt("kashflow", f"{884000 + n}", code, f"KB{n:04d}"), "kashflow",
                       (sold.idempotency_key,))  # fmt: skip
        posted = _intent(_invoice("sage100", f"{740000 + n}", "01-HARB0000"), "sage100")
        banked = _intent(_receipt("sage100", f"0{740000 + n}", "01-HARB0000", f"SB{n:04d}"),
                         "sage100", (posted.idempotency_key,))  # fmt: skip
        intents += [paid, sold, shop, banked, posted]
    return intents


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="25 kills")
    args = parser.parse_args()
    min_kills = 25 if args.quick else 100
    chains = 40 if args.quick else 150
    pg = server_url()
    name, url = create_migrated_database(pg, "lbbench_crash")
    chance = random.Random(20261129)
    started = time.perf_counter()
    try:
        with tempfile.TemporaryDirectory() as scratch:
            company = Path(scratch) / "sage100.db"
            seed_company(company, generate_company("small", 42))
            sandbox = open_sandbox(
                Path(scratch) / "kashflow.db", SandboxConfig(rate_limit_per_second=None)
            )
            with SandboxServer(sandbox) as server, psycopg.connect(url, autocommit=True) as conn:
                intents = planned(chains)
                Applier(conn, {}).submit(intents)
                httpx.put(
                    f"{server.admin_url}/faults",
                    json={"drop_after_commit_count": chains // 2, "methods": ["POST"],
                          "path_prefix": "/v2/invoices"},
                ).raise_for_status()  # fmt: skip
                env = {
                    **os.environ, "DATABASE_URL": url,
                    "LEDGERBRIDGE_KASHFLOW__BASE_URL": server.base_url,
                    "LEDGERBRIDGE_KASHFLOW__REQUESTS_PER_SECOND": "500",
                    "LEDGERBRIDGE_SAGE100__ODBC_CONNECTION_STRING":
                        f"DRIVER=SQLite3;Database={company}",
                    "LEDGERBRIDGE_WRITER__BATCH_SIZE": "3",
                    "LEDGERBRIDGE_WRITER__BASE_DELAY_SECONDS": "0.05",
                }  # fmt: skip
                command = [sys.executable, "-m", "ledgerbridge.writer_commands", "apply"]
                kills = runs = 0
                while kills < min_kills and runs < 3 * min_kills:
                    runs += 1
                    before = steps_stored(conn)
                    applier = subprocess.Popen(
                        command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
                    )
                    # Once it has begun applying, kill it a random moment later.
                    waited = time.monotonic() + 30
                    while (
                        applier.poll() is None
                        and steps_stored(conn) == before
                        and time.monotonic() < waited
                    ):
                        time.sleep(0.02)
                    time.sleep(chance.uniform(0.0, 0.6))
                    if applier.poll() is None:
                        applier.kill()
                        kills += 1
                    applier.wait(30)
                final = subprocess.run(command, env=env, capture_output=True)
                states = intent_states(conn)
                row = conn.execute(
                    "SELECT count(*) FILTER (WHERE status = 'started'), count(*) FILTER"
                    " (WHERE recovery_point = 'found_after_uncertain') FROM ledger.write_outcome"
                ).fetchone()
                assert row is not None
                attempts, found = row
                with KashFlowClient(
                    base_url=server.base_url, username="sandbox", password="sandbox",
                    memorable_word="ledgerbridge", requests_per_second=None,
                ) as kashflow:  # fmt: skip
                    kf_customers = Counter(
                        c["Code"] for c in kashflow.customers.list(perpage=500)
                        if c["Code"].startswith("BCR")
                    )  # fmt: skip
                    kf_invoices = Counter(
                        s["Number"] for s in kashflow.invoices.list(perpage=500)
                        if 884000 <= s["Number"] < 885000
                    )  # fmt: skip
                    kf_payments = sum(
                        len(kashflow.invoices.payment_lines(884000 + n)) for n in range(chains)
                    )
            with Sage100Reader(f"DRIVER=SQLite3;Database={company}") as reader:
                sage_invoices = Counter(
                    r["InvoiceNo"] for r in reader.rows(
                        "SELECT InvoiceNo FROM AR_InvoiceHistoryHeader WHERE InvoiceNo"
                        " BETWEEN '0740000' AND '0749999'")
                )  # fmt: skip
                sage_receipts = Counter(
                    r["CheckNo"] for r in reader.rows(
                        "SELECT CheckNo FROM AR_CashReceiptsHistory WHERE CheckNo LIKE 'SB%'")
                )  # fmt: skip
    finally:
        drop_database(pg, name)
    counts = [kf_customers, kf_invoices, sage_invoices, sage_receipts]
    duplicates = sum(n - 1 for c in counts for n in c.values()) + max(0, kf_payments - chains)
    missing = sum(chains - len(c) for c in counts) + max(0, chains - kf_payments)
    unfinished = sum(1 for s in states if s.stage != "succeeded")
    seconds = time.perf_counter() - started
    print(f"{len(intents)} intents, {kills} SIGKILLs over {runs} runs, last run exit"
          f" {final.returncode}, {seconds:.0f}s")  # fmt: skip
    print(f"attempts started {attempts}; found already written after a kill: {found}")
    print(f"duplicates {duplicates}, missing {missing}, intents without a final outcome"
          f" {unfinished}")  # fmt: skip
    print(
        f"intents={len(intents)} kills={kills} attempts={attempts} found_after_crash={found}"
        f" duplicates={duplicates} missing={missing} unfinished={unfinished}"
    )


if __name__ == "__main__":
    main()
