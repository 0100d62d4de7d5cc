"""Exactly once under crashes, in the manner of Kafka Connect's exactly-once source test
(`ledgerbridge/cdc_storm.py`, shared with bench/cdc_crash.py): while a script edits both
sandboxes (creates, edits, deletes, re-creates), two workers run the schedule and are
stopped — cleanly or with SIGKILL — at random moments and started again. Each round
waits for polls begun after it, not for a time; at the end every source change is in
the ledger exactly once, in order per record: no version missing, none duplicated.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import psycopg
from sage100_fixtures import Clock

from cdc.streams import STREAMS
from connectors.kashflow import KashFlowClient
from connectors.sage100 import Sage100Writer
from ledger.schedules import set_schedule
from ledgerbridge.cdc_storm import run_storm

ROUNDS = 12
RECORDS_PER_SYSTEM = 4
MIN_KILLS = 20


def test_every_change_lands_exactly_once_while_workers_are_killed(
    autocommit: psycopg.Connection[Any],
    ledger_url: str,
    start_worker: Callable[..., subprocess.Popen[bytes]],
    worker_env: dict[str, str],
    writer: Sage100Writer,
    clock: Clock,
    client: KashFlowClient,
) -> None:
    for target in STREAMS:
        seconds = 1 if target.entity == "customer" else None
        set_schedule(autocommit, target.system, target.entity, seconds, "test")
    storm = run_storm(
        ledger_url,
        lambda: start_worker(quick=True, read_only=True),  # the writer would copy the keys across
        writer,
        lambda delta: clock.advance(seconds=delta.total_seconds()),
        client,
        min_kills=MIN_KILLS,
        min_rounds=ROUNDS,
        records_per_system=RECORDS_PER_SYSTEM,
        key_diff=timedelta(seconds=float(worker_env["LEDGERBRIDGE_CDC__KEY_DIFF_SECONDS"])),
    )
    assert storm.found == storm.expected
    assert (storm.missing(), storm.duplicated()) == (0, 0)
    assert storm.kills >= MIN_KILLS and storm.clean_stops >= 1
    assert storm.changes >= ROUNDS * 2 * RECORDS_PER_SYSTEM
