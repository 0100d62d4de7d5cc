"""Ledger append throughput: the ledger's path vs a bare COPY (ceiling) vs row-by-row INSERT.

All three append the same prepared versions (`NewVersion`s of about 1 KB of JSON each, built
before the clock starts) to the same PostgreSQL in the same run, in batches of one
transaction each. The ledger path
(`append_versions`) hashes, takes its stream lock, looks up the newest versions, numbers
the new ones and COPYs into the indexed, append-only table; the bare COPY writes the same rows
into an unindexed scratch table of the same shape; the naive path INSERTs one row per
transaction. Paths alternate over several rounds (the ledger path always next to the bare
COPY); rates are medians over rounds, ratios the median of each round's ratio.

    python bench/ledger_append.py [--quick] [--interleaved] [--rows N] [--batch N]
"""

from __future__ import annotations

import argparse
import gc
import json
import random
import statistics
import time
from typing import Any

import orjson
import psycopg

from ledger import NewVersion, append_versions, start_run
from ledger.append import COPY_TYPES, JSONB_VERSION, RECORD_VERSION_COLUMNS
from ledgerbridge.testdb import create_migrated_database, drop_database, server_url

WORDS = ("invoice", "payment", "customer", "supplier", "ledger", "account", "balance", "receipt")


def payloads(count: int, seed: int = 7) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    rows = []
    for i in range(count):
        rows.append(
            {
                "name": f"Customer {i} " + rng.choice(WORDS).title(),
                "email": f"accounts{i}@example{rng.randint(1, 999)}.co.uk",
                "phone": f"01{rng.randint(100, 999)} {rng.randint(100000, 999999)}",
                "address_lines": [f"{rng.randint(1, 300)} High Street", "Unit 4"],
                "city": rng.choice(["Leeds", "York", "Bath", "Exeter"]),
                "postcode": f"LS{rng.randint(1, 28)} {rng.randint(1, 9)}AB",
                "country": "GB",
                "tax_number": f"GB{rng.randint(100000000, 999999999)}",
                "currency": "GBP",
                "payment_terms_days": rng.choice([14, 30, 60]),
                "credit_limit": str(rng.randint(1, 500) * 100),
                "active": True,
                "notes": " ".join(rng.choice(WORDS) for _ in range(95)),
            }
        )
    return rows


Batches = list[list[NewVersion]]

DROP_CHAIN_COLUMNS = (
    "ALTER TABLE {table} DROP COLUMN IF EXISTS chain_seq, DROP COLUMN IF EXISTS chain_hash"
)


def prepare(rows: list[dict[str, Any]], batch: int, tag: str, interleaved: bool) -> Batches:
    """The versions every path appends, in batches, with keys no earlier round used. Built
    before the clock starts, the same for every path: what is timed is getting them in.

    Keys ascend past every stored key (a first load, new documents numbered upwards) or,
    `interleaved`, fall between keys earlier rounds stored, so that every version's newest
    stored version has to be looked up."""
    key = "{n:07d}{tag}" if interleaved else "{tag}{n:07d}"
    return [
        [
            NewVersion("kashflow", "customer", key.format(tag=tag, n=offset + i), payload)
            for i, payload in enumerate(rows[offset : offset + batch])
        ]
        for offset in range(0, len(rows), batch)
    ]


def bench_ledger(conn: psycopg.Connection[Any], batches: Batches) -> float:
    """The ledger's append path: each batch hashed, versioned and COPYed in one transaction."""
    run_id = start_run(conn, "poll")
    started = time.perf_counter()
    for versions in batches:
        result = append_versions(conn, versions, run_id)
        assert result.appended == len(versions)
    return time.perf_counter() - started


def bench_bare_copy(conn: psycopg.Connection[Any], batches: Batches) -> float:
    """The ceiling: the same rows in the ledger's own row shape (a table `LIKE` it: same
    columns and types, no index, constraint or trigger), serialised the same fast way and
    COPYed in binary, but with nothing computed: version 1, a placeholder hash, no lookups,
    and no chain: the table has the columns of a version as observed, as before chains."""
    conn.execute("CREATE TABLE IF NOT EXISTS bench_scratch (LIKE ledger.record_version)")
    conn.execute(DROP_CHAIN_COLUMNS.format(table="bench_scratch"))
    conn.commit()
    placeholder_hash = "0" * 64
    started = time.perf_counter()
    for versions in batches:
        with conn.transaction(), conn.cursor() as cur:
            now = cur.execute("SELECT clock_timestamp()").fetchone()[0]  # type: ignore[index]
            with cur.copy(
                f"COPY bench_scratch ({RECORD_VERSION_COLUMNS}) FROM STDIN (FORMAT BINARY)"
            ) as copy:
                copy.set_types(COPY_TYPES)
                for system, entity, key, payload, raw, source_updated_at in versions:
                    copy.write_row(
                        (system, entity, key, 1, "upsert", JSONB_VERSION + orjson.dumps(payload),
                         raw, placeholder_hash, source_updated_at, now, None)
                    )  # fmt: skip
    return time.perf_counter() - started


