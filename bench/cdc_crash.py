"""Benchmark: CDC exactly once under SIGKILL, at scale.

The crash storm of tests/cdc/test_crash_exactly_once.py (`ledgerbridge/cdc_storm.py`)
with more kills: while a script creates, edits, deletes and re-creates customers in
both sandboxes (Sage 100 through the BOI emulator, KashFlow over REST), two
`ledgerbridge worker` processes poll them every second and are stopped at random
moments — SIGKILL mostly, else SIGTERM — at least 100 times (25 with --quick). Each
round waits for polls begun after it. Prints the versions expected, found, missing and
duplicated (goal: none of either). Ends with one line of name=value pairs.

    .venv/bin/python bench/cdc_crash.py [--quick] [--kills N]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time
from datetime import date, datetime, timedelta
from pathlib import Path

import psycopg

from cdc.streams import STREAMS
from connectors.kashflow import KashFlowClient
from connectors.sage100 import Sage100Reader, Sage100Writer
from ledger.schedules import set_schedule
from ledgerbridge.cdc_storm import run_storm
from ledgerbridge.sage100_session import SandboxBOISession
from ledgerbridge.testdb import create_migrated_database, drop_database, server_url
from sandbox.datagen import generate_company
from sandbox.kashflow import SandboxConfig, SandboxServer, open_sandbox
from sandbox.sage100.seed import seed_company

KEY_DIFF_SECONDS = 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="25 kills")
    parser.add_argument("--kills", type=int, default=None, help="at least this many SIGKILLs")
    parser.add_argument("--records", type=int, default=4, help="customers per system")
    args = parser.parse_args()
    kills = args.kills or (25 if args.quick else 100)
    pg = server_url()
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="cdc-crash-") as scratch:
        folder = Path(scratch)
        company = folder / "sage100.db"
        seed_company(company, generate_company("small", 42))
        sandbox = open_sandbox(folder / "kashflow.db", SandboxConfig(rate_limit_per_second=None))
        name, url = create_migrated_database(pg, "lbcrash")
        clock = [datetime(2026, 11, 2, 9, 0)]
        try:
            with (
                SandboxServer(sandbox) as server,
                KashFlowClient(
                    base_url=server.base_url, username="sandbox", password="sandbox",
                    memorable_word="ledgerbridge", requests_per_second=None,
                ) as client,
                Sage100Reader(f"DRIVER=SQLite3;Database={company}") as reader,
            ):  # fmt: skip
                session = SandboxBOISession(
                    company, clock=lambda: clock[0], today=date(2026, 11, 2)
                )
                env = {
                    **os.environ,
                    "DATABASE_URL": url,
                    "LEDGERBRIDGE_KASHFLOW__BASE_URL": server.base_url,
                    "LEDGERBRIDGE_KASHFLOW__REQUESTS_PER_SECOND": "200",
                    "LEDGERBRIDGE_SAGE100__ODBC_CONNECTION_STRING": (
                        f"DRIVER=SQLite3;Database={company}"
                    ),
                    "LEDGERBRIDGE_CDC__TICK_SECONDS": "1",
                    "LEDGERBRIDGE_CDC__HEARTBEAT_SECONDS": "0.5",
                    "LEDGERBRIDGE_CDC__STALLED_SECONDS": "2",
                    "LEDGERBRIDGE_CDC__KEY_DIFF_SECONDS": str(KEY_DIFF_SECONDS),
                }
                log = (folder / "workers.log").open("wb")

                def start_worker() -> subprocess.Popen[bytes]:
                    command = [
                        sys.executable, "-m", "ledgerbridge.cdc_commands", "worker", "--read-only"
                    ]  # fmt: skip
                    return subprocess.Popen(command, env=env, stdout=log, stderr=log)

                def advance(delta: timedelta) -> datetime:
                    clock[0] += delta
                    return clock[0]

                with psycopg.connect(url, autocommit=True) as conn:
                    for target in STREAMS:
                        seconds = 1 if target.entity == "customer" else None
                        set_schedule(conn, target.system, target.entity, seconds, "bench")
                with log:
                    storm = run_storm(
                        url, start_worker, Sage100Writer(session, reader.lookups()), advance,
                        client, min_kills=kills, min_rounds=12, records_per_system=args.records,
                        key_diff=timedelta(seconds=KEY_DIFF_SECONDS),
                    )  # fmt: skip
                session.close()
        finally:
            drop_database(pg, name)
    elapsed = time.perf_counter() - started
    expected = storm.changes
    found = sum(len(states) for states in storm.found.values())
    print(f"kills {storm.kills} (SIGKILL), clean stops {storm.clean_stops},"
          f" rounds {storm.rounds}, {elapsed:.0f}s")  # fmt: skip
    print(f"versions: expected {expected}, found {found}, missing {storm.missing()},"
          f" duplicated {storm.duplicated()}")  # fmt: skip
    print()
    print(
        f"kills={storm.kills} clean_stops={storm.clean_stops} rounds={storm.rounds}"
        f" versions_expected={expected} versions_found={found} missing={storm.missing()}"
        f" duplicated={storm.duplicated()} seconds={elapsed:.0f}"
    )


if __name__ == "__main__":
    threading.excepthook = lambda hook: None  # uvicorn's thread ends noisily at shutdown
    main()
