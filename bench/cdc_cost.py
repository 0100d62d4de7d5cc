"""Benchmark: what a CDC cycle costs the source systems, and how long a change takes to
reach the ledger.

For each company size (customers and invoices per system), polls each stream once from
an empty ledger (a full read), then an idle cycle, then a cycle after 1% changed through
each system's own write path (Sage 100: the BOI emulator, edited customers and new
invoices; KashFlow: REST, edited customers, payments on open invoices and new invoices).
Reports KashFlow requests and Sage 100 rows read per cycle, against a full re-read
(KashFlow: every summary page plus one GET per record, which is what the first poll
does; Sage 100: every row of the entity's tables, read once more on its own). The
KashFlow company is written by the sandbox's own seeding straight into its store, and
the sandbox runs without a rate limit, so only the first poll's own GETs bound a large
first load (`--systems kashflow` also skips seeding a large Sage 100 company). Then,
with two read-only workers running (`python -m ledgerbridge.cdc_commands worker
--read-only`: change capture alone, no writer planning or applying between the two
sandboxes), the
change-to-ledger latency p50/p95 of
Sage 100 customer edits with a 5 s interval, and of KashFlow edits followed by
`request_poll` (the webhook path). Ends with one line of name=value pairs.

    .venv/bin/python bench/cdc_cost.py [--quick]   # --quick: 1,000 of each, about a minute
    .venv/bin/python bench/cdc_cost.py --sizes 10000,100000 [--systems kashflow]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal
from itertools import islice
from pathlib import Path
from typing import Any

import psycopg

from canonical import DocumentLine, SalesInvoice
from cdc import request_poll
from cdc.outcome import PollSettings
from cdc.poll import PollReport, poll_stream
from cdc.streams import STREAMS, Sources
from connectors.kashflow import KashFlowClient
from connectors.sage100 import Sage100Reader, Sage100Writer
from ledger.schedules import set_schedule
from ledgerbridge.sage100_session import SandboxBOISession
from ledgerbridge.testdb import create_migrated_database, drop_database, server_url
from sandbox.datagen import CompanySize, generate_company
from sandbox.kashflow import SandboxConfig, SandboxServer, Store, open_sandbox
from sandbox.kashflow.seed import (
    pay_synthetic_invoices,
    seed_synthetic_customers,
    seed_synthetic_invoices,
)
from sandbox.kashflow.seed import seed_company as seed_kashflow_company
from sandbox.sage100.seed import seed_company

MEASURED = ("customer", "sales_invoice")
KASHFLOW_METHOD = (
    "KashFlow: the sandbox seeds each company straight into its own store (no REST), and its"
    " rate limit is off for the whole run (SandboxConfig(rate_limit_per_second=None), the"
    " client unpaced) so the first load is not throttled; the idle and 1% cycles run the"
    " pollers over HTTP and count every request. Full re-read = the requests the first poll"
    " (from an empty ledger) made."
)
Costs = dict[str, dict[str, int]]


def seed_kashflow(db: Path, size: int, rng: random.Random) -> None:
    """The small sample company, then `size` customers and invoices, 90% of them paid,
    written by the sandbox's own seeding straight into its store (not through REST)."""
    store = Store(db)
    seed_kashflow_company(store, "small", 42)
    seed_synthetic_customers(store, size)
    seed_synthetic_invoices(store, size)
    pay_synthetic_invoices(store, size, rng)
    store.close()


def poll_measured(url: str, sources: Sources, systems: Sequence[str]) -> dict[str, PollReport]:
    reports = {}
    with psycopg.connect(url, autocommit=True) as conn:
        for target in STREAMS:
            if target.entity in MEASURED and target.system in systems:
                reports[target.name] = poll_stream(conn, sources, target)
    return reports


