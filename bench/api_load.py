"""Control API under load: p50/p99 latency of the unmatched listing (first page and a deep
cursor), a record's audit and /health, under 50 concurrent clients on loopback.

The ledger gets VERSIONS record versions (customers of both systems, several versions
each, appended through `append_versions`) and a reconcile run that left UNMATCHED items
(`ledger.unmatched_item`, appended by COPY). The API runs as `ledgerbridge serve` in its
own process (`--workers N` processes). The load comes from `wrk` when it is installed
(`apt-get install wrk`; one wrk process per request kind, all at once, the clients shared
out between them, each with the bearer header and cycling through its paths from a Lua
script), else from this process (asyncio + httpx, each client looping over the four
requests), which costs the machine more CPU than the server it measures; `--client` picks
one. Either way /health is measured in the same run as the baseline, and the server's and
the client's CPU per request are printed. The EXPLAIN (ANALYZE, BUFFERS) plans of the
queries behind the requests are printed: each reads an index range bounded by the page or
the record, not by the ledger's size (the unmatched totals, on the first page only, read
the run's items).

    python bench/api_load.py [--quick] [--versions N] [--unmatched N] [--seconds S]
                             [--clients N] [--pool-size N] [--workers N]
                             [--client auto|wrk|httpx] [--only KIND]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import re
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import httpx
import psycopg

from api.services import health
from api.services.audit import audit_parameters
from api.services.pages import encode_cursor
from api.services.sql import query
from api.services.tokens import create_token
from api.services.unmatched import AGE_BUCKET_PARAMETERS
from ledger import NewVersion, append_versions, finish_run, start_run
from ledger.unmatched import UnmatchedItem, append_unmatched
from ledgerbridge.testdb import create_migrated_database, drop_database, server_url

VERSIONS_PER_RECORD = 4
BATCH = 50_000
WARM_UP_SECONDS = 3.0
"""Load put on the server, unmeasured, before the measured seconds."""


def fill_ledger(url: str, versions: int, unmatched: int) -> tuple[str, list[str]]:
    """Appends the versions and the run's unmatched items; returns a token and the keys
    of some audited records."""
    records = versions // VERSIONS_PER_RECORD
    rng = random.Random(11)
    with psycopg.connect(url, autocommit=True) as conn:
        started = time.perf_counter()
        for round_ in range(VERSIONS_PER_RECORD):
            for start in range(0, records, BATCH):
                batch = [
                    NewVersion(
                        "kashflow" if i % 2 else "sage100", "customer", f"C{i:08d}",
                        {"name": f"Customer {i} r{round_}", "email": f"a{i}@example.com",
                         "currency": "GBP", "payment_terms_days": 30 + round_, "active": True},
                    )
                    for i in range(start, min(start + BATCH, records))
                ]  # fmt: skip
                append_versions(conn, batch)
        print(f"appended {records * VERSIONS_PER_RECORD} versions in"
              f" {time.perf_counter() - started:.1f} s")  # fmt: skip
        run_id = start_run(conn, "reconcile", parameters={"bench": True})
        today = date.today()
        items = (
            UnmatchedItem(
                ("kashflow", "sage100")[i % 2],
                ("sales_invoice", "payment")[i % 3 == 0],
                f"D{i:08d}",
                f"kashflow:C{i % 5000:08d}",
                ("GBP", "EUR", "USD")[i % 10 % 3],
                Decimal(rng.randint(100, 500_000)) / 100,
                Decimal(rng.randint(1, 100_000)) / 100,
                today - timedelta(days=rng.randint(0, 200)),
                f"REF{i}",
            )
            for i in range(unmatched)
        )
        append_unmatched(conn, run_id, items)
        finish_run(conn, run_id)
        # The steady state of a ledger written over time: vacuumed and checkpointed, so
        # autovacuum's first pass over a million new rows and the checkpoint of their WAL
        # do not run inside the measured seconds.
        conn.execute("VACUUM (ANALYZE)")
        conn.execute("CHECKPOINT")
        secret, _ = create_token(conn, "bench", "read")
        audited = [f"C{rng.randrange(records):08d}" for _ in range(200)]
    return secret, audited


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def start_server(url: str, port: int, pool_size: int, workers: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "DATABASE_URL": url, "LEDGERBRIDGE_API__POOL_SIZE": str(pool_size)}
    server = subprocess.Popen(
        [sys.executable, "-c", "from ledgerbridge.cli import main; main()", "serve", "--port",
         str(port), *(["--workers", str(workers)] if workers > 1 else [])],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    for _ in range(300):
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code < 500:
                return server
        except httpx.TransportError:
            time.sleep(0.1)
    server.kill()
    raise RuntimeError(
        "the API did not start: " + (server.stderr.read() if server.stderr else b"").decode()
    )


def process_tree_cpu(pid: int) -> float:
    """CPU seconds (user + system) a process and its descendants have used so far, from
    /proc (nan where there is none)."""
    tick = os.sysconf("SC_CLK_TCK")
    total, stack = 0, [pid]
    while stack:
        current = stack.pop()
        try:
            fields = Path(f"/proc/{current}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime
            for task in Path(f"/proc/{current}/task").iterdir():
                stack += [int(c) for c in (task / "children").read_text().split()]
        except (FileNotFoundError, ProcessLookupError):
            if current == pid:
                return float("nan")
    return total / tick


Timings = dict[str, list[float]]


async def load(
    base: str, token: str, paths: dict[str, list[str]], clients: int, seconds: float
) -> Timings:
    timings: Timings = {name: [] for name in paths}
    errors: dict[str, int] = {name: 0 for name in paths}
    deadline = time.perf_counter() + seconds
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=base, headers=headers, limits=limits, timeout=30) as http:

        async def client(number: int) -> None:
            rng = random.Random(number)
            names = list(paths)
            turn = number
            while time.perf_counter() < deadline:
                name = names[turn % len(names)]
                turn += 1
                path = rng.choice(paths[name])
                started = time.perf_counter()
                try:
                    answer = await http.get(path)
                except httpx.TransportError as error:
                    print(f"  {name}: {type(error).__name__}")
                    errors[name] += 1
                    continue
                elapsed = time.perf_counter() - started
                if answer.status_code != 200:
                    errors[name] += 1
                else:
                    timings[name].append(elapsed)

        await asyncio.gather(*(client(n) for n in range(clients)))
    for name, count in errors.items():
        if count:
            print(f"  {name}: {count} requests failed")
    return timings


WRK_SCRIPT = """
paths = {%(paths)s}
i = %(start)d
wrk.headers["Authorization"] = "Bearer %(token)s"
request = function()
  i = i %% #paths + 1
  return wrk.format("GET", paths[i])
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT %%d %%d %%d %%d\\n", summary.requests,
    e.connect + e.read + e.write + e.timeout, e.status, summary.duration))
  for _, p in ipairs({50, 99}) do
    io.write(string.format("P%%d %%d\\n", p, latency:percentile(p)))
  end
