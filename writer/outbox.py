"""The outbox in the ledger: write intents (one row per idempotency key), the steps of
applying each (`ledger.write_outcome`: started, in_progress at a recovery point, then
succeeded / failed_transient / failed_permanent) and the decisions that release or park
them (approvals, retries). Nothing is updated: where an intent stands is read from its
newest rows.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

import psycopg
from psycopg.types.json import Jsonb

from canonical import CanonicalRecord, canonical_json, parse_record
from ledger.decisions import Decision, append_decision, record_ref
from writer.intents import WriteIntent
from writer.sql import query

Stage = Literal["pending", "awaiting_approval", "succeeded", "dead_letter", "rejected"]

STARTED = "started"
CALL_STARTED = "call_started"
"""The recovery point recorded before the target is called: an attempt that reached it
may have written, so the next one searches the target first."""
FINISHED = "finished"
FOUND = "found_after_uncertain"
REJECTED = "rejected"


@dataclass(frozen=True)
class StoredIntent:
    """A write intent as `ledger.write_intent` holds it."""

    idempotency_key: str
    target_system: str
    entity: str
    operation: str
    source_system: str | None
    source_key: str | None
    target_key: str | None
    payload: dict[str, Any]


@dataclass(frozen=True)
class IntentState(StoredIntent):
    """A stored intent and where its applying stands."""

    intent_id: int
    depends_on: list[str]
    requires_approval: bool
    created_at: datetime
    status: str | None
    recovery_point: str | None
    written_key: str | None
    attempts: int
    transient_failures: int
    called: bool
    approval: str | None
    retry_asked: bool
    native_fields: dict[str, str] | None = None
    """Target columns the rules add beyond the record (see `WriteIntent.native_fields`)."""

    @property
    def stage(self) -> Stage:
        if self.status == "succeeded":
            return "succeeded"
        if self.status == "failed_permanent":
            if self.recovery_point == REJECTED:
                return "rejected"
            return "pending" if self.retry_asked else "dead_letter"
        if self.requires_approval and self.approval != "approved":
            return "rejected" if self.approval == "rejected" else "awaiting_approval"
        return "pending"

    def record(self) -> CanonicalRecord:
        """The record to write, rebuilt from the stored payload."""
        return parse_record(self.target_system, self.entity, self.target_key or "", self.payload)


def record_intents(
    conn: psycopg.Connection[Any], intents: Iterable[WriteIntent], run_id: int | None = None
) -> int:
    """Appends intents not stored yet (the key decides); returns how many were new."""
    rows = [
        (
            intent.idempotency_key,
            intent.target_system,
            intent.entity,
            intent.operation,
            intent.source_system,
            intent.source_key,
            intent.target_key,
            Jsonb(intent.record.payload(), canonical_json),
            list(intent.depends_on),
            intent.requires_approval,
            run_id,
            Jsonb(dict(intent.native_fields)) if intent.native_fields else None,
        )
        for intent in intents
    ]
    if not rows:
        return 0
    added = 0
    with conn.transaction(), conn.cursor() as cur:
        for row in rows:
            cur.execute(
                "INSERT INTO ledger.write_intent (idempotency_key, target_system, entity,"
                " operation, source_system, source_key, target_key, payload, depends_on,"
                " requires_approval, run_id, native_fields)"
                " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
                " ON CONFLICT (idempotency_key) DO NOTHING",
                row,
            )
            added += cur.rowcount
    return added


def intent_states(
    conn: psycopg.Connection[Any], keys: Sequence[str] | None = None
) -> list[IntentState]:
    """Every stored intent (or those of `keys`), oldest first."""
    rows = conn.execute(
        query("intent_states"), {"keys": None if keys is None else list(keys)}
    ).fetchall()
    return [IntentState(*row) for row in rows]


@dataclass(frozen=True)
class Step:
    """One `ledger.write_outcome` row to append."""

    idempotency_key: str
    attempt: int
    recovery_point: str
    status: str
    target_key: str | None = None
    error: Mapping[str, Any] | None = None


def append_steps(conn: psycopg.Connection[Any], steps: Sequence[Step]) -> None:
    """Appends steps in one transaction: one atomic phase of one or many intents."""
    if not steps:
        return
    with conn.transaction(), conn.cursor() as cur:
        cur.executemany(
            "INSERT INTO ledger.write_outcome (idempotency_key, attempt, recovery_point,"
            " status, target_key, error) VALUES (%s, %s, %s, %s, %s, %s)",
            [
                (
                    s.idempotency_key,
                    s.attempt,
                    s.recovery_point,
                    s.status,
                    s.target_key,
                    None if s.error is None else Jsonb(dict(s.error), canonical_json),
                )
                for s in steps
            ],
        )


def planned_from(
    key: str, entity: str, source_system: str | None, source_key: str | None
) -> dict[str, str] | None:
    """The ledger record the intent `key` (writing `entity`) was planned from, if any: its
    key names the source entity (flow:system:entity:key:version)."""
    if not (source_system and source_key):
        return None
    parts = key.split(":")
    return record_ref(source_system, parts[2] if len(parts) >= 5 else entity, source_key)


def approval_subject(conn: psycopg.Connection[Any], key: str) -> dict[str, Any]:
    """What an approval of the intent `key` is about: the intent (key and id) and the
    record it was planned from, so that record's audit shows the decision."""
    found = intent_states(conn, [key])
    if not found:
        return {"idempotency_key": key}
    intent = found[0]
    source = planned_from(key, intent.entity, intent.source_system, intent.source_key)
    records = [source] if source else []
    return {"idempotency_key": key, "intent_id": intent.intent_id, "records": records}


def approve(
    conn: psycopg.Connection[Any], key: str, actor: str, reason: str | None = None
) -> Decision:
    """Records an approval of the intent `key`; it posts on the next apply."""
    return _approval(conn, key, "approved", actor, reason)


def reject(
    conn: psycopg.Connection[Any], key: str, actor: str, reason: str | None = None
) -> Decision:
    """Records a rejection of the intent `key`: it never posts."""
    return _approval(conn, key, "rejected", actor, reason)


def _approval(
    conn: psycopg.Connection[Any], key: str, outcome: str, actor: str, reason: str | None
) -> Decision:
    """The decision, committed at once: the applier reads it on a connection of its own."""
    subject = approval_subject(conn, key)
    return append_decision(conn, "approval", subject, outcome, actor, reason, commit=True)


def awaiting_approval(conn: psycopg.Connection[Any]) -> list[IntentState]:
    """Intents that wait for a human approval, oldest first."""
    return [s for s in intent_states(conn) if s.stage == "awaiting_approval"]
