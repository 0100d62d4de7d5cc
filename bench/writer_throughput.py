"""Benchmark: KashFlow sales invoices with their receipts, applied to Sage 100 by the writer.

Seeds the KashFlow sandbox (rate limit on, 20 requests/s) with N invoices, 90% of them
paid, and reads them back over HTTP with the client pacing under the limit (summaries in
pages of 500: number, customer, dates, amounts, amount paid and last payment date).
Plans one Sage 100 customer per KashFlow customer, one A/R invoice per invoice (after
its customer) and one cash receipt per paid invoice (after its invoice), and applies
them through the BOI emulator twice, on fresh copies of the company and the ledger: one
intent per phase (no batching) and 100 intents per phase. Reports records/s for each,
the share of time inside each connector versus in Ledgerbridge, and 429s received after
the first (goal: none). Ends with one line of name=value pairs.

    .venv/bin/python bench/writer_throughput.py [--quick]   # --quick: 150 invoices
    .venv/bin/python bench/writer_throughput.py --invoices 10000
"""

from __future__ import annotations

import argparse
import random
import shutil
import tempfile
import time
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import psycopg

from canonical import Allocation, Customer, DocumentLine, Payment, SalesInvoice
from connectors.kashflow import KashFlowClient
from connectors.kashflow.mapping import parse_date
from connectors.sage100 import Sage100Reader, Sage100Writer, keys
from ledgerbridge.sage100_session import SandboxBOISession
from ledgerbridge.testdb import create_migrated_database, drop_database, server_url
from sandbox.datagen import generate_company
from sandbox.kashflow import SandboxConfig, SandboxServer, Store, open_sandbox
from sandbox.kashflow.seed import pay_synthetic_invoices, seed_synthetic_invoices
from sandbox.kashflow.seed import seed_company as seed_kashflow_company
from sandbox.sage100.seed import seed_company
from writer.apply import Applier
from writer.intents import WriteIntent
from writer.targets import Sage100Target

RATE_LIMIT = 20.0
FIRST_NUMBER = 1_000_000


def seed_kashflow(db: Path, count: int, rng: random.Random) -> None:
    store = Store(db)
    seed_kashflow_company(store, "small", 42)
    seed_synthetic_invoices(store, count, FIRST_NUMBER)
    pay_synthetic_invoices(store, count, rng, FIRST_NUMBER)
    store.close()


def plan(client: KashFlowClient) -> list[WriteIntent]:
    """Customers, invoices and receipts for Sage 100, from KashFlow summaries."""

    def intent(record: Any, depends_on: tuple[str, ...] = ()) -> WriteIntent:
        return WriteIntent(
            flow=f"{record.entity}_to_sage100", target_system="sage100", operation="create",
            record=record, source_system="kashflow", source_entity=record.entity,
            source_key=record.key, source_version=1, depends_on=depends_on,
        )  # fmt: skip

    customers: dict[str, WriteIntent] = {}
    for summary in client.customers.list(perpage=500):
        key = keys.customer_key("01", keys.customer_no_for(summary["Code"])[1])
        record = Customer.build(
            system="sage100", key=key, name=summary["Name"][:30], payment_terms_days=30
        )
        customers[summary["Code"]] = intent(record)
    intents = list(customers.values())
    for summary in client.invoices.list(perpage=500):
        number = int(summary["Number"])
        if not FIRST_NUMBER <= number < FIRST_NUMBER + 10_000_000:
            continue
        party = customers[summary["CustomerCode"]]
        gross = Decimal(str(summary["GrossAmount"]))
        line = DocumentLine(
            line_no=1, description="KashFlow invoice", quantity=Decimal(1), unit_price=gross,
            net_amount=gross, gl_account="4000-00-00",
        )  # fmt: skip
        invoice = SalesInvoice.build(
            system="sage100", key=str(number), customer_key=party.target_key,
            issue_date=date(2026, 11, 2), reference=summary.get("CustomerReference"),
            lines=(line,), net_amount=gross, gross_amount=gross,
        )  # fmt: skip
        posted = intent(invoice, (party.idempotency_key,))
        intents.append(posted)
        paid = Decimal(str(summary.get("TotalPaidAmount") or 0))
        if paid > 0:
            receipt = Payment.build(
                system="sage100", key=f"KF{number}", kind="receipt",
                counterparty_key=party.target_key,
                payment_date=parse_date(summary.get("LastPaymentDate")) or date(2026, 11, 2),
                amount=paid, reference=f"KF{number}",
                allocations=(Allocation(invoice_key=keys.ar_invoice_no_for(str(number)),
                                        amount=paid),),
            )  # fmt: skip
            intents.append(intent(receipt, (posted.idempotency_key,)))
    return intents


