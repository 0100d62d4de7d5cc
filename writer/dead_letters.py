"""The writer's dead letters: writes a target refused for good (validation, an unknown
item, a missing vendor...), each naming system, entity, key, field and the exact message,
and where its intent stands now; and source records no write could be planned for
(``NotPlanned``: the record, the field and why). A retry, once the cause is fixed, is recorded as a
decision and is a new attempt of the same intent, so it still lands once."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

import psycopg

from ledger.decisions import Decision, append_decision, record_ref
from writer.outbox import intent_states

NOT_PLANNED = "not_planned"


@dataclass(frozen=True)
class WriterDeadLetter:
    dead_letter_id: int
    system: str | None
    entity: str | None
    key: str | None
    idempotency_key: str | None
    error_type: str
    field: str | None
    message: str
    payload: Any
    created_at: datetime
    now: str = "dead_letter"
    """Where its intent stands now: dead_letter, pending (retry asked), succeeded...;
    ``not_planned`` for a record no write could be planned for (no intent)."""


def writer_dead_letters(
    conn: psycopg.Connection[Any], dead_letter_id: int | None = None
) -> list[WriterDeadLetter]:
    """The writer's dead letters, oldest first (or the one with `dead_letter_id`)."""
    rows = conn.execute(
        "SELECT dead_letter_id, system, entity, native_key, idempotency_key, error_type,"
        " field, message, payload, created_at FROM ledger.dead_letter WHERE stage = 'writer'"
        " AND (%(id)s::bigint IS NULL OR dead_letter_id = %(id)s) ORDER BY dead_letter_id",
        {"id": dead_letter_id},
    ).fetchall()
    keys = [row[4] for row in rows if row[4]]
    stages = {s.idempotency_key: s.stage for s in intent_states(conn, keys)} if keys else {}
    letters = [WriterDeadLetter(*row) for row in rows]
    return [
        replace(d, now=stages.get(d.idempotency_key, "unknown"))
        if d.idempotency_key
        else replace(d, now=NOT_PLANNED)
        for d in letters
    ]


def request_retry(
    conn: psycopg.Connection[Any], dead_letter_id: int, actor: str, reason: str | None = None
) -> Decision:
    """Records that the dead letter's intent is to be tried again: a decision about its
    key, the dead letter and the record it would have written (for that record's audit).
    Refused (ValueError) for an unknown id or an intent that has landed since."""
    found = writer_dead_letters(conn, dead_letter_id)
    if not found:
        raise ValueError(f"no writer dead letter {dead_letter_id}")
    letter = found[0]
    if letter.now == NOT_PLANNED:
        raise ValueError(
            f"dead letter {dead_letter_id}: no write was planned for {letter.system}"
            f" {letter.entity} {letter.key}; correct it there (or the rules) and the next"
            " sync plans it"
        )
    if letter.now == "succeeded":
        raise ValueError(f"dead letter {dead_letter_id}: its write has landed since")
    records = []
    if letter.system and letter.entity and letter.key:
        records.append(record_ref(letter.system, letter.entity, letter.key))
    subject = {
        "idempotency_key": letter.idempotency_key,
        "dead_letter_id": dead_letter_id,
        "stage": "writer",
        "records": records,
    }
    return append_decision(conn, "retry", subject, "requested", actor, reason, commit=True)


def ask_retry(conn: psycopg.Connection[Any], dead_letter_id: int, actor: str) -> str:
    """Records that the dead letter's intent is to be tried again; returns its key.
    Refused (ValueError) for an unknown id or an intent that has landed since."""
    key: str = request_retry(conn, dead_letter_id, actor).subject["idempotency_key"]
    return key


def ask_retry_all(conn: psycopg.Connection[Any], actor: str) -> list[str]:
    """Asks a retry of every intent that stands dead-lettered now; returns their keys."""
    latest: dict[str, int] = {}
    for letter in writer_dead_letters(conn):
        if letter.idempotency_key and letter.now == "dead_letter":
            latest[letter.idempotency_key] = letter.dead_letter_id
    for dead_letter_id in latest.values():
        ask_retry(conn, dead_letter_id, actor)
    return list(latest)
