"""Chain hashes: every ledger row carries SHA-256 over its stream's previous chain hash and itself.

`record_version` is a stream per (system, entity), chained here by the appender under the
stream's lock (each append records where it left the chain in `ledger.version_chain_head`);
every other ledger table is one stream, chained by the `ledger.chain_row`
trigger (migration 0002) over `ledger.chain_content(row)`. Both start from `GENESIS`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson

from canonical.records import json_value

GENESIS = ""
"""The previous chain hash of a stream's first row."""

DELETED_HASH = hashlib.sha256(b"deleted").hexdigest()
"""The content hash of a delete version: no payload hashes to it."""

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


def micros(at: datetime | None) -> int | None:
    """An instant as whole microseconds since 1970 UTC: the same for any time zone it is in."""
    return None if at is None else (at - _EPOCH) // _MICROSECOND


def canonical_body(value: Mapping[str, Any]) -> bytes:
    """The canonical JSON of a payload or raw row (sorted keys), as hashed and as stored."""
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS, default=json_value)


def json_digest(body: bytes | None) -> str:
    """What a version's chain hash covers of its raw row: SHA-256 of its JSON, '' for none."""
    return "" if body is None else hashlib.sha256(body).hexdigest()


def batch_prefix(system: str, entity: str, observed_us: int | None, run_id: int | None) -> bytes:
    """What the chain hashes of one append's versions share: stream, instant and run."""
    return orjson.dumps((system, entity, observed_us, run_id))


def version_chain_hash(
    previous: str,
    prefix: bytes,
    position: int,
    key: str,
    version: int,
    operation: str,
    content_hash: str,
    raw_digest: str,
    source_updated_us: int | None,
) -> str:
    """The chain hash of one record version: every column, the payload through its content
    hash and the raw row through its digest, after the previous hash and the batch's
    `prefix`. Fields go as JSON arrays, so no key text can make two versions hash alike.
    (`ledger.append` inlines this expression on its hot path.)"""
    fields = orjson.dumps(
        (position, key, version, operation, content_hash, raw_digest, source_updated_us)
    )
    return hashlib.sha256(b"".join((previous.encode(), prefix, fields))).hexdigest()


def row_chain_hash(previous: str, content: str) -> str:
    """The chain hash of a row of a one-stream table, as `ledger.next_chain_hash` makes it."""
    return hashlib.sha256((previous + content).encode()).hexdigest()


def stored_content_hash(operation: str, payload: Mapping[str, Any] | None) -> str:
    """The content hash a stored version's payload should carry."""
    if operation == "delete" or payload is None:
        return DELETED_HASH
    return hashlib.sha256(canonical_body(payload)).hexdigest()


def stored_version_chain_hash(
    previous: str,
    position: int,
    system: str,
    entity: str,
    key: str,
    version: int,
    operation: str,
    content_hash: str,
    raw: Mapping[str, Any] | None,
    source_updated_at: datetime | None,
    observed_at: datetime | None,
    run_id: int | None,
) -> str:
    """The chain hash of a version as read back from the ledger (for verifying, and for
    chaining versions stored before chains existed)."""
    return version_chain_hash(
        previous, batch_prefix(system, entity, micros(observed_at), run_id), position, key,
        version, operation, content_hash,
        json_digest(None if raw is None else canonical_body(raw)), micros(source_updated_at),
    )  # fmt: skip
