"""What a superuser (or anyone with the data files) does to the ledger, `verify` names.

No privilege restrains a superuser: these tests switch the guards off the ways issue 10
lists, change history, and check that verification names the first row that no longer
matches (system, entity, key and version for record versions), and that a seal catches
even a rewrite that recomputes every chain hash.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import psycopg
import pytest

from ledger import NewVersion, append_versions, finish_run, start_run
from ledger.chain import stored_content_hash, stored_version_chain_hash
from ledger.seals import seal_ledger
from ledger.verify import verify_ledger

KEY = b"a seal key of 32 bytes, for tests"


@pytest.fixture
def ledger(conn: psycopg.Connection[Any]) -> psycopg.Connection[Any]:
    """kashflow customers A (versions 1 and 2), B and C; a sage100 customer; a dead letter."""
    run_id = start_run(conn, "poll")
    append_versions(
        conn,
        [NewVersion("kashflow", "customer", key, {"name": key}, {"Code": key}) for key in "ABC"],
        run_id,
    )
    updated = datetime(2026, 3, 1, 9, 30, tzinfo=ZoneInfo("Europe/London"))
    append_versions(
        conn, [NewVersion("kashflow", "customer", "A", {"name": "A v2"}, None, updated)], run_id
    )
    append_versions(conn, [NewVersion("sage100", "customer", "01-A", {"name": "A"})], run_id)
    with conn.transaction():
        conn.execute(
            "INSERT INTO ledger.dead_letter (stage, error_type, message) VALUES ('cdc', 'X', 'm')"
        )
    finish_run(conn, run_id)
    assert verify_ledger(conn, KEY).mismatches == []
    return conn


def mismatches(conn: psycopg.Connection[Any]) -> list[str]:
    conn.rollback()
    return [str(mismatch) for mismatch in verify_ledger(conn, KEY).mismatches]


def as_superuser(conn: psycopg.Connection[Any], *statements: str) -> None:
    with conn.transaction():
        for statement in statements:
            conn.execute(statement)


REPLICA = "SET LOCAL session_replication_role = replica"
"""Switches off every trigger for the transaction, the chain's and the guards'."""


@dataclass(frozen=True)
class Tampering:
    statements: tuple[str, ...]
    """Run by the superuser in one transaction."""
    named: tuple[str, ...]
    """What `verify` says, in order; `{seal}` is the id of the seal made before, if any."""
    sealed: bool = False


TAMPERINGS = {
    "with triggers disabled a changed column is named": Tampering(
        (
            "ALTER TABLE ledger.record_version DISABLE TRIGGER ALL",
            "UPDATE ledger.record_version SET source_updated_at = now() - interval '10 years'"
            " WHERE native_key = 'B'",
            "ALTER TABLE ledger.record_version ENABLE TRIGGER ALL",
        ),
        (
            "ledger.record_version kashflow customer 'B' version 1 (chain position 2): does not"
            " match its chain hash: the row was changed",
        ),
    ),
    "triggers left disabled are named": Tampering(
        ("ALTER TABLE ledger.record_version DISABLE TRIGGER ALL",),
        (
            "ledger.record_version: trigger refuse_truncate is missing or disabled",
            "ledger.record_version: trigger refuse_update_delete is missing or disabled",
        ),
    ),
    "in replica mode a changed payload is named": Tampering(
        (
            REPLICA,
            'UPDATE ledger.record_version SET payload = \'{"name": "Mallory"}\''
            " WHERE native_key = 'A' AND version = 1",
        ),
        (
            "ledger.record_version kashflow customer 'A' version 1 (chain position 1): its payload"
            " does not match its content hash: changed",
        ),
    ),
    "a deleted version is named": Tampering(
        (REPLICA, "DELETE FROM ledger.record_version WHERE native_key = 'A' AND version = 1"),
        (
            "ledger.record_version kashflow customer 'B' version 1 (chain position 2): position 1"
            " of this chain are missing: removed",
            "ledger.record_version kashflow customer 'A' version 2 (chain position 4): version 1"
            " of its record is missing: removed",
        ),
    ),
    "a forged version is named": Tampering(
        (
            "INSERT INTO ledger.record_version (system, entity, native_key, version, operation,"
            " payload, content_hash, observed_at, chain_seq, chain_hash) VALUES ('kashflow',"
            " 'customer', 'A', 99, 'upsert', '{\"name\": \"Forged\"}', 'deadbeef',"
            " now() - interval '10 years', 5, 'deadbeef')",
        ),
        (
            "ledger.record_version kashflow customer 'A' version 99 (chain position 5): its payload"
            " does not match its content hash: changed; versions 3 to 98 of its record are"
            " missing: removed",
        ),
    ),
    "a replaced guard function does not hide a changed dead letter": Tampering(
        (
            "CREATE OR REPLACE FUNCTION ledger.refuse_change() RETURNS trigger"
            " LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$",
            "UPDATE ledger.dead_letter SET message = 'nothing to see'",
        ),
        (
            "ledger.dead_letter dead_letter_id 1 (chain position 1): does not match its chain hash:"
            " the row was changed",
        ),
    ),
    "a row appended while the chain trigger is off is named": Tampering(
        (
            REPLICA,
            "INSERT INTO ledger.dead_letter (stage, error_type, message) VALUES ('cdc', 'X', 'm2')",
        ),
        (
            "ledger.dead_letter dead_letter_id 2: is not chained: appended while the chain was"
            " switched off",
        ),
    ),
    "a dropped table is named": Tampering(
        ("DROP TABLE ledger.dead_letter CASCADE",),
        ("ledger.dead_letter: the table is gone, or no longer chained",),
        sealed=True,
    ),
    "dropping the versions themselves is named": Tampering(
        ("DROP TABLE ledger.record_version CASCADE",),
        ("ledger.record_version: the table is gone: nothing in it can be verified",),
    ),
    "removing the newest versions is caught by a seal": Tampering(
        (REPLICA, "DELETE FROM ledger.record_version WHERE system = 'sage100'"),
        (
            "ledger.record_version (chain position 1): is named by seal {seal} but missing:"
            " rows removed",
        ),
        sealed=True,
    ),
    "removing the newest versions is caught by their append's head record": Tampering(
        (REPLICA, "DELETE FROM ledger.record_version WHERE native_key = 'A' AND version = 2"),
        (
            "ledger.record_version (chain position 4): is named by its append's head record but"
            " missing: rows removed",
        ),
    ),
    "a changed seal is named": Tampering(
        (REPLICA, "UPDATE ledger.seal SET heads = heads - 'dead_letter'"),
        (
            "ledger.seal seal {seal}: its signature does not match",
            "ledger.seal seal_id {seal} (chain position 1): does not match its chain hash:"
            " the row was changed",
        ),
        sealed=True,
    ),
}


@pytest.mark.parametrize("case", TAMPERINGS.values(), ids=TAMPERINGS.keys())
def test_what_a_superuser_changed_is_named(
    ledger: psycopg.Connection[Any], case: Tampering
) -> None:
    seal = str(seal_ledger(ledger, KEY).seal_id) if case.sealed else "(none)"
    as_superuser(ledger, *case.statements)

    assert mismatches(ledger) == [line.replace("{seal}", seal) for line in case.named]


def test_a_rewrite_that_recomputes_every_chain_hash_is_caught_by_a_seal(
    ledger: psycopg.Connection[Any],
) -> None:
    seal = seal_ledger(ledger, KEY)
    _rewrite_stream(ledger, "kashflow", "customer", "B", {"name": "Mallory"})

    assert mismatches(ledger) == [
        "ledger.record_version kashflow customer 'A' version 2 (chain position 4): differs"
        f" from seal {seal.seal_id}: history was rewritten"
    ]


def test_without_a_seal_a_full_rewrite_goes_unseen(ledger: psycopg.Connection[Any]) -> None:
    """Why seals exist: the chain alone binds rows to each other, not to the outside world."""
    _rewrite_stream(ledger, "kashflow", "customer", "B", {"name": "Mallory"})

    assert mismatches(ledger) == []
    rewritten = ledger.execute(
        "SELECT payload FROM ledger.record_version WHERE native_key = 'B'"
    ).fetchone()
    assert rewritten == ({"name": "Mallory"},)


def test_seals_signed_with_another_key_are_named(ledger: psycopg.Connection[Any]) -> None:
    seal = seal_ledger(ledger, b"another key, also 32 bytes long")

    assert mismatches(ledger) == [f"ledger.seal seal {seal.seal_id}: its signature does not match"]


def _rewrite_stream(
    conn: psycopg.Connection[Any], system: str, entity: str, key: str, payload: dict[str, Any]
) -> None:
    """What a careful superuser does: changes one payload, then recomputes its content hash
    and every chain hash after it, so that each row matches the one before, and the heads
    the appends recorded."""
    rows = conn.execute(
        "SELECT native_key, version, operation::text, payload, raw, content_hash,"
        " source_updated_at, observed_at, run_id, chain_seq FROM ledger.record_version"
        " WHERE system = %s AND entity = %s ORDER BY chain_seq",
        (system, entity),
    ).fetchall()
    conn.commit()
    previous = ""
    with conn.transaction():
        conn.execute("SET LOCAL session_replication_role = replica")
        for (
            native_key,
            version,
            operation,
            stored,
            raw,
            digest,
            updated,
            observed,
            run,
            seq,
        ) in rows:
            if native_key == key:
                stored, digest = payload, stored_content_hash(operation, payload)
            previous = stored_version_chain_hash(
                previous, seq, system, entity, native_key, version, operation, digest, raw,
                updated, observed, run,
            )  # fmt: skip
            conn.execute(
                "UPDATE ledger.record_version SET payload = %s, content_hash = %s, chain_hash = %s"
                " WHERE system = %s AND entity = %s AND chain_seq = %s",
                (psycopg.types.json.Jsonb(stored), digest, previous, system, entity, seq),
            )
            conn.execute(
                "UPDATE ledger.version_chain_head SET head_hash = %s"
                " WHERE system = %s AND entity = %s AND head_seq = %s",
                (previous, system, entity, seq),
            )
