"""The application's role may only read and append; every ledger row is chained; seals."""

from typing import Any

from alembic import op

from ledger.chain import GENESIS, stored_version_chain_hash
from ledger.migrate import apply_sql_beside

revision = "0002"
down_revision = "0001"

STREAM_VERSIONS = """
SELECT native_key, version, operation::text, content_hash, raw, source_updated_at, observed_at,
       run_id
FROM ledger.record_version
WHERE system = %s::ledger.system AND entity = %s::ledger.entity
ORDER BY observed_at, native_key, version
"""

SET_CHAIN = """
UPDATE ledger.record_version AS stored
SET chain_seq = chained.position, chain_hash = chained.hash
FROM unnest(%s::text[], %s::int[], %s::bigint[], %s::text[])
     AS chained (native_key, version, position, hash)
WHERE stored.system = %s::ledger.system AND stored.entity = %s::ledger.entity
  AND stored.native_key = chained.native_key AND stored.version = chained.version
"""


def upgrade() -> None:
    apply_sql_beside(__file__)
    _chain_existing_versions(op.get_bind().connection.driver_connection)
    op.execute(
        "ALTER TABLE ledger.record_version"
        " ALTER COLUMN chain_seq SET NOT NULL, ALTER COLUMN chain_hash SET NOT NULL"
    )


def _chain_existing_versions(conn: Any) -> None:
    """Chains the versions stored before chains existed, each stream in the order it was
    observed (appends to one stream were already serialised, a batch sharing one instant)."""
    with conn.cursor() as cur:
        streams = cur.execute(
            "SELECT DISTINCT system::text, entity::text FROM ledger.record_version"
        ).fetchall()
        if not streams:
            return
        cur.execute("ALTER TABLE ledger.record_version DISABLE TRIGGER refuse_update_delete")
        for system, entity in streams:
            keys, versions, positions, hashes = [], [], [], []
            previous = GENESIS
            rows = cur.execute(STREAM_VERSIONS, (system, entity)).fetchall()
            for position, (
                key,
                version,
                operation,
                digest,
                raw,
                updated,
                observed,
                run,
            ) in enumerate(rows, start=1):
                previous = stored_version_chain_hash(
                    previous, position, system, entity, key, version, operation, digest, raw,
                    updated, observed, run,
                )  # fmt: skip
                keys.append(key)
                versions.append(version)
                positions.append(position)
                hashes.append(previous)
            cur.execute(SET_CHAIN, (keys, versions, positions, hashes, system, entity))
            cur.execute(
                "INSERT INTO ledger.version_chain_head (system, entity, head_seq, head_hash)"
                " VALUES (%s, %s, %s, %s)",
                (system, entity, positions[-1], hashes[-1]),
            )
        cur.execute("ALTER TABLE ledger.record_version ENABLE TRIGGER refuse_update_delete")