def bench_plain_copy(conn: psycopg.Connection[Any], batches: Batches) -> float:
    """For reference, not the ceiling: COPY as it is usually first written (text format,
    the standard library's json), into the same unindexed table."""
    conn.execute("CREATE TABLE IF NOT EXISTS bench_plain (LIKE ledger.record_version)")
    conn.execute(DROP_CHAIN_COLUMNS.format(table="bench_plain"))
    conn.commit()
    started = time.perf_counter()
    for versions in batches:
        with conn.transaction(), conn.cursor() as cur:
            now = cur.execute("SELECT clock_timestamp()").fetchone()[0]  # type: ignore[index]
            with cur.copy(f"COPY bench_plain ({RECORD_VERSION_COLUMNS}) FROM STDIN") as copy:
                for system, entity, key, payload, raw, source_updated_at in versions:
                    copy.write_row(
                        (system, entity, key, 1, "upsert", json.dumps(payload), raw, "0" * 64,
                         source_updated_at, now, None)
                    )  # fmt: skip
    return time.perf_counter() - started


def bench_row_by_row(url: str, versions: list[NewVersion]) -> float:
    with psycopg.connect(url) as conn:
        conn.execute(
            "CREATE TABLE bench_naive (system text, entity text, native_key text, version int,"
            " payload jsonb, PRIMARY KEY (system, entity, native_key, version))"
        )
        conn.commit()
        started = time.perf_counter()
        for system, entity, key, payload, _, _ in versions:
            conn.execute(
                "INSERT INTO bench_naive VALUES (%s, %s, %s, 1, %s)",
                (system, entity, key, json.dumps(payload)),
            )
            conn.commit()
        return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="50,000 rows a round: under a minute")
    parser.add_argument("--rows", type=int, default=None, help="rows appended per round and path")
    parser.add_argument(
        "--rounds", type=int, default=5, help="alternating rounds; medians reported"
    )
    parser.add_argument("--batch", type=int, default=10_000)
    parser.add_argument("--naive-rows", type=int, default=None)
    parser.add_argument(
        "--interleaved",
        action="store_true",
        help="keys between stored ones: every version's newest is looked up",
    )
    args = parser.parse_args()
    count = args.rows or (50_000 if args.quick else 200_000)
    naive_count = args.naive_rows or (2_000 if args.quick else 20_000)

    rows = payloads(count)
    # The fixture (every payload of a round, held for all paths) is frozen out of the cyclic
    # collector: otherwise each full collection re-scans these few hundred thousand dicts, a
    # cost no real caller has (it holds one batch). What the paths allocate is still collected.
    gc.freeze()
    size = sum(len(json.dumps(r)) for r in rows[:1000]) / 1000
    server = server_url()
    name, url = create_migrated_database(server, "lb_bench")
    times: dict[str, list[float]] = {"ledger": [], "copy": [], "plain": []}
    try:
        with psycopg.connect(url) as conn:
            paths = [
                ("ledger", bench_ledger),
                ("copy", bench_bare_copy),
                ("plain", bench_plain_copy),
            ]
            for _, path in paths:  # warm-up: caches, plans, allocator
                path(conn, prepare(rows[: args.batch], args.batch, "W", args.interleaved))
            for round_no in range(args.rounds):
                for label, path in paths if round_no % 2 == 0 else paths[::-1]:
                    batches = prepare(rows, args.batch, f"R{round_no}", args.interleaved)
                    times[label].append(path(conn, batches))
                    del batches
        [naive] = prepare(rows[:naive_count], naive_count, "N", interleaved=False)
        naive_seconds = bench_row_by_row(url, naive)
    finally:
        drop_database(server, name)

    ledger_times, copy_times, plain_times = times["ledger"], times["copy"], times["plain"]
    ledger_rate = count / statistics.median(ledger_times)
    copy_rate = count / statistics.median(copy_times)
    plain_rate = count / statistics.median(plain_times)
    naive_rate = naive_count / naive_seconds
    # Each round runs the ledger path next to the bare COPY, so a round's ratio compares two
    # runs a few seconds apart: the shared machine's drift (a third between rounds) cancels.
    vs_copy = statistics.median(c / t for c, t in zip(copy_times, ledger_times, strict=True))
    vs_plain = statistics.median(p / t for p, t in zip(plain_times, ledger_times, strict=True))
    print(
        f"rows={count} per round, {args.rounds} rounds, payload_bytes={size:.0f}"
        f" batch={args.batch} keys={'interleaved' if args.interleaved else 'ascending'}"
    )
    print(f"ledger append : {ledger_rate:10.0f} rows/s  (rounds: {_secs(ledger_times)})")
    print(f"bare COPY     : {copy_rate:10.0f} rows/s  (rounds: {_secs(copy_times)})  ceiling")
    print(f"plain COPY    : {plain_rate:10.0f} rows/s  (rounds: {_secs(plain_times)})  reference")
    print(
        f"row-by-row    : {naive_rate:10.0f} rows/s  ({naive_seconds:.2f} s for {naive_count} rows)"
    )
    print(
        "ledger / bare COPY per round: "
        + ", ".join(f"{c / t:.2f}" for c, t in zip(copy_times, ledger_times, strict=True))
    )
    print(
        f"ledger_rate={ledger_rate:.0f} copy_rate={copy_rate:.0f} naive_rate={naive_rate:.0f}"
        f" plain_copy_rate={plain_rate:.0f} ratio_vs_copy={vs_copy:.2f}"
        f" ratio_vs_plain_copy={vs_plain:.2f} ratio_vs_naive={ledger_rate / naive_rate:.1f}"
    )


def _secs(times: list[float]) -> str:
    return ", ".join(f"{t:.2f}s" for t in times)


if __name__ == "__main__":
    main()
