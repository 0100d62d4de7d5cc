"""The exactly-once crash storm of CDC, shared by its test (tests/cdc) and its benchmark
(bench/cdc_crash.py), in the manner of Kafka Connect's exactly-once source test: while a
script creates, edits, deletes and re-creates customers in both sandboxes through their
own write paths, two `ledgerbridge worker` processes run the schedule and are stopped —
SIGKILL mostly, else a clean SIGTERM — at random moments and started again.

The script makes one round of changes, then waits for work, not for time: until a poll
of each customer stream that began after the round's last change (and after the Sage
100 key-set diff is due again, which shows its deletes) has succeeded; such a poll must
see the round, anything else is a lost change, reported at once. So every
state is observable by a poller (polling sees states, not keystrokes). A round that no
poll finishes within `STUCK_KILLS` kills is reported as stuck. At the end every change
must be in the ledger exactly once, in order per record.
"""

from __future__ import annotations

import random
import signal
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import psycopg

from canonical import Customer
from connectors.kashflow import KashFlowClient
from connectors.sage100 import Sage100Writer

State = tuple[str, str | None]
"""A record's state as a version holds it: operation and name."""
Record = tuple[str, str]
"""(system, native key)."""
STUCK_KILLS = 40
"""Kills in one round without a poll finishing: the storm is stuck, not slow."""
HUNG_SECONDS = 900.0
"""Only against a hung machine: no round of a healthy storm comes near it."""
SAGE_PREFIX, KASHFLOW_PREFIX = "01-CRSH", "CRSH"


class Killer(threading.Thread):
    """Keeps two workers running; once both are up, stops one of them at a random moment
    (SIGKILL mostly, else a clean SIGTERM) and starts it again."""

    def __init__(
        self, start_worker: Callable[[], subprocess.Popen[bytes]], url: str, seed: int
    ) -> None:
        super().__init__(daemon=True)
        self.start_worker = start_worker
        self.url = url
        self.random = random.Random(seed)
        self.workers = [start_worker(), start_worker()]
        self.kills = 0
        self.clean_stops = 0
        self.stopping = threading.Event()

    def both_up(self) -> bool:
        with psycopg.connect(self.url, autocommit=True) as conn:
            row = conn.execute(
                "SELECT count(*) FROM procrastinate.procrastinate_workers"
                " WHERE last_heartbeat > now() - interval '1.5 seconds'"
            ).fetchone()
        return row is not None and row[0] >= 2

    def run(self) -> None:
        while not self.stopping.is_set():
            while not self.both_up():
                if self.stopping.wait(0.2):
                    return
            if self.stopping.wait(self.random.uniform(0.2, 2.0)):
                return
            slot = self.random.randrange(2)
            worker = self.workers[slot]
            if self.random.random() < 0.75:
                worker.kill()
                self.kills += 1
            else:
                worker.send_signal(signal.SIGTERM)
                self.clean_stops += 1
            try:
                worker.wait(15)
            except subprocess.TimeoutExpired:
                worker.kill()
                worker.wait(5)
            self.workers[slot] = self.start_worker()

    def stop(self) -> None:
        self.stopping.set()
        self.join(60)
        for worker in self.workers:
            worker.kill()
            worker.wait(10)


@dataclass
class Storm:
    """What the storm did and what the ledger holds."""

    expected: dict[Record, list[State]] = field(default_factory=dict)
    found: dict[Record, list[State]] = field(default_factory=dict)
    kills: int = 0
    clean_stops: int = 0
    rounds: int = 0

    @property
    def changes(self) -> int:
        return sum(len(states) for states in self.expected.values())

    def missing(self) -> int:
        """Expected versions the ledger does not hold (in order, per record)."""
        return sum(
            max(0, len(states) - _common_prefix(states, self.found.get(record, [])))
            for record, states in self.expected.items()
        )

    def duplicated(self) -> int:
        """Versions the ledger holds beyond the expected ones (repeats, or out of order)."""
        return sum(
            max(0, len(found) - _common_prefix(self.expected.get(record, []), found))
            for record, found in self.found.items()
        )


def _common_prefix(left: list[State], right: list[State]) -> int:
    count = 0
    for a, b in zip(left, right, strict=False):
        if a != b:
            break
        count += 1
    return count


class StormFailed(AssertionError):
    pass


