"""What the applier does to the ledger, done by hand for the planners' tests: record
intents in the outbox, mark them applied, and read the written record back as the next
version of its target (the echo a poller would read)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

from ledger import NewVersion, append_versions
from writer.intents import WriteIntent


def record_intents(conn: psycopg.Connection[Any], intents: Iterable[WriteIntent]) -> None:
    with conn.transaction(), conn.cursor() as cur:
        cur.executemany(
            "INSERT INTO ledger.write_intent (idempotency_key, target_system, entity, operation,"
            " source_system, source_key, target_key, payload, depends_on, requires_approval)"
            " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
            [
                (
                    i.idempotency_key,
                    i.target_system,
                    i.entity,
                    i.operation,
                    i.source_system,
                    i.source_key,
                    i.target_key,
                    Jsonb(i.record.payload()),
                    list(i.depends_on),
                    i.requires_approval,
                )
                for i in intents
            ],
        )


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
