"""Exactly once under SIGKILL: `ledgerbridge apply` runs as a subprocess against both
sandboxes (KashFlow over HTTP, with creates whose answer is lost after commit; Sage 100
through the BOI emulator) and is killed at random moments — before its calls, while they
are in flight, after them before their outcomes are stored — at least 20 times, then
run to the end. Each target then holds each record exactly once, and every intent has
succeeded."""

from __future__ import annotations

import random
import subprocess
from pathlib import Path
from typing import Any

import httpx
import psycopg

from connectors.kashflow import KashFlowClient
from connectors.sage100 import Sage100Reader
from ledgerbridge.crash_plan import (
    APPLY_COMMAND,
    applier_env,
    attempts_and_recoveries,
    crash_intents,
    interrupt_apply,
)
from sandbox.kashflow import SandboxServer
from writer.apply import Applier
from writer.outbox import intent_states

MIN_KILLS = 20
# Enough work that a fast machine cannot finish it all in fewer than MIN_KILLS runs.
RECORDS_PER_SYSTEM = 32


def test_sigkilled_appliers_leave_every_record_written_exactly_once(
    ledger_url: str,
    company_db: Path,
    server: SandboxServer,
    kashflow: KashFlowClient,
    autocommit: psycopg.Connection[Any],
    tmp_path: Path,
) -> None:
    Applier(autocommit, {}).submit(crash_intents(RECORDS_PER_SYSTEM))
    httpx.put(
        f"{server.admin_url}/faults",
        json={"drop_after_commit_count": 4, "methods": ["POST"], "path_prefix": "/v2/invoices"},
    ).raise_for_status()
    env = applier_env(ledger_url, server.base_url, company_db)
    chance = random.Random(20261129)
    kills = runs = 0
    with (tmp_path / "apply.log").open("wb") as log:
        while kills < MIN_KILLS and runs < 3 * MIN_KILLS:
            runs += 1
            # Once it has stored a random number of steps, kill it a random moment later:
            # between phases, in a call, or after calls whose outcomes are not stored yet.
            run = interrupt_apply(
                autocommit, env, log, steps=chance.randint(1, 6), pause=chance.uniform(0.0, 0.1)
            )
            assert not run.stalled, "the applier never began"
            kills += run.killed
            if {st.stage for st in intent_states(autocommit)} == {"succeeded"}:
                break  # nothing left to interrupt
        finished = subprocess.run(APPLY_COMMAND, env=env, stdout=log, stderr=subprocess.STDOUT)
    assert kills >= MIN_KILLS
    assert finished.returncode == 0, (tmp_path / "apply.log").read_text()[-3000:]

    states = intent_states(autocommit)
    assert len(states) == 5 * RECORDS_PER_SYSTEM
    assert {s.stage for s in states} == {"succeeded"}, [
        (s.idempotency_key, s.stage) for s in states if s.stage != "succeeded"
    ]
    codes = [c["Code"] for c in kashflow.customers.list(perpage=500) if c["Code"][:4] == "CRSH"]
    assert sorted(codes) == [f"CRSH{n:02d}" for n in range(RECORDS_PER_SYSTEM)]
    numbers = [
        s["Number"] for s in kashflow.invoices.list(perpage=500) if 883000 <= s["Number"] < 883100
    ]
    assert sorted(numbers) == [883000 + n for n in range(RECORDS_PER_SYSTEM)]
    for n in range(RECORDS_PER_SYSTEM):
        assert len(kashflow.invoices.payment_lines(883000 + n)) == 1
    with Sage100Reader(f"DRIVER=SQLite3;Database={company_db}") as reader:
        posted = [
            r["InvoiceNo"]
            for r in reader.rows(
                "SELECT InvoiceNo FROM AR_InvoiceHistoryHeader WHERE InvoiceNo LIKE '07300%'"
            )
        ]
        banked = [
            r["CheckNo"]
            for r in reader.rows(
                "SELECT CheckNo FROM AR_CashReceiptsHistory WHERE CheckNo LIKE 'SR%'"
            )
        ]
    assert sorted(posted) == [f"0{730000 + n}" for n in range(RECORDS_PER_SYSTEM)]
    assert sorted(banked) == [f"SR{n:02d}" for n in range(RECORDS_PER_SYSTEM)]
    started, found = attempts_and_recoveries(autocommit)
    print(f"kills={kills} runs={runs} attempts={started} found_after_crash={found}")
    assert started > len(states)  # kills cut attempts short, which were started again