end
"""


def wrk_load(
    base: str, token: str, paths: dict[str, list[str]], clients: int, seconds: float
) -> dict[str, tuple[int, float, float]]:
    """One wrk process per request kind, all at once, `clients` connections shared out
    between them: for each kind, (requests answered 2xx, p50 ms, p99 ms)."""
    shares = [clients // len(paths) + (n < clients % len(paths)) for n in range(len(paths))]
    running: dict[str, subprocess.Popen[str]] = {}
    with tempfile.TemporaryDirectory() as folder:
        for number, ((name, kind_paths), share) in enumerate(
            zip(paths.items(), shares, strict=True)
        ):
            script = Path(folder) / f"{name}.lua"
            quoted = ", ".join('"' + path.replace('"', '\\"') + '"' for path in kind_paths)
            script.write_text(WRK_SCRIPT % {"paths": quoted, "token": token, "start": number})
            running[name] = subprocess.Popen(
                ["wrk", "-t1", f"-c{max(share, 1)}", f"-d{seconds:.0f}s", "--timeout", "30s",
                 "-s", str(script), base],
                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            )  # fmt: skip
        results = {}
        for name, process in running.items():
            output, _ = process.communicate()
            found = re.search(r"^RESULT (\d+) (\d+) (\d+) (\d+)$", output, re.MULTILINE)
            if process.returncode != 0 or found is None:
                raise RuntimeError(f"wrk ({name}) failed: {output.strip()[-500:]}")
            done, failed, non_2xx, _ = (int(g) for g in found.groups())
            if failed or non_2xx:
                print(f"  {name}: {failed} requests failed, {non_2xx} answered other than 2xx")
            p50, p99 = (int(v) / 1000 for v in re.findall(r"^P(?:50|99) (\d+)$", output, re.M))
            results[name] = (done - non_2xx, p50, p99)
    return results


def httpx_load(
    base: str, token: str, paths: dict[str, list[str]], clients: int, seconds: float
) -> dict[str, tuple[int, float, float]]:
    """The clients in this process: for each kind, (requests answered 200, p50, p99 ms)."""
    timings = asyncio.run(load(base, token, paths, clients, seconds))
    return {
        name: (len(values), percentile(values, 0.5), percentile(values, 0.99))
        for name, values in timings.items()
    }


def percentile(values: list[float], share: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] * 1000


def explain(url: str, deep_key: list[str], audited: str) -> None:
    """The plans behind the requests, as PostgreSQL ran them."""
    with psycopg.connect(url) as conn:
        run = conn.execute(query("latest_run"), {"kind": "reconcile"}).fetchone()
        assert run is not None
        filters = {"system": None, "entities": None, "counterparty": None, "currency": None,
                   "min_amount": None, "max_amount": None, "date_from": None,
                   "date_to": None, "today": date.today(), **AGE_BUCKET_PARAMETERS}  # fmt: skip
        page = {**filters, "kind": "reconcile", "limit": 50}
        audit = audit_parameters("sage100", "customer", audited)
        plans = {
            "unmatched, first page (the run, the items, the newest match decision)": (
                query("unmatched_page"),
                {**page, "first": True, "after_system": "", "after_entity": "", "after_key": ""}),
            "unmatched, deep cursor": (query("unmatched_page"),
                                       {**page, "first": False, "after_system": deep_key[0],
                                        "after_entity": deep_key[1], "after_key": deep_key[2]}),
            "unmatched totals (first page only, until a new run or match decision)": (
                query("unmatched_totals"), {**filters, "run_id": run[0]}),
            "audit: the versions, writes and decisions": (query("record_audit"), audit),
            "health: the clock, the streams, the queue's tables": (
                query("health"), health.QUEUE),
        }  # fmt: skip
        for title, (sql, params) in plans.items():
            print(f"\n-- {title}")
            rows = conn.execute(f"EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) {sql}", params).fetchall()
            for (line,) in rows:
                print(f"   {line}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a run under a minute")
    parser.add_argument("--versions", type=int)
    parser.add_argument("--unmatched", type=int)
    parser.add_argument("--seconds", type=float)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument(
        "--pool-size", type=int, default=2 * (os.cpu_count() or 1),
        help="the API's connections (default: twice the cores, which here serve both the API"
        " and PostgreSQL)",
    )  # fmt: skip
    parser.add_argument("--workers", type=int, default=1, help="`serve --workers N`")
    parser.add_argument(
        "--only", choices=("unmatched_first", "unmatched_deep", "audit", "health"),
        help="one kind of request for all the clients (its CPU per request alone)",
    )  # fmt: skip
    parser.add_argument(
        "--client", choices=("auto", "wrk", "httpx"), default="auto",
        help="the load generator (auto: wrk when installed, else httpx)",
    )  # fmt: skip
    args = parser.parse_args()
    versions = args.versions or (100_000 if args.quick else 1_000_000)
    unmatched = args.unmatched or (10_000 if args.quick else 100_000)
    seconds = args.seconds or (8.0 if args.quick else 30.0)
    client = args.client
    if client == "auto":
        client = "wrk" if shutil.which("wrk") else "httpx"
    elif client == "wrk" and not shutil.which("wrk"):
        parser.error("--client wrk: wrk is not installed (apt-get install wrk)")
    generate: Callable[..., dict[str, tuple[int, float, float]]] = (
        wrk_load if client == "wrk" else httpx_load
    )

    server_dsn = server_url()
    name, url = create_migrated_database(server_dsn, "lbbench_api")
    server = None
    try:
        token, audited = fill_ledger(url, versions, unmatched)
        deep = [("kashflow", "sage100")[1], "sales_invoice", f"D{int(unmatched * 0.9):08d}"]
        deep_cursor = encode_cursor("unmatched", deep)
        port = free_port()
        server = start_server(url, port, args.pool_size, args.workers)
        base = f"http://127.0.0.1:{port}"
        paths = {
            "unmatched_first": ["/reconciliation/unmatched?limit=50"],
            "unmatched_deep": [f"/reconciliation/unmatched?limit=50&cursor={deep_cursor}"],
            "audit": [f"/audit/{('sage100', 'kashflow')[int(k[1:]) % 2]}/customer/{k}"
                      for k in audited],
            "health": ["/health"],
        }  # fmt: skip
        if args.only:
            paths = {args.only: paths[args.only]}
        warm = httpx.get(base + f"/reconciliation/unmatched?limit=50&cursor={deep_cursor}",
                         headers={"Authorization": f"Bearer {token}"}).json()  # fmt: skip
        assert warm["items"], "the deep cursor's page is empty"
        # Unmeasured: the pools grow to their size and each connection prepares its
        # statements, as a server that has been serving a while has done.
        generate(base, token, paths, args.clients, WARM_UP_SECONDS)
        print(f"\n{args.clients} clients ({client}) for {seconds:.0f} s on {base}, "
              f"{args.workers} server process(es) ({versions} versions, {unmatched} unmatched"
              " items)")  # fmt: skip
        server_cpu = process_tree_cpu(server.pid)
        client_cpu = time.process_time() + _children_cpu()
        results = generate(base, token, paths, args.clients, seconds)
        client_cpu = time.process_time() + _children_cpu() - client_cpu
        server_cpu = process_tree_cpu(server.pid) - server_cpu
        load_average = os.getloadavg()
    finally:
        if server is not None:
            server.send_signal(signal.SIGINT)
            try:
                server.wait(10)
            except subprocess.TimeoutExpired:
                server.kill()
    try:
        print(f"\n{'request':<18}{'count':>8}{'p50 ms':>10}{'p99 ms':>10}")
        for kind, (count, p50, p99) in results.items():
            print(f"{kind:<18}{count:>8}{p50:>10.1f}{p99:>10.1f}")
        total = sum(count for count, _, _ in results.values())
        print(f"throughput: {total / seconds:.0f} requests/s")
        print(f"CPU per request: server {1000 * server_cpu / total:.2f} ms,"
              f" client ({client}) {1000 * client_cpu / total:.2f} ms")  # fmt: skip
        print("load average: " + " ".join(f"{v:.2f}" for v in load_average))
        explain(url, deep, audited[0])
    finally:
        drop_database(server_dsn, name)
    line = " ".join(
        f"{kind}_p50_ms={p50:.1f} {kind}_p99_ms={p99:.1f}"
        for kind, (_, p50, p99) in results.items()
    )
    print(f"\nversions={versions} unmatched={unmatched} clients={args.clients} client={client}"
          f" workers={args.workers} pool_size={args.pool_size} seconds={seconds:.0f}"
          f" requests_per_s={total / seconds:.0f}"
          f" server_cpu_ms_per_request={1000 * server_cpu / total:.2f}"
          f" client_cpu_ms_per_request={1000 * client_cpu / total:.2f}"
          f" load_average_1m={load_average[0]:.2f} {line}")  # fmt: skip


def _children_cpu() -> float:
    """CPU seconds of this process's finished children (the wrk processes)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


if __name__ == "__main__":
    main()