def apply_once(
    intents: list[WriteIntent], company: Path, pg: str, batch_size: int
) -> dict[str, float]:
    name, url = create_migrated_database(pg, "lbbench_writer")
    try:
        session = SandboxBOISession(company, today=date(2026, 11, 2), clock=datetime.now)
        with (
            Sage100Reader(f"DRIVER=SQLite3;Database={company}") as reader,
            psycopg.connect(url, autocommit=True) as conn,
        ):
            target = Sage100Target(Sage100Writer(session, reader.lookups()), reader)
            applier = Applier(conn, {"sage100": target}, batch_size=batch_size)
            started = time.perf_counter()
            applier.submit(intents)
            report = applier.apply()
            seconds = time.perf_counter() - started
        session.close()
    finally:
        drop_database(pg, name)
    if report.succeeded != len(intents):
        raise SystemExit(f"only {report.succeeded} of {len(intents)} applied: {report.counts()}")
    return {"seconds": seconds, "sage100_seconds": report.target_seconds.get("sage100", 0.0)}


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="150 invoices, about a minute")
    parser.add_argument("--invoices", type=int, default=10_000)
    args = parser.parse_args()
    count = 150 if args.quick else args.invoices
    pg = server_url()
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        seed_kashflow(root / "kashflow.db", count, random.Random(7))
        template = root / "sage100-template.db"
        seed_company(template, generate_company("small", 42))
        sandbox = open_sandbox(
            root / "kashflow.db", SandboxConfig(rate_limit_per_second=RATE_LIMIT)
        )
        with SandboxServer(sandbox) as server, KashFlowClient(
            base_url=server.base_url, username="sandbox", password="sandbox",
            memorable_word="ledgerbridge", requests_per_second=RATE_LIMIT * 0.9,
        ) as client:  # fmt: skip
            started = time.perf_counter()
            intents = plan(client)
            read_seconds = time.perf_counter() - started
            kashflow_seconds = read_seconds  # the client's own time: requests and pacing
            rate_limited = client.stats.rate_limited
            requests = client.stats.requests
        runs = {}
        for label, batch_size in (("unbatched", 1), ("batched", 100)):
            company = root / f"sage100-{label}.db"
            shutil.copyfile(template, company)
            runs[label] = apply_once(intents, company, pg, batch_size)
    records = len(intents)
    print(f"{count:,} KashFlow invoices -> {records:,} Sage 100 writes "
          f"(customers, A/R invoices, cash receipts)")  # fmt: skip
    print(f"KashFlow read: {requests} requests in {read_seconds:.1f}s, "
          f"429s received: {rate_limited}")  # fmt: skip
    pairs = [f"invoices={count}", f"writes={records}"]
    for label, run in runs.items():
        total = read_seconds + run["seconds"]
        sage = run["sage100_seconds"]
        ours = total - sage - kashflow_seconds
        rate = records / run["seconds"]
        print(f"{label:10} {rate:8.1f} records/s  apply {run['seconds']:.1f}s; of all time: "
              f"Sage 100 connector {sage / total:.0%}, KashFlow connector "
              f"{kashflow_seconds / total:.0%}, Ledgerbridge {ours / total:.0%}")  # fmt: skip
        pairs += [
            f"{label}_records_per_s={rate:.1f}",
            f"{label}_sage100_share={sage / total:.3f}",
            f"{label}_kashflow_share={kashflow_seconds / total:.3f}",
            f"{label}_ledgerbridge_share={ours / total:.3f}",
        ]
    pairs.append(f"kashflow_429_after_first={max(0, rate_limited - 1)}")
    print(" ".join(pairs))


if __name__ == "__main__":
    main()
