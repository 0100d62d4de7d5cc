"""What the applier does to the ledger, done by hand for the planners' tests: record
intents (with the writer's own `record_intents`), mark them applied, and read the written
record back as the next version of its target (the echo a poller would read)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import psycopg

from ledger import NewVersion, append_versions
from writer.intents import WriteIntent
from writer.outbox import record_intents


def apply_in_ledger(conn: psycopg.Connection[Any], intents: Iterable[WriteIntent]) -> None:
    """Records each intent, its success, and its record read back from the target."""
    intents = list(intents)
    record_intents(conn, intents)
    mark_succeeded(conn, intents)
    append_versions(conn, [NewVersion.of(i.record) for i in intents])


def mark_succeeded(conn: psycopg.Connection[Any], intents: Iterable[WriteIntent]) -> None:
    with conn.transaction(), conn.cursor() as cur:
        cur.executemany(
            "INSERT INTO ledger.write_outcome (idempotency_key, attempt, recovery_point,"
            " status, target_key) VALUES (%s, 1, 'finished', 'succeeded', %s)",
            [(i.idempotency_key, i.target_key) for i in intents],
        )
