"""Matcher results in the ledger: payment groups, master links, anomalies, GL suggestions."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import psycopg

from canonical import canonical_json

COPY_MATCH_RESULT = (
    "COPY ledger.match_result (run_id, kind, group_id, left_system, left_entity, left_key,"
    " right_system, right_entity, right_key, amount, score, status, rules, detail) FROM STDIN"
)


@dataclass(frozen=True, slots=True)
class MatchResult:
    kind: str
    group_id: str
    score: float
    status: str
    left: tuple[str, str, str] | None = None
    """(system, entity, key) of one side."""
    right: tuple[str, str, str] | None = None
    amount: Decimal | None = None
    rules: tuple[str, ...] = ()
    detail: dict[str, Any] = field(default_factory=dict)


def append_results(
    conn: psycopg.Connection[Any], run_id: int, results: Iterable[MatchResult]
) -> int:
    """Appends one reconcile run's results in one COPY; returns how many."""
    return copy_rows(conn, COPY_MATCH_RESULT, (_result_row(run_id, r) for r in results))


def _result_row(run_id: int, r: MatchResult) -> tuple[object, ...]:
    left = r.left or (None, None, None)
    right = r.right or (None, None, None)
    return (run_id, r.kind, r.group_id, *left, *right, r.amount, r.score, r.status,
            list(r.rules), canonical_json(r.detail))  # fmt: skip


def copy_rows(conn: psycopg.Connection[Any], copy: str, rows: Iterable[Sequence[object]]) -> int:
    """Writes `rows` with the COPY statement `copy`, in one transaction; returns how many."""
    count = 0
    with conn.transaction(), conn.cursor() as cur, cur.copy(copy) as writer:
        for row in rows:
            writer.write_row(row)
            count += 1
    return count


def results_of_run(
    conn: psycopg.Connection[Any], run_id: int, kind: str | None = None
) -> list[MatchResult]:
    rows = conn.execute(
        "SELECT kind, group_id, score, status, left_system, left_entity, left_key, right_system,"
        " right_entity, right_key, amount, rules, detail FROM ledger.match_result"
        " WHERE run_id = %s AND (%s::text IS NULL OR kind = %s) ORDER BY result_id",
        (run_id, kind, kind),
    ).fetchall()
    return [
        MatchResult(
            kind=k,
            group_id=g,
            score=s,
            status=st,
            left=(ls, le, lk) if lk is not None else None,
            right=(rs, re_, rk) if rk is not None else None,
            amount=amount,
            rules=tuple(rules),
            detail=detail,
        )
        for k, g, s, st, ls, le, lk, rs, re_, rk, amount, rules, detail in rows
    ]
