"""Human decisions: who decided what about which subject, and when, one row each.

A decision never changes what a run found (`ledger.match_result` stays as written); the
newest decision about a subject is its status now. Subjects are JSON: the id of what was
decided (``result_id``, ``idempotency_key``, ``dead_letter_id``) and ``records``, the
ledger records it concerns, so a record's audit finds every decision taken on it.
GL suggestions accepted (with the account chosen) are read back as training lines.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import psycopg
from psycopg.rows import class_row
from psycopg.types.json import Jsonb

from canonical import canonical_json

DECISION_COLUMNS = "decision_id, kind, subject, outcome, actor, reason, created_at"


@dataclass(frozen=True, slots=True)
class Decision:
    decision_id: int
    kind: str
    subject: dict[str, Any]
    outcome: str
    actor: str
    reason: str | None
    created_at: datetime


def record_ref(system: str, entity: str, key: str) -> dict[str, str]:
    """How a decision's subject names a ledger record."""
    return {"system": system, "entity": entity, "key": key}


def append_decision(
    conn: psycopg.Connection[Any],
    kind: str,
    subject: Mapping[str, Any],
    outcome: str,
    actor: str,
    reason: str | None = None,
    *,
    commit: bool = False,
) -> Decision:
    """Appends one decision and returns it as stored (with its id and time). With `commit`,
    the transaction the connection is in is committed as well, so another connection (the
    writer's applier) sees the decision at once."""
    with conn.transaction(), conn.cursor(row_factory=class_row(Decision)) as cur:
        cur.execute(
            "INSERT INTO ledger.decision (kind, subject, outcome, actor, reason)"
            f" VALUES (%s, %s, %s, %s, %s) RETURNING {DECISION_COLUMNS}",
            (kind, Jsonb(dict(subject), canonical_json), outcome, actor, reason),
        )
        stored = cur.fetchone()
    assert stored is not None
    if commit and not conn.autocommit:
        conn.commit()
    return stored


def decisions_about(
    conn: psycopg.Connection[Any], subject: Mapping[str, Any], kind: str | None = None
) -> list[Decision]:
    """Every decision whose subject contains `subject` (JSON containment), oldest first."""
    with conn.cursor(row_factory=class_row(Decision)) as cur:
        cur.execute(
            f"SELECT {DECISION_COLUMNS} FROM ledger.decision WHERE subject @> %s"
            " AND (%s::text IS NULL OR kind = %s) ORDER BY decision_id",
            (Jsonb(dict(subject), canonical_json), kind, kind),
        )
        return cur.fetchall()


@dataclass(frozen=True, slots=True)
class AcceptedAccount:
    """A GL suggestion someone accepted: the line as it was suggested for, and the account."""

    description: str
    counterparty: str
    amount: float
    nominal_code: str | None
    gl_account: str
    purchase_key: str
    line_no: int


def accepted_gl_accounts(conn: psycopg.Connection[Any]) -> list[AcceptedAccount]:
    """The account chosen for each purchase line whose GL suggestion was accepted (the
    newest decision per line wins; a line rejected after its acceptance is left out)."""
    rows = conn.execute(
        "SELECT DISTINCT ON (subject->>'group_id') outcome, subject FROM ledger.decision"
        " WHERE kind = 'gl_suggestion' ORDER BY subject->>'group_id', decision_id DESC"
    ).fetchall()
    accepted = []
    for outcome, subject in rows:
        if outcome != "accepted":
            continue
        line = subject.get("line") or {}
        accepted.append(
            AcceptedAccount(
                description=str(line.get("description") or ""),
                counterparty=str(line.get("counterparty") or ""),
                amount=float(line.get("amount") or 0),
                nominal_code=line.get("nominal_code"),
                gl_account=str(subject["account"]),
                purchase_key=str(subject.get("purchase_key") or ""),
                line_no=int(subject.get("line_no") or 0),
            )
        )
    return accepted


def subjects_of(records: Iterable[tuple[str, str, str]]) -> list[dict[str, str]]:
    return [record_ref(*record) for record in records]