def change_one_percent(
    size: int, writer: Sage100Writer, reader: Sage100Reader, client: KashFlowClient,
    rng: random.Random, clock: list[datetime], systems: Sequence[str],
) -> None:  # fmt: skip
    count = max(1, size // 100)
    if "sage100" in systems:
        change_sage100(count, writer, reader, rng, clock)
    if "kashflow" in systems:
        change_kashflow(count, size, client, rng)


def change_sage100(
    count: int, writer: Sage100Writer, reader: Sage100Reader, rng: random.Random,
    clock: list[datetime],
) -> None:  # fmt: skip
    sage_customers = [c for c in reader.read_all("customer")]
    for number, customer in enumerate(rng.sample(sage_customers, count // 2 or 1)):
        clock[0] += timedelta(milliseconds=50)
        writer.write(customer.model_copy(update={"phone": f"0800 {number:06d}"}))
    product = next(iter(reader.read_all("product"))).key
    for number in range(count - count // 2):
        clock[0] += timedelta(milliseconds=50)
        line = DocumentLine(line_no=1, product_key=product, description="Mirror",
                            unit_price=Decimal(40), net_amount=Decimal(40),
                            gl_account="4000-00-00")  # fmt: skip
        writer.write(
            SalesInvoice.build(
                system="sage100", key=f"{900_000 + number:07d}", customer_key=sage_customers[0].key,
                issue_date=date(2026, 11, 2), due_date=date(2026, 12, 2), lines=(line,),
                net_amount=Decimal(40), gross_amount=Decimal(40),
            )
        )  # fmt: skip


def change_kashflow(count: int, size: int, client: KashFlowClient, rng: random.Random) -> None:
    for i in rng.sample(range(size), count // 2 or 1):
        client.customers.update(f"SYN{i:06d}", {"Name": f"Synthetic {i} edited"})
    newest = client.invoices.list(perpage=500, sortby="Number", order="Desc")
    unpaid = list(islice((s for s in newest if s["Status"] == "Unpaid"), count // 4 or 1))
    for summary in unpaid:
        client.invoices.add_payment_line(
            summary["Number"], {"Date": "2026-11-02 12:00:00", "Amount": 1, "Reference": "bench"}
        )
    template = client.invoices.get(str(unpaid[0]["Number"]))
    for number in range(count // 4 or 1):
        body = {**template, "Number": 2_000_000 + number, "PaymentLines": []}
        client.invoices.create(body)


def measure_costs(size: int, folder: Path, pg: str, systems: Sequence[str]) -> Costs:
    rng = random.Random(size)
    started = time.perf_counter()
    company = folder / f"sage100-{size}.db"
    if "sage100" in systems:
        seed_company(company, generate_company(CompanySize(size, 10, 10, size, 0, 0), seed=7))
    else:  # not measured: the sample company, for the Sage 100 pieces the bench opens
        seed_company(company, generate_company("small", 42))
    kashflow_db = folder / f"kashflow-{size}.db"
    seed_kashflow(kashflow_db, size if "kashflow" in systems else 0, rng)
    print(f"\n{size:,} customers and invoices in {' and '.join(systems)}, seeded in"
          f" {time.perf_counter() - started:.0f}s")  # fmt: skip
    name, url = create_migrated_database(pg, "lbbench")
    clock = [datetime(2026, 11, 2, 9, 0)]
    costs: Costs = {}
    try:
        sandbox = open_sandbox(kashflow_db, SandboxConfig(rate_limit_per_second=None))
        with SandboxServer(sandbox) as server:
            options: dict[str, Any] = {"base_url": server.base_url, "username": "sandbox",
                                       "password": "sandbox", "memorable_word": "ledgerbridge",
                                       "requests_per_second": None}  # fmt: skip
            connection = f"DRIVER=SQLite3;Database={company}"
            with (
                Sources(lambda: Sage100Reader(connection, batch_size=2000),
                        lambda: KashFlowClient(**options), PollSettings()) as sources,
                KashFlowClient(**options) as client,
                Sage100Reader(connection) as reader,
            ):  # fmt: skip
                full = poll_measured(url, sources, systems)
                reread = {}
                for entity in MEASURED if "sage100" in systems else ():  # a plain full read
                    before = reader.rows_fetched
                    sum(1 for _ in reader.read_sourced(entity))
                    reread[f"sage100:{entity}"] = reader.rows_fetched - before
                idle = poll_measured(url, sources, systems)
                session = SandboxBOISession(
                    company, clock=lambda: clock[0], today=date(2026, 11, 2)
                )
                writer = Sage100Writer(session, reader.lookups())
                change_one_percent(size, writer, reader, client, rng, clock, systems)
                session.close()
                changed = poll_measured(url, sources, systems)
                for key, first in full.items():
                    measure = "requests" if key.startswith("kashflow") else "rows_read"
                    costs[key] = {
                        "records": first.read,
                        "full": reread.get(key, getattr(first, measure)),
                        "idle": getattr(idle[key], measure),
                        "changed": getattr(changed[key], measure),
                        "changed_read": changed[key].read,
                        "load_s": round(first.seconds),
                    }
    finally:
        drop_database(pg, name)
    print(f"{'stream':28}{'records':>9}{'full re-read':>14}{'idle cycle':>12}{'1% cycle':>10}"
          f"{'1% / full':>10}{'first load':>12}")  # fmt: skip
    for key, row in costs.items():
        unit = "req" if key.startswith("kashflow") else "rows"
        share = row["changed"] / row["full"]
        print(f"{key:28}{row['records']:>9,}{row['full']:>10,} {unit:4}{row['idle']:>8,} "
              f"{unit:4}{row['changed']:>6,} {unit:4}{share:>9.2%}"
              f"{row['load_s']:>11,}s")  # fmt: skip
    return costs


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def measure_latency(folder: Path, pg: str, samples: int) -> dict[str, float]:
    """Two workers; Sage 100 customer edits polled every 5 s, KashFlow edits requested."""
    company = folder / "latency-sage100.db"
    seed_company(company, generate_company("small", 42))
    kashflow_db = folder / "latency-kashflow.db"
    sandbox = open_sandbox(kashflow_db, SandboxConfig(rate_limit_per_second=None))
    name, url = create_migrated_database(pg, "lblatency")
    workers: list[subprocess.Popen[bytes]] = []
    try:
        with SandboxServer(sandbox) as server, psycopg.connect(url, autocommit=True) as conn:
            for target in STREAMS:
                seconds = 5 if target.name == "sage100:customer" else None
                set_schedule(conn, target.system, target.entity, seconds, "bench")
            env = {**os.environ, "DATABASE_URL": url,
                   "LEDGERBRIDGE_KASHFLOW__BASE_URL": server.base_url,
                   "LEDGERBRIDGE_KASHFLOW__REQUESTS_PER_SECOND": "200",
                   "LEDGERBRIDGE_SAGE100__ODBC_CONNECTION_STRING":
                       f"DRIVER=SQLite3;Database={company}",
                   "LEDGERBRIDGE_CDC__TICK_SECONDS": "1"}  # fmt: skip
            command = [sys.executable, "-m", "ledgerbridge.cdc_commands", "worker", "--read-only"]
            workers = [
                subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL) for _ in range(2)
            ]
            request_poll("kashflow", "customer", "bench warm-up", database_url=url)
            wait_for(conn, "kashflow", "ACME0019", None, 120)
            wait_for(conn, "sage100", "01-CEDA0002", None, 120)
            session = SandboxBOISession(company, today=date.today())
            with Sage100Reader(f"DRIVER=SQLite3;Database={company}") as reader, \
                    KashFlowClient(base_url=server.base_url, username="sandbox",
                                   password="sandbox", memorable_word="ledgerbridge",
                                   requests_per_second=None) as client:  # fmt: skip
                writer = Sage100Writer(session, reader.lookups())
                cedar = next(c for c in reader.read_all("customer") if c.key == "01-CEDA0002")
                sage, kashflow = [], []
                rng = random.Random(5)
                for i in range(samples):
                    time.sleep(rng.uniform(0, 5))  # any moment of the 5 s interval
                    label = f"Cedar latency {i}"
                    changed_at = time.monotonic()
                    writer.write(cedar.model_copy(update={"name": label}))
                    sage.append(wait_for(conn, "sage100", "01-CEDA0002", label, 60) - changed_at)
                    label = f"Acme latency {i}"
                    changed_at = time.monotonic()
                    client.customers.update("ACME0019", {"Name": label})
                    request_poll("kashflow", "customer", "bench edit", database_url=url)
                    found = wait_for(conn, "kashflow", "ACME0019", label, 60)
                    kashflow.append(found - changed_at)
            session.close()
    finally:
        for worker in workers:
            worker.terminate()
        for worker in workers:
            try:
                worker.wait(20)
            except subprocess.TimeoutExpired:
                worker.kill()
        drop_database(pg, name)
    result = {
        "sage_5s_p50_s": statistics.median(sage), "sage_5s_p95_s": percentile(sage, 0.95),
        "request_poll_p50_s": statistics.median(kashflow),
        "request_poll_p95_s": percentile(kashflow, 0.95),
    }  # fmt: skip
    print(f"\nchange-to-ledger latency over {samples} edits each:")
    print(f"  Sage 100 customer, 5 s interval: p50 {result['sage_5s_p50_s']:.2f}s,"
          f" p95 {result['sage_5s_p95_s']:.2f}s")  # fmt: skip
    print(f"  KashFlow customer, request_poll: p50 {result['request_poll_p50_s']:.2f}s,"
          f" p95 {result['request_poll_p95_s']:.2f}s")  # fmt: skip
    return result


def wait_for(
    conn: psycopg.Connection[Any], system: str, key: str, name: str | None, seconds: float
) -> float:
    """Waits until the record's newest version has `name` (any version when None)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        row = conn.execute(
            "SELECT payload->>'name' FROM ledger.newest_version WHERE system = %s"
            " AND entity = 'customer' AND native_key = %s",
            (system, key),
        ).fetchone()
        if row is not None and (name is None or row[0] == name):
            return time.monotonic()
        time.sleep(0.05)
    raise RuntimeError(f"{system} {key} did not reach the ledger within {seconds} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1,000 of each, about a minute")
    parser.add_argument("--sizes", default=None, help="comma-separated, default 10000,100000")
    parser.add_argument("--samples", type=int, default=None, help="latency edits per path")
    parser.add_argument("--systems", default="sage100,kashflow", help="whose costs to measure")
    args = parser.parse_args()
    systems = args.systems.split(",")
    sizes = [int(s) for s in (args.sizes or ("1000" if args.quick else "10000,100000")).split(",")]
    samples = args.samples or (4 if args.quick else 20)
    pg = server_url()
    if "kashflow" in systems:
        print(KASHFLOW_METHOD)
    with tempfile.TemporaryDirectory(prefix="cdc-bench-") as scratch:
        costs = {size: measure_costs(size, Path(scratch), pg, systems) for size in sizes}
        latency = measure_latency(Path(scratch), pg, samples)
    pairs = []
    for size, by_stream in costs.items():
        for key, cost in by_stream.items():
            short = key.replace(":", "_").replace("sales_invoice", "invoice")
            names = ("full", "idle", "changed", "load_s")
            pairs += [f"{short}_{size}_{name}={cost[name]}" for name in names]
    worst = max(c["changed"] / c["full"] for by in costs.values() for c in by.values())
    pairs.append(f"worst_changed_vs_full={worst:.4f}")
    pairs += [f"{name}={value:.2f}" for name, value in latency.items()]
    print()
    print(" ".join(pairs))


if __name__ == "__main__":
    threading.excepthook = lambda hook: None  # uvicorn's thread ends noisily at shutdown
    main()
