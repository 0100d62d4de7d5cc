"""Identity links between a KashFlow record and its Sage 100 counterpart.

`append_links` records links (and their withdrawals) found or decided in a run;
appending a link already in force is a no-op, so a run may be repeated safely.
`current_links` reads the links in force; `withdrawn_links` the pairs someone unlinked,
which matching must not link again.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

import psycopg
from psycopg.rows import class_row

from ledger.sql import query

LinkMethod = Literal["created_by_us", "matched", "confirmed"]
LinkAction = Literal["link", "unlink"]


@dataclass(frozen=True, slots=True)
class IdentityLink:
    """One KashFlow record and one Sage 100 record of an entity are the same thing."""

    entity: str
    kashflow_key: str
    sage100_key: str
    method: LinkMethod = "matched"
    score: float | None = None
    """The master matcher's score, on a link it made (`matched`); None on the others."""
    decided_by: str | None = None
    """Who made the link when the matcher did not: the person who confirmed it, or the
    writer that created the counterpart (`created_by_us`)."""
    run_id: int | None = None
    """The run that appended it (set on links read back; ignored by `append_links`)."""

    @property
    def pair(self) -> tuple[str, str]:
        return (self.kashflow_key, self.sage100_key)


def append_links(
    conn: psycopg.Connection[Any],
    run_id: int | None,
    links: Iterable[IdentityLink],
    action: LinkAction = "link",
) -> int:
    """Appends `links` (or, with ``action="unlink"``, their withdrawal) as one run's.

    A link already in force, or an unlink of a pair not linked, is skipped; returns
    how many rows were appended. Appends are serialised, so concurrent runs never
    append the same link twice.
    """
    given = {(link.entity, *link.pair): link for link in links}
    if not given:
        return 0
    rows = list(given.values())
    params = {
        "run_id": run_id,
        "entity": [link.entity for link in rows],
        "kashflow_key": [link.kashflow_key for link in rows],
        "sage100_key": [link.sage100_key for link in rows],
        "action": [action] * len(rows),
        "method": [link.method for link in rows],
        "score": [link.score for link in rows],
        "decided_by": [link.decided_by for link in rows],
    }
    with conn.transaction(), conn.cursor() as cur:
        cur.execute(query("lock_links"))
        cur.execute(query("append_links"), params)
        return cur.rowcount


def current_links(conn: psycopg.Connection[Any], entity: str | None = None) -> list[IdentityLink]:
    """The links in force (of one entity, or all), by entity and keys."""
    with conn.cursor(row_factory=class_row(IdentityLink)) as cur:
        cur.execute(query("current_links"), {"entity": entity})
        return cur.fetchall()


def withdrawn_links(conn: psycopg.Connection[Any], entity: str) -> set[tuple[str, str]]:
    """(kashflow_key, sage100_key) pairs of `entity` whose newest link row is an unlink."""
    rows = conn.execute(query("withdrawn_links"), {"entity": entity}).fetchall()
    return {(kashflow_key, sage100_key) for kashflow_key, sage100_key in rows}
