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
import random
import subprocess
import tempfile
import time
from collections import Counter
from pathlib import Path

import httpx
import psycopg

from connectors.kashflow import KashFlowClient
from connectors.sage100 import Sage100Reader
from ledgerbridge.crash_plan import (
    APPLY_COMMAND,
    KASHFLOW_CUSTOMERS,
    KASHFLOW_FIRST_INVOICE,
    SAGE100_FIRST_INVOICE,
    SAGE100_RECEIPTS,
    applier_env,
    attempts_and_recoveries,
    crash_intents,
    interrupt_apply,
)
from ledgerbridge.testdb import create_migrated_database, drop_database, server_url
from sandbox.datagen import generate_company
from sandbox.kashflow import SandboxConfig, SandboxServer, open_sandbox
from sandbox.sage100.seed import seed_company
from writer.apply import Applier
from writer.outbox import intent_states


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
                intents = crash_intents(chains)
                Applier(conn, {}).submit(intents)
                httpx.put(
                    f"{server.admin_url}/faults",
                    json={"drop_after_commit_count": chains // 2, "methods": ["POST"],
                          "path_prefix": "/v2/invoices"},
                ).raise_for_status()  # fmt: skip
                env = applier_env(url, server.base_url, company)
                kills = runs = 0
                while kills < min_kills and runs < 3 * min_kills:
                    runs += 1
                    # Once it has begun applying (or stalled 30 s), kill it a random moment later.
                    run = interrupt_apply(
                        conn, env, subprocess.DEVNULL, steps=1, pause=chance.uniform(0.0, 0.6)
                    )
                    kills += run.killed
                final = subprocess.run(APPLY_COMMAND, env=env, capture_output=True)
                states = intent_states(conn)
                attempts, found = attempts_and_recoveries(conn)
                with KashFlowClient(
                    base_url=server.base_url, username="sandbox", password="sandbox",
                    memorable_word="ledgerbridge", requests_per_second=None,
                ) as kashflow:  # fmt: skip
                    kf_customers = Counter(
                        c["Code"] for c in kashflow.customers.list(perpage=500)
                        if c["Code"].startswith(KASHFLOW_CUSTOMERS)
                    )  # fmt: skip
                    kf_invoices = Counter(
                        s["Number"] for s in kashflow.invoices.list(perpage=500)
                        if 0 <= s["Number"] - KASHFLOW_FIRST_INVOICE < 1000
                    )  # fmt: skip
                    kf_payments = sum(
                        len(kashflow.invoices.payment_lines(KASHFLOW_FIRST_INVOICE + n))
                        for n in range(chains)
                    )
            with Sage100Reader(f"DRIVER=SQLite3;Database={company}") as reader:
                sage_invoices = Counter(
                    r["InvoiceNo"] for r in reader.rows(
                        "SELECT InvoiceNo FROM AR_InvoiceHistoryHeader WHERE InvoiceNo"
                        f" BETWEEN '0{SAGE100_FIRST_INVOICE}' AND '0{SAGE100_FIRST_INVOICE + 999}'")
                )  # fmt: skip
                sage_receipts = Counter(
                    r["CheckNo"] for r in reader.rows(
                        "SELECT CheckNo FROM AR_CashReceiptsHistory WHERE CheckNo"
                        f" LIKE '{SAGE100_RECEIPTS}%'")
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
