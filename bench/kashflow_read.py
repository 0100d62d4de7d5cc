"""Benchmark: read 50,000 invoices from the KashFlow sandbox through the client under a
rate limit, and price a change scan against a full re-read.

The sandbox runs as its own process (`ledgerbridge sandbox kashflow serve`) on a
loopback port with the limit given; the client paces itself at that limit. Reports
records/s, the fraction of the limit used (target > 0.9), 429s after the first second
(target 0), and the requests and time of a change scan that finds 1% changed versus a
full re-read of every record. Ends with one line of name=value pairs.

    python bench/kashflow_read.py --quick
"""

from __future__ import annotations

import argparse
import math
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from cdc.kashflow_scan import ScanState, scan_changes, summary_hash
from connectors.kashflow import KashFlowClient
from sandbox.kashflow import Store, seed_company, seed_synthetic_invoices
from sandbox.kashflow import documents as docs


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def seed(db: Path, invoices: int) -> None:
    store = Store(db)
    seed_company(store, "small", 42)
    existing = store.count("invoices")
    seed_synthetic_invoices(store, max(0, invoices - existing))
    store.close()


def start_server(db: Path, port: int, limit: float, burst: int) -> subprocess.Popen[bytes]:
    command = [
        str(Path(sys.executable).parent / "ledgerbridge"), "sandbox", "kashflow", "serve",
        "--port", str(port), "--db", str(db), "--rate-limit", str(limit),
    ]  # fmt: skip
    env = {**os.environ, "LEDGERBRIDGE_KASHFLOW_SANDBOX_RATE_LIMIT_BURST": str(burst)}
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            httpx.get(f"http://127.0.0.1:{port}/_sandbox/stats", timeout=1)
            return process
        except httpx.TransportError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError("the sandbox did not start")


def change_one_percent(db: Path, keys: list[str], rng: random.Random) -> set[str]:
    """Edits 1% of the invoices behind the client's back, as KashFlow users would."""
    store = Store(db)
    chosen = set(rng.sample(keys, max(1, len(keys) // 100)))
    rows = []
    for key in chosen:
        record = store.get("invoices", key)
        assert record is not None
        record["CustomerReference"] = f"EDITED-{key}"
        rows.append((key, record, docs.document_summary(record, docs.INVOICE_SUMMARY)))
    store.put_many("invoices", rows)
    store.close()
    return chosen


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="finish in well under a minute")
    parser.add_argument("--invoices", type=int, default=50_000)
    parser.add_argument("--rate-limit", type=float, default=None, help="requests/s per token")
    parser.add_argument("--burst", type=int, default=2, help="the sandbox's bucket size")
    parser.add_argument("--perpage", type=int, default=None)
    args = parser.parse_args()
    limit = args.rate_limit or (50.0 if args.quick else 20.0)
    perpage = args.perpage or (500 if args.quick else 250)

    with tempfile.TemporaryDirectory(prefix="kashflow-bench-") as folder:
        db = Path(folder) / "kashflow.db"
        started = time.monotonic()
        seed(db, args.invoices)
        print(f"seeded {args.invoices} invoices in {time.monotonic() - started:.1f}s")
        port = free_port()
        server = start_server(db, port, limit, args.burst)
        try:
            with KashFlowClient(
                base_url=f"http://127.0.0.1:{port}/v2", username="sandbox", password="sandbox",
                memorable_word="ledgerbridge", requests_per_second=limit,
            ) as client:  # fmt: skip
                client.login()
                time.sleep(1.0)  # a fresh second: the login's requests are not the read's
                requests_before = client.stats.requests
                read_started = time.monotonic()
                hashes: dict[str, str] = {}
                for summary in client.invoices.list(perpage=perpage):
                    hashes[str(summary["Number"])] = summary_hash(summary)
                elapsed = time.monotonic() - read_started
                requests = client.stats.requests - requests_before
                late_429 = sum(1 for t in client.stats.rate_limited_at if t - read_started > 1.0)
                rate = requests / elapsed
                records_per_s = len(hashes) / elapsed
                print(
                    f"read {len(hashes)} invoices in {elapsed:.2f}s with {requests} requests:"
                    f" {records_per_s:.0f} records/s, {rate:.2f} requests/s of {limit:g} allowed"
                    f" ({rate / limit:.1%}), 429s after the first second: {late_429}"
                )

                changed = change_one_percent(db, list(hashes), random.Random(7))
                scan_requests_before = client.stats.requests
                scan_started = time.monotonic()
                result = scan_changes(client.invoices, ScanState(hashes), perpage=perpage)
                scan_seconds = time.monotonic() - scan_started
                scan_requests = client.stats.requests - scan_requests_before
                found = {record.key for record in result.changed}
                assert found == changed, "the scan finds exactly what changed"
                full_requests = math.ceil(len(hashes) / perpage) + len(hashes)
                full_seconds = full_requests / limit
                print(
                    f"change scan: {len(found)} changed of {len(hashes)} found with"
                    f" {scan_requests} requests in {scan_seconds:.1f}s; a full re-read is"
                    f" {full_requests} requests (~{full_seconds:.0f}s at the limit)"
                )
                print(
                    f"rate={rate:.2f} limit={limit:g} fraction_of_limit={rate / limit:.3f}"
                    f" late_429={late_429} records_per_s={records_per_s:.0f}"
                    f" invoices={len(hashes)} scan_changed={len(found)}"
                    f" scan_requests={scan_requests} full_reread_requests={full_requests}"
                    f" scan_seconds={scan_seconds:.2f} full_reread_seconds_est={full_seconds:.0f}"
                    f" scan_cost_ratio={scan_requests / full_requests:.4f}"
                )
        finally:
            server.terminate()
            server.wait(timeout=10)


if __name__ == "__main__":
    main()
