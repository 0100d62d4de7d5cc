"""Appending record versions: COPY in one transaction per batch, versions consecutive per record.

A version whose content hash (and operation) equals the record's newest is a no-op, so a
re-read of an unchanged record changes nothing: delivery is at least once, its effect
exactly once. Appenders of one (system, entity) stream serialise on a transaction-level
advisory lock, so concurrent appenders of the same record get consecutive versions,
never a duplicate or a gap; different streams append in parallel.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple
from weakref import WeakKeyDictionary

import orjson
import psycopg
from psycopg.adapt import Dumper
from psycopg.copy import QueuedLibpqWriter
from psycopg.pq import Format

from canonical import CanonicalRecord
from canonical.records import json_value
from ledger.sql import query

DELETED_HASH = hashlib.sha256(b"deleted").hexdigest()

COPY_RECORD_VERSION = (
    "COPY ledger.record_version (system, entity, native_key, version, operation, payload, raw,"
    " content_hash, source_updated_at, observed_at, run_id) FROM STDIN (FORMAT BINARY)"
)
ENUM_COLUMNS = ("ledger.system", "ledger.entity", "ledger.operation")


class _EnumLabel(Dumper):
    """Sends a str as the binary form of a PostgreSQL enum: its label."""

    format = Format.BINARY

    dump = staticmethod(str.encode)  # type: ignore[assignment]


class _EncodedJsonb(Dumper):
    """Sends JSON already serialised to UTF-8 bytes as binary jsonb (version byte 1 + text),
    so the payload is serialised once, for its hash and for the wire."""

    format = Format.BINARY

    def dump(self, obj: Any) -> bytes:
        return b"\x01" + obj


class NewVersion(NamedTuple):
    """One observation of a record: its canonical payload (None for a delete) and raw row.

    A NamedTuple rather than a dataclass: pollers build hundreds of thousands of these, and
    a tuple is built several times faster while being just as immutable."""

    system: str
    entity: str
    key: str
    payload: Mapping[str, Any] | None
    raw: Mapping[str, Any] | None = None
    source_updated_at: datetime | None = None

    @classmethod
    def of(
        cls,
        record: CanonicalRecord,
        raw: Mapping[str, Any] | None = None,
        source_updated_at: datetime | None = None,
    ) -> NewVersion:
        return cls(
            record.system, record.entity, record.key, record.payload(), raw, source_updated_at
        )

    @classmethod
    def deleted(
        cls,
        system: str,
        entity: str,
        key: str,
        raw: Mapping[str, Any] | None = None,
        source_updated_at: datetime | None = None,
    ) -> NewVersion:
        return cls(system, entity, key, None, raw, source_updated_at)

    @property
    def operation(self) -> str:
        return "delete" if self.payload is None else "upsert"


@dataclass
class AppendResult:
    appended: int = 0
    unchanged: int = 0
    appended_keys: list[tuple[str, str, str, int]] = field(default_factory=list)
    """(system, entity, key, version) of every version written."""


class _Head(NamedTuple):
    version: int
    operation: str
    content_hash: str


def encoded_jsonb_dumper(conn: psycopg.Connection[Any]) -> type[Dumper]:
    """The binary jsonb dumper for pre-encoded JSON, bound to this connection's jsonb oid."""
    return type("EncodedJsonb", (_EncodedJsonb,), {"oid": conn.adapters.types["jsonb"].oid})


def bind_copy_types(conn: psycopg.Connection[Any], cur: psycopg.Cursor[Any]) -> list[int | str]:
    """Binds to `cur` the binary dumpers a COPY into record_version needs; returns the
    column types in COPY_RECORD_VERSION order."""
    enum_oids = _enum_oids(conn)
    for oid in enum_oids:
        cur.adapters.register_dumper(None, type("EnumLabel", (_EnumLabel,), {"oid": oid}))
    cur.adapters.register_dumper(None, encoded_jsonb_dumper(conn))
    system, entity, operation = enum_oids
    return [system, entity, "text", "int4", operation, "jsonb", "jsonb", "text", "timestamptz",
            "timestamptz", "int8"]  # fmt: skip


_ENUM_OIDS: WeakKeyDictionary[psycopg.Connection[Any], tuple[int, int, int]] = WeakKeyDictionary()


def _enum_oids(conn: psycopg.Connection[Any]) -> tuple[int, int, int]:
    cached = _ENUM_OIDS.get(conn)
    if cached is None:
        row = conn.execute(
            "SELECT %s::regtype::oid, %s::regtype::oid, %s::regtype::oid", ENUM_COLUMNS
        ).fetchone()
        assert row is not None
        cached = _ENUM_OIDS[conn] = (int(row[0]), int(row[1]), int(row[2]))
    return cached


def append_versions(
    conn: psycopg.Connection[Any],
    versions: Iterable[NewVersion],
    run_id: int | None = None,
) -> AppendResult:
    """Appends a batch atomically; returns what was written and what was a no-op.

    Rows are serialised, hashed and streamed into COPY one by one, so the client's work
    overlaps with the server's parsing and indexing of the rows already sent.
    """
    streams: dict[tuple[str, str], list[NewVersion]] = {}
    for new in versions:
        stream = streams.get((new.system, new.entity))
        if stream is None:
            stream = streams[(new.system, new.entity)] = []
        stream.append(new)
    result = AppendResult()
    if not streams:
        return result
    sha256 = hashlib.sha256
    appended = result.appended_keys
    with conn.transaction(), conn.cursor() as cur:
        for system, entity in sorted(streams):
            cur.execute(
                "SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))",
                (f"ledger.record_version:{system}:{entity}",),
            )
        observed_at = cur.execute("SELECT clock_timestamp()").fetchone()[0]  # type: ignore[index]
        heads = {
            stream: _newest(cur, *stream, {new.key for new in batch})
            for stream, batch in streams.items()
        }
        types = bind_copy_types(conn, cur)
        with cur.copy(COPY_RECORD_VERSION, writer=QueuedLibpqWriter(cur)) as copy:
            copy.set_types(types)
            write_row = copy.write_row
            dumps, sort_keys, default = orjson.dumps, orjson.OPT_SORT_KEYS, json_value
            for (system, entity), batch in sorted(streams.items()):
                newest = heads[(system, entity)]
                for new in batch:
                    payload = new.payload
                    if payload is None:
                        encoded, digest, operation = None, DELETED_HASH, "delete"
                    else:
                        encoded = dumps(payload, option=sort_keys, default=default)
                        digest, operation = sha256(encoded).hexdigest(), "upsert"
                    key = new.key
                    head = newest.get(key)
                    if head is None:
                        if encoded is None:
                            result.unchanged += 1  # deleting what was never seen changes nothing
                            continue
                        version = 1
                    elif head[2] == digest and head[1] == operation:
                        result.unchanged += 1
                        continue
                    else:
                        version = head[0] + 1
                    newest[key] = _Head(version, operation, digest)
                    raw = (
                        None
                        if new.raw is None
                        else dumps(new.raw, option=sort_keys, default=default)
                    )
                    write_row(
                        (system, entity, key, version, operation, encoded, raw, digest,
                         new.source_updated_at, observed_at, run_id)
                    )  # fmt: skip
                    appended.append((system, entity, key, version))
        result.appended = len(appended)
    return result


def _newest(cur: psycopg.Cursor[Any], system: str, entity: str, keys: set[str]) -> dict[str, _Head]:
    cur.execute(query("newest_for_keys"), {"system": system, "entity": entity, "keys": list(keys)})
    return {key: _Head(version, operation, digest) for key, version, operation, digest in cur}
