"""Exactly once under crashes, in the manner of Kafka Connect's exactly-once source test:
while a script edits both sandboxes (creates, edits, deletes, re-creates), two workers
run the schedule and are stopped — cleanly or with SIGKILL — at random moments and
started again. At the end every source change is in the ledger exactly once, in order
per record: no version missing, none duplicated.

The script waits for each round of changes to reach the ledger before making the next,
so that every state is observable by a poller (polling sees states, not keystrokes).
"""

from __future__ import annotations

import random
import signal
import subprocess
import threading
import time
from collections.abc import Callable
from typing import Any

import psycopg
from sage100_fixtures import Clock

from canonical import Customer
from cdc.streams import STREAMS
from connectors.kashflow import KashFlowClient
from connectors.sage100 import Sage100Writer
from ledger.schedules import set_schedule

ROUNDS = 12
RECORDS_PER_SYSTEM = 4
MIN_KILLS = 20
State = tuple[str, str | None]


class Killer(threading.Thread):
    """Keeps two workers running; once both are up, stops one of them at a random moment
    (SIGKILL mostly, else a clean SIGTERM) and starts it again."""

    def __init__(
        self, start_worker: Callable[..., subprocess.Popen[bytes]], url: str, seed: int
    ) -> None:
        super().__init__(daemon=True)
        self.start_worker = start_worker
        self.url = url
        self.random = random.Random(seed)
        self.workers = [start_worker(quick=True), start_worker(quick=True)]
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
            deadline = time.monotonic() + 30
            while not self.both_up() and time.monotonic() < deadline:
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
            self.workers[slot] = self.start_worker(quick=True)


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
        assert version == len(states.setdefault(key, [])) + 1, f"{key}: gap or duplicate"
        states[key].append((operation, name))
    return states


def test_every_change_lands_exactly_once_while_workers_are_killed(
    autocommit: psycopg.Connection[Any],
    ledger_url: str,
    start_worker: Callable[..., subprocess.Popen[bytes]],
    writer: Sage100Writer,
    clock: Clock,
    client: KashFlowClient,
) -> None:
    for target in STREAMS:
        seconds = 1 if target.entity == "customer" else None
        set_schedule(autocommit, target.system, target.entity, seconds, "test")
    # a first full load before the storm, so rounds wait on changes, not on the seed
    killer = Killer(start_worker, ledger_url, seed=11)
    wait_until(lambda: bool(ledger_states(autocommit, "sage100", "01-")), 60)
    killer.start()

    pick = random.Random(7)
    expected: dict[tuple[str, str], list[State]] = {}
    sage_keys = [f"01-CRSH{i:04d}" for i in range(RECORDS_PER_SYSTEM)]
    kashflow_keys = [f"CRSH{i:02d}" for i in range(RECORDS_PER_SYSTEM)]
    try:
        for round_no in range(ROUNDS):
            for system, keys in (("sage100", sage_keys), ("kashflow", kashflow_keys)):
                for key in keys:
                    history = expected.setdefault((system, key), [])
                    exists = bool(history) and history[-1][0] == "upsert"
                    if exists and pick.random() < 0.25:
                        delete(system, key, writer, client, clock)
                        history.append(("delete", None))
                    else:
                        name = f"{key} round {round_no}"
                        upsert(system, key, name, exists, writer, client, clock)
                        history.append(("upsert", name))
            wait_until(
                lambda: caught_up(autocommit, expected), 45, lambda: diagnose(autocommit, expected)
            )
        while killer.kills < MIN_KILLS:
            time.sleep(0.5)
    finally:
        killer.stopping.set()
        killer.join(30)
    wait_until(lambda: caught_up(autocommit, expected), 45)
    found = {
        **{("sage100", k): v for k, v in ledger_states(autocommit, "sage100", "01-CRSH").items()},
        **{("kashflow", k): v for k, v in ledger_states(autocommit, "kashflow", "CRSH").items()},
    }
    assert found == expected
    assert killer.kills >= MIN_KILLS and killer.clean_stops >= 1
    assert sum(len(states) for states in expected.values()) >= ROUNDS * 2 * RECORDS_PER_SYSTEM


def upsert(
    system: str, key: str, name: str, exists: bool,
    writer: Sage100Writer, client: KashFlowClient, clock: Clock,
) -> None:  # fmt: skip
    if system == "sage100":
        clock.advance(seconds=1)
        writer.write(Customer.build(system="sage100", key=key, name=name))
        return
    record = Customer(system="kashflow", key=key, name=name)
    if exists:
        client.customers.update_record(record)
    else:
        client.customers.create_record(record)


def delete(
    system: str, key: str, writer: Sage100Writer, client: KashFlowClient, clock: Clock
) -> None:
    if system == "sage100":
        clock.advance(seconds=1)
        writer.delete_customer(key)
    else:
        client.customers.delete(key)


def caught_up(conn: psycopg.Connection[Any], expected: dict[tuple[str, str], list[State]]) -> bool:
    newest = {
        **{("sage100", k): v[-1] for k, v in ledger_states(conn, "sage100", "01-CRSH").items()},
        **{("kashflow", k): v[-1] for k, v in ledger_states(conn, "kashflow", "CRSH").items()},
    }
    return all(newest.get(record) == states[-1] for record, states in expected.items())


def diagnose(conn: psycopg.Connection[Any], expected: dict[tuple[str, str], list[State]]) -> str:
    newest = {
        **{("sage100", k): v[-1] for k, v in ledger_states(conn, "sage100", "01-CRSH").items()},
        **{("kashflow", k): v[-1] for k, v in ledger_states(conn, "kashflow", "CRSH").items()},
    }
    behind = {r: (newest.get(r), s[-1]) for r, s in expected.items() if newest.get(r) != s[-1]}
    jobs = conn.execute(
        "SELECT task_name, status::text, lock, attempts FROM procrastinate.procrastinate_jobs"
        " WHERE status IN ('todo', 'doing') ORDER BY id"
    ).fetchall()
    runs = conn.execute(
        "SELECT r.system, r.entity, e.status, e.error FROM ledger.sync_run r"
        " LEFT JOIN ledger.sync_run_end e USING (run_id) ORDER BY r.run_id DESC LIMIT 8"
    ).fetchall()
    return f"behind: {behind}\njobs: {jobs}\nruns: {runs}"


def wait_until(
    check: Callable[[], bool], seconds: float, explain: Callable[[], str] = lambda: ""
) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"not caught up within {seconds} s\n{explain()}")
        time.sleep(0.25)
