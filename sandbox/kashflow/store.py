"""The sandbox's state in SQLite: one row per KashFlow record, so it survives a restart.

Each row keeps the full record and its list summary as ready-written JSON text, so a
page of 500 summaries is one indexed query and a string join. Counters hand out the
numeric `Id`s KashFlow assigns.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from sandbox.kashflow import wire
from sandbox.state_file import sqlite_tables

SCHEMA = """
CREATE TABLE IF NOT EXISTS record (
    resource TEXT NOT NULL,
    key TEXT NOT NULL,
    num INTEGER,
    summary TEXT NOT NULL,
    full TEXT NOT NULL,
    PRIMARY KEY (resource, key)
);
CREATE INDEX IF NOT EXISTS record_order ON record (resource, num, key);
CREATE TABLE IF NOT EXISTS counter (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


Row = tuple[str, str, dict[str, Any], dict[str, Any]]
"""One record to store: (resource, key, full record, list summary)."""


def numeric_order(key: str) -> int | None:
    """A key made of digits orders as its number (invoice 9 before 10), if SQLite can
    hold it; any other key orders after, by its text."""
    if key.isascii() and key.isdigit() and len(key) <= 18:
        return int(key)
    return None


class Store:
    """Records by (resource, key); `num` orders numeric keys (invoice numbers) numerically."""

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        self._lock = threading.RLock()
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(SCHEMA)

    @staticmethod
    def holds_state(path: str | Path) -> bool:
        """True when `path` is empty or a SQLite file with this store's tables."""
        target = Path(path)
        if target.is_file() and target.stat().st_size == 0:
            return True
        return {"record", "counter", "meta"} <= (sqlite_tables(target) or set())

    def close(self) -> None:
        with self._lock:
            self._db.close()

    # -- meta and counters -------------------------------------------------------------
    def meta(self, name: str) -> str | None:
        with self._lock:
            row = self._db.execute("SELECT value FROM meta WHERE name = ?", (name,)).fetchone()
        return None if row is None else str(row[0])

    def set_meta(self, name: str, value: str) -> None:
        with self._lock:
            self._db.execute(
                "INSERT INTO meta (name, value) VALUES (?, ?)"
                " ON CONFLICT (name) DO UPDATE SET value = excluded.value",
                (name, value),
            )

    def next_id(self, name: str, start: int = 1) -> int:
        with self._lock:
            row = self._db.execute(
                "INSERT INTO counter (name, value) VALUES (?, ?)"
                " ON CONFLICT (name) DO UPDATE SET value = value + 1 RETURNING value",
                (name, start),
            ).fetchone()
        return int(row[0])

    def reserve_ids(self, name: str, count: int, start: int = 1) -> int:
        """Reserves `count` ids at once; returns the first."""
        with self._lock:
            row = self._db.execute(
                "INSERT INTO counter (name, value) VALUES (?, ?)"
                " ON CONFLICT (name) DO UPDATE SET value = value + ? RETURNING value",
                (name, start + count - 1, count),
            ).fetchone()
        return int(row[0]) - count + 1

    # -- records -----------------------------------------------------------------------
    def get(self, resource: str, key: str) -> dict[str, Any] | None:
        with self._lock:
            row = self._db.execute(
                "SELECT full FROM record WHERE resource = ? AND key = ?", (resource, key)
            ).fetchone()
        return None if row is None else dict(wire.loads(row[0]))

    def put(self, resource: str, key: str, full: dict[str, Any], summary: dict[str, Any]) -> None:
        self.put_many(resource, [(key, full, summary)])

    def put_many(
        self, resource: str, rows: Iterable[tuple[str, dict[str, Any], dict[str, Any]]]
    ) -> None:
        """Inserts or replaces many records in one transaction (the seeding fast path)."""
        self.write((resource, key, full, summary) for key, full, summary in rows)

    def write(self, rows: Iterable[Row], deletes: Iterable[tuple[str, str]] = ()) -> None:
        """Inserts or replaces `rows` and deletes `(resource, key)`s, all in one
        transaction: a document and the balance of its party change together."""
        values = (
            (resource, key, numeric_order(key), wire.dumps(summary), wire.dumps(full))
            for resource, key, full, summary in rows
        )
        with self._lock:
            self._db.execute("BEGIN")
            try:
                self._db.executemany(
                    "INSERT OR REPLACE INTO record (resource, key, num, summary, full)"
                    " VALUES (?, ?, ?, ?, ?)",
                    values,
                )
                self._db.executemany(
                    "DELETE FROM record WHERE resource = ? AND key = ?", list(deletes)
                )
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def delete(self, resource: str, key: str) -> bool:
        with self._lock:
            cursor = self._db.execute(
                "DELETE FROM record WHERE resource = ? AND key = ?", (resource, key)
            )
        return cursor.rowcount > 0

    def count(self, resource: str, where: tuple[str, str] | None = None) -> int:
        sql = "SELECT count(*) FROM record WHERE resource = ?"
        args: list[object] = [resource]
        if where is not None:
            sql += " AND json_extract(full, ?) = ?"
            args += [f"$.{where[0]}", where[1]]
        with self._lock:
            return int(self._db.execute(sql, args).fetchone()[0])

    def page(
        self,
        resource: str,
        *,
        offset: int,
        limit: int,
        sort_field: str | None = None,
        descending: bool = False,
        where: tuple[str, str] | None = None,
    ) -> list[str]:
        """Summaries as JSON text, in order; `sort_field` None means by key."""
        direction = "DESC" if descending else "ASC"
        sql = "SELECT summary FROM record WHERE resource = ?"
        args: list[object] = [resource]
        if where is not None:
            sql += " AND json_extract(full, ?) = ?"
            args += [f"$.{where[0]}", where[1]]
        if sort_field is None:
            sql += f" ORDER BY num {direction}, key {direction}"
        else:
            sql += f" ORDER BY json_extract(full, ?) {direction}, num {direction}, key {direction}"
            args.append(f"$.{sort_field}")
        sql += " LIMIT ? OFFSET ?"
        args += [limit, offset]
        with self._lock:
            return [str(row[0]) for row in self._db.execute(sql, args)]

    def records(self, resource: str) -> Iterator[dict[str, Any]]:
        with self._lock:
            rows = self._db.execute(
                "SELECT full FROM record WHERE resource = ? ORDER BY num, key", (resource,)
            ).fetchall()
        for (text,) in rows:
            yield dict(wire.loads(text))

    def find(self, resource: str, field: str, value: Any) -> dict[str, Any] | None:
        with self._lock:
            row = self._db.execute(
                "SELECT full FROM record WHERE resource = ? AND json_extract(full, ?) = ? LIMIT 1",
                (resource, f"$.{field}", value),
            ).fetchone()
        return None if row is None else dict(wire.loads(row[0]))
