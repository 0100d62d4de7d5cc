"""Benchmark: full read versus incremental read of the Sage 100 customer table over ODBC.

Seeds a sandbox company of 100,000 customers with sqlite3 `executemany`, reads every
customer over ODBC (pyodbc + the SQLite ODBC driver, in `fetchmany` batches) into
canonical records, changes 1% of them through the BOI emulator, then reads incrementally
from the full read's watermark. Each read runs three times and the median counts (once
with --quick, which finishes well under a minute). Prints both side by side and ends with
one line of name=value pairs.

    .venv/bin/python bench/sage100_read.py [--quick] [--customers N] [--db PATH]
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path

from canonical import Customer
from cdc.sage100 import ChangeBatch, read_changes
from connectors.sage100 import Sage100Reader, Sage100Writer
from ledgerbridge.sage100_session import SandboxBOISession
from sandbox.datagen import CompanySize, generate_company
from sandbox.sage100.seed import seed_company


def timed(repeats: int, read: Callable[[], ChangeBatch]) -> tuple[float, ChangeBatch]:
    """The median time of `repeats` runs of `read`, and what the last run returned."""
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        result = read()
        times.append(time.perf_counter() - started)
    return statistics.median(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="each read once (under a minute)")
    parser.add_argument("--customers", type=int, default=None)
    parser.add_argument("--changed-percent", type=float, default=1.0)
    parser.add_argument("--db", type=Path, default=None, help="company file (default: temp)")
    args = parser.parse_args()
    customers = args.customers or 100_000
    repeats = 1 if args.quick else 3

    with tempfile.TemporaryDirectory() as scratch:
        path = args.db or Path(scratch) / "sage100-bench.db"
        started = time.perf_counter()
        company = generate_company(CompanySize(customers, 10, 10, 0, 0, 0), seed=7)
        seed_company(path, company)
        seed_s = time.perf_counter() - started
        print(f"seeded a {customers:,}-customer company in {seed_s:.1f}s ({path})")

        with Sage100Reader(f"DRIVER=SQLite3;Database={path}", batch_size=2000) as reader:
            full_s, full = timed(repeats, lambda: read_changes(reader, "customer", None))
            assert full.watermark is not None

            changed = max(1, round(len(full.records) * args.changed_percent / 100))
            moment = datetime(2026, 11, 2, 9, 0)

            def clock() -> datetime:
                return moment

            session = SandboxBOISession(path, clock=clock, today=date(2026, 11, 2))
            writer = Sage100Writer(session, reader.lookups())
            picked = random.Random(7).sample(full.records, changed)
            started = time.perf_counter()
            for number, record in enumerate(picked):
                assert isinstance(record, Customer)
                moment += timedelta(milliseconds=250)
                writer.write(record.model_copy(update={"phone": f"0800 {number:06d}"}))
            write_s = time.perf_counter() - started
            session.script.close()

            incremental_s, incremental = timed(
                repeats, lambda: read_changes(reader, "customer", full.watermark)
            )
            assert {r.key for r in incremental.records} == {r.key for r in picked}

    ratio = incremental_s / full_s
    print()
    print(f"{'':24}{'full read':>14}{'incremental':>14}")
    print(f"{'rows returned':24}{len(full.records):>14,}{len(incremental.records):>14,}")
    print(f"{'seconds':24}{full_s:>14.3f}{incremental_s:>14.3f}")
    print(
        f"{'rows per second':24}{len(full.records) / full_s:>14,.0f}"
        f"{len(incremental.records) / incremental_s:>14,.0f}"
    )
    print(f"({changed:,} customers changed through the BOI emulator in {write_s:.1f}s)")
    print()
    print(
        f"company_customers={customers} full_rows={len(full.records)} full_s={full_s:.3f}"
        f" full_rows_per_s={len(full.records) / full_s:.0f}"
        f" incremental_rows={len(incremental.records)} incremental_s={incremental_s:.3f}"
        f" ratio_incremental_vs_full={ratio:.4f}"
    )


if __name__ == "__main__":
    main()
