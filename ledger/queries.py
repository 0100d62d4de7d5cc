"""Reading the ledger: current state, state as of any instant, and one record's history."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import psycopg
from psycopg.rows import class_row

from canonical import CanonicalRecord, parse_record
from ledger.sql import query


@dataclass(frozen=True, slots=True)
class StoredVersion:
    """One version of one record, as the ledger holds it."""

    system: str
    entity: str
    native_key: str
    version: int
    operation: str
    payload: dict[str, Any] | None
    raw: dict[str, Any] | None
    content_hash: str
    source_updated_at: datetime | None
    observed_at: datetime
    run_id: int | None

    def record(self) -> CanonicalRecord:
        """The canonical record this version holds (not for deletes)."""
        if self.payload is None:
            raise ValueError(
                f"{self.system}/{self.entity}/{self.native_key} v{self.version} is a delete"
            )
        return parse_record(self.system, self.entity, self.native_key, self.payload)


def _fetch(conn: psycopg.Connection[Any], name: str, params: dict[str, Any]) -> list[StoredVersion]:
    with conn.cursor(row_factory=class_row(StoredVersion)) as cur:
        cur.execute(query(name), params)
        return cur.fetchall()


def current(
    conn: psycopg.Connection[Any], system: str | None = None, entity: str | None = None
) -> list[StoredVersion]:
    """The newest non-deleted version of every record (optionally of one system/entity)."""
    return _fetch(conn, "current_records", {"system": system, "entity": entity})


def as_of(
    conn: psycopg.Connection[Any],
    at: datetime,
    system: str | None = None,
    entity: str | None = None,
) -> list[StoredVersion]:
    """The state of everything as the ledger had observed it at `at`."""
    return _fetch(conn, "records_as_of", {"at": at, "system": system, "entity": entity})


def history(
    conn: psycopg.Connection[Any], system: str, entity: str, key: str
) -> list[StoredVersion]:
    """Every version of one record, oldest first."""
    return _fetch(conn, "record_history", {"system": system, "entity": entity, "key": key})


def current_keys(conn: psycopg.Connection[Any], system: str, entity: str) -> set[str]:
    """The keys of every record of one stream whose newest version is not a delete."""
    rows = conn.execute(query("current_keys"), (system, entity)).fetchall()
    return {key for (key,) in rows}


def newest_raw(
    conn: psycopg.Connection[Any], system: str, entity: str, keys: list[str]
) -> dict[str, dict[str, Any]]:
    """The raw native row of the newest version of each of `keys` that has one."""
    if not keys:
        return {}
    rows = conn.execute(query("newest_raw"), (keys, system, entity)).fetchall()
    return {key: raw for key, raw in rows if raw is not None}