def run_storm(
    url: str,
    start_worker: Callable[[], subprocess.Popen[bytes]],
    writer: Sage100Writer,
    clock: Callable[[timedelta], datetime],
    client: KashFlowClient,
    *,
    min_kills: int,
    min_rounds: int,
    records_per_system: int,
    key_diff: timedelta,
    seed: int = 11,
) -> Storm:
    """Runs rounds of changes until at least `min_rounds` and `min_kills`; the schedule
    must poll the customer streams often and nothing else (the caller sets it), and the
    workers diff Sage 100 key sets every `key_diff`. `clock` moves the Sage 100
    emulator's clock on by a delta."""
    storm = Storm()
    pick = random.Random(seed + 1)
    sage_keys = [f"{SAGE_PREFIX}{i:04d}" for i in range(records_per_system)]
    kashflow_keys = [f"{KASHFLOW_PREFIX}{i:02d}" for i in range(records_per_system)]
    killer = Killer(start_worker, url, seed)
    with psycopg.connect(url, autocommit=True) as conn:
        # a first full load before the storm, so rounds wait on changes, not on the seed
        _wait_for_polls(conn, _now(conn), killer)
        killer.start()
        try:
            while storm.rounds < min_rounds or killer.kills < min_kills:
                for system, keys in (("sage100", sage_keys), ("kashflow", kashflow_keys)):
                    for key in keys:
                        history = storm.expected.setdefault((system, key), [])
                        exists = bool(history) and history[-1][0] == "upsert"
                        if exists and pick.random() < 0.25:
                            _delete(system, key, writer, client, clock)
                            history.append(("delete", None))
                        else:
                            name = f"{key} round {storm.rounds}"
                            _upsert(system, key, name, exists, writer, client, clock)
                            history.append(("upsert", name))
                _wait_for_polls(conn, _now(conn) + key_diff, killer)
                behind = _behind(conn, storm.expected)
                if behind:
                    raise StormFailed(f"round {storm.rounds}: a poll after it missed {behind}")
                storm.rounds += 1
        finally:
            killer.stop()
            storm.kills, storm.clean_stops = killer.kills, killer.clean_stops
        storm.found = {
            **{("sage100", k): v for k, v in ledger_states(conn, "sage100", SAGE_PREFIX).items()},
            **{
                ("kashflow", k): v
                for k, v in ledger_states(conn, "kashflow", KASHFLOW_PREFIX).items()
            },
        }
    return storm


def ledger_states(
    conn: psycopg.Connection[Any], system: str, prefix: str
) -> dict[str, list[State]]:
    rows = conn.execute(
        "SELECT native_key, version, operation::text, payload->>'name'"
        " FROM ledger.record_version WHERE system = %s AND entity = 'customer'"
        " AND native_key LIKE %s ORDER BY native_key, version",
        (system, prefix + "%"),
    ).fetchall()
    states: dict[str, list[State]] = {}
    for key, version, operation, name in rows:
        if version != len(states.setdefault(key, [])) + 1:
            raise StormFailed(f"{system} {key}: version {version} after a gap or a duplicate")
        states[key].append((operation, name))
    return states


def _now(conn: psycopg.Connection[Any]) -> datetime:
    row = conn.execute("SELECT clock_timestamp()").fetchone()
    assert row is not None
    moment: datetime = row[0]
    return moment


def _wait_for_polls(conn: psycopg.Connection[Any], after: datetime, killer: Killer) -> None:
    """Until a poll of each customer stream begun after `after` has succeeded."""
    kills, started = killer.kills, time.monotonic()
    while True:
        row = conn.execute(
            "SELECT count(DISTINCT r.system) FROM ledger.sync_run AS r JOIN"
            " ledger.sync_run_end AS e USING (run_id) WHERE r.started_at > %s AND r.kind = 'poll'"
            " AND r.entity = 'customer' AND e.status = 'succeeded'",
            (after,),
        ).fetchone()
        if row is not None and row[0] == 2:
            return
        if killer.kills - kills > STUCK_KILLS or time.monotonic() - started > HUNG_SECONDS:
            raise StormFailed(f"no poll of both customer streams finished\n{_diagnose(conn)}")
        time.sleep(0.2)


def _behind(conn: psycopg.Connection[Any], expected: dict[Record, list[State]]) -> dict[str, Any]:
    newest = {
        **{("sage100", k): v[-1] for k, v in ledger_states(conn, "sage100", SAGE_PREFIX).items()},
        **{
            ("kashflow", k): v[-1]
            for k, v in ledger_states(conn, "kashflow", KASHFLOW_PREFIX).items()
        },
    }
    return {
        f"{system} {key}": (newest.get((system, key)), states[-1])
        for (system, key), states in expected.items()
        if newest.get((system, key)) != states[-1]
    }


def _diagnose(conn: psycopg.Connection[Any]) -> str:
    jobs = conn.execute(
        "SELECT task_name, status::text, lock, attempts FROM procrastinate.procrastinate_jobs"
        " WHERE status IN ('todo', 'doing') ORDER BY id"
    ).fetchall()
    runs = conn.execute(
        "SELECT r.system, r.entity, e.status, e.error FROM ledger.sync_run r"
        " LEFT JOIN ledger.sync_run_end e USING (run_id) ORDER BY r.run_id DESC LIMIT 8"
    ).fetchall()
    return f"jobs: {jobs}\nruns: {runs}"


def _upsert(
    system: str, key: str, name: str, exists: bool, writer: Sage100Writer,
    client: KashFlowClient, clock: Callable[[timedelta], datetime],
) -> None:  # fmt: skip
    if system == "sage100":
        clock(timedelta(seconds=1))
        writer.write(Customer.build(system="sage100", key=key, name=name))
        return
    record = Customer(system="kashflow", key=key, name=name)
    if exists:
        client.customers.update_record(record)
    else:
        client.customers.create_record(record)


def _delete(
    system: str, key: str, writer: Sage100Writer, client: KashFlowClient,
    clock: Callable[[timedelta], datetime],
) -> None:  # fmt: skip
    if system == "sage100":
        clock(timedelta(seconds=1))
        writer.delete_customer(key)
    else:
        client.customers.delete(key)
