"""Where each change stream stands, kept with the data: checkpoints and summary digests.

A poll appends each chunk's versions, checkpoint and digests in one transaction, under
the stream's poll lock, so a crash between them cannot skip or re-count anything. Both
tables are append-only: the newest checkpoint per stream wins, and a digest row is added
only when a summary changed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

from ledger.sql import query


def stream_name(system: str, entity: str) -> str:
    return f"{system}:{entity}"


def hold_stream(conn: psycopg.Connection[Any], system: str, entity: str) -> None:
    """Waits until no other poll of this stream is at work, then holds the stream for the
    session: a poll committed in chunks holds it from its first read to its last commit
    (`release_stream`), and a killed process lets go of it with its connection."""
    conn.execute(
        "SELECT pg_advisory_lock(hashtextextended(%s, 0))",
        (f"cdc.poll:{stream_name(system, entity)}",),
    )


def release_stream(conn: psycopg.Connection[Any], system: str, entity: str) -> None:
    conn.execute(
        "SELECT pg_advisory_unlock(hashtextextended(%s, 0))",
        (f"cdc.poll:{stream_name(system, entity)}",),
    )


def latest_checkpoint(
    conn: psycopg.Connection[Any], system: str, entity: str
) -> dict[str, Any] | None:
    """The newest position stored for the stream, or None before its first poll."""
    row = conn.execute(query("latest_checkpoint"), (stream_name(system, entity),)).fetchone()
    return None if row is None else dict(row[0])


def append_checkpoint(
    conn: psycopg.Connection[Any],
    system: str,
    entity: str,
    position: Mapping[str, Any],
    run_id: int | None,
) -> None:
    with conn.transaction():
        conn.execute(
            "INSERT INTO ledger.checkpoint (stream, position, run_id) VALUES (%s, %s, %s)",
            (stream_name(system, entity), Jsonb(dict(position)), run_id),
        )


def scan_digests(conn: psycopg.Connection[Any], system: str, entity: str) -> dict[str, str]:
    """Key -> the summary digest last seen, for every key still listed."""
    rows = conn.execute(query("current_scan_digests"), (system, entity)).fetchall()
    return {key: digest for key, digest in rows}


def append_scan_digests(
    conn: psycopg.Connection[Any],
    system: str,
    entity: str,
    digests: Mapping[str, str | None],
    run_id: int | None,
) -> int:
    """Records changed digests (None: the key left the list); returns how many rows."""
    if not digests:
        return 0
    with (
        conn.transaction(),
        conn.cursor() as cur,
        cur.copy(
            "COPY ledger.scan_digest (system, entity, native_key, digest, run_id) FROM STDIN"
        ) as copy,
    ):
        for key, digest in sorted(digests.items()):
            copy.write_row((system, entity, key, digest, run_id))
    return len(digests)


def scan_digests_of(
    conn: psycopg.Connection[Any], system: str, entity: str, keys: list[str]
) -> dict[str, str]:
    """Key -> the summary digest last seen, for those of `keys` still listed."""
    if not keys:
        return {}
    rows = conn.execute(query("scan_digests_of_keys"), (keys, system, entity)).fetchall()
    return {key: digest for key, digest in rows if digest is not None}
