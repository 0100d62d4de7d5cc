"""The versions one poll recorded, for the KashFlow document-cycle tests."""

from __future__ import annotations

from typing import Any

import psycopg


def versions_of(conn: psycopg.Connection[Any], run_id: int) -> set[tuple[str, str, int, str]]:
    """(entity, key, version, operation) of every version the run appended."""
    rows = conn.execute(
        "SELECT entity::text, native_key, version, operation::text FROM ledger.record_version"
        " WHERE run_id = %s",
        (run_id,),
    ).fetchall()
    return set(rows)
