"""What a superuser (or anyone with the data files) does to the ledger, `verify` names.

No privilege restrains a superuser: these tests switch the guards off the ways issue 10
lists, change history, and check that verification names the first row that no longer
matches (system, entity, key and version for record versions), and that a seal catches
even a rewrite that recomputes every chain hash.
"""

from __future__ import annotations

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
    run_id = start_run(conn, "test")
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


def test_with_triggers_disabled_a_changed_column_is_named(
    ledger: psycopg.Connection[Any],
) -> None:
    as_superuser(
        ledger,
        "ALTER TABLE ledger.record_version DISABLE TRIGGER ALL",
        "UPDATE ledger.record_version SET source_updated_at = now() - interval '10 years'"
        " WHERE native_key = 'B'",
        "ALTER TABLE ledger.record_version ENABLE TRIGGER ALL",
    )

    assert mismatches(ledger) == [
        "ledger.record_version kashflow customer 'B' version 1 (chain position 2): does not"
        " match its chain hash: the row was changed"
    ]


def test_triggers_left_disabled_are_named(ledger: psycopg.Connection[Any]) -> None:
    as_superuser(ledger, "ALTER TABLE ledger.record_version DISABLE TRIGGER ALL")

    assert mismatches(ledger) == [
        "ledger.record_version: trigger refuse_truncate is missing or disabled",
        "ledger.record_version: trigger refuse_update_delete is missing or disabled",
    ]


def test_in_replica_mode_a_changed_payload_is_named(ledger: psycopg.Connection[Any]) -> None:
    as_superuser(
        ledger,
        "SET LOCAL session_replication_role = replica",
        'UPDATE ledger.record_version SET payload = \'{"name": "Mallory"}\''
        " WHERE native_key = 'A' AND version = 1",
    )

    assert mismatches(ledger) == [
        "ledger.record_version kashflow customer 'A' version 1 (chain position 1): its payload"
        " does not match its content hash: changed"
    ]


def test_a_deleted_version_is_named(ledger: psycopg.Connection[Any]) -> None:
    as_superuser(
        ledger,
        "SET LOCAL session_replication_role = replica",
        "DELETE FROM ledger.record_version WHERE native_key = 'A' AND version = 1",
    )

    assert mismatches(ledger) == [
        "ledger.record_version kashflow customer 'B' version 1 (chain position 2): position 1"
        " of this chain are missing: removed",
        "ledger.record_version kashflow customer 'A' version 2 (chain position 4): version 1"
        " of its record is missing: removed",
    ]


def test_a_forged_version_is_named(ledger: psycopg.Connection[Any]) -> None:
    as_superuser(
        ledger,
        "INSERT INTO ledger.record_version (system, entity, native_key, version, operation,"
        " payload, content_hash, observed_at, chain_seq, chain_hash) VALUES ('kashflow',"
        " 'customer', 'A', 99, 'upsert', '{\"name\": \"Forged\"}', 'deadbeef',"
        " now() - interval '10 years', 5, 'deadbeef')",
    )

    assert mismatches(ledger) == [
        "ledger.record_version kashflow customer 'A' version 99 (chain position 5): its payload"
        " does not match its content hash: changed; versions 3 to 98 of its record are"
        " missing: removed"
    ]


def test_a_replaced_guard_function_does_not_hide_a_changed_dead_letter(
    ledger: psycopg.Connection[Any],
) -> None:
    as_superuser(
        ledger,
        "CREATE OR REPLACE FUNCTION ledger.refuse_change() RETURNS trigger"
        " LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$",
        "UPDATE ledger.dead_letter SET message = 'nothing to see'",
    )

    assert mismatches(ledger) == [
        "ledger.dead_letter dead_letter_id 1 (chain position 1): does not match its chain hash:"
        " the row was changed"
    ]


def test_a_row_appended_while_the_chain_trigger_is_off_is_named(
    ledger: psycopg.Connection[Any],
) -> None:
    as_superuser(
        ledger,
        "SET LOCAL session_replication_role = replica",
        "INSERT INTO ledger.dead_letter (stage, error_type, message) VALUES ('cdc', 'X', 'm2')",
    )

    assert mismatches(ledger) == [
        "ledger.dead_letter dead_letter_id 2: is not chained: appended while the chain was"
        " switched off"
    ]


def test_a_dropped_table_is_named(ledger: psycopg.Connection[Any]) -> None:
    seal_ledger(ledger, KEY)
    as_superuser(ledger, "DROP TABLE ledger.dead_letter CASCADE")

    assert mismatches(ledger) == ["ledger.dead_letter: the table is gone, or no longer chained"]


def test_dropping_the_versions_themselves_is_named(ledger: psycopg.Connection[Any]) -> None:
    as_superuser(ledger, "DROP TABLE ledger.record_version CASCADE")

    assert mismatches(ledger) == [
        "ledger.record_version: the table is gone: nothing in it can be verified"
    ]


def test_removing_the_newest_versions_is_caught_by_a_seal(
    ledger: psycopg.Connection[Any],
) -> None:
    seal = seal_ledger(ledger, KEY)
    as_superuser(
        ledger,
        "SET LOCAL session_replication_role = replica",
        "DELETE FROM ledger.record_version WHERE system = 'sage100'",
    )

    assert mismatches(ledger) == [
        f"ledger.record_version (chain position 1): is named by seal {seal.seal_id} but missing:"
        " rows removed"
    ]


def test_removing_the_newest_versions_is_caught_by_their_appends_head_record(
    ledger: psycopg.Connection[Any],
) -> None:
    as_superuser(
        ledger,
        "SET LOCAL session_replication_role = replica",
        "DELETE FROM ledger.record_version WHERE native_key = 'A' AND version = 2",
    )

    assert mismatches(ledger) == [
        "ledger.record_version (chain position 4): is named by its append's head record but"
        " missing: rows removed"
    ]


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


def test_a_changed_seal_is_named(ledger: psycopg.Connection[Any]) -> None:
    seal = seal_ledger(ledger, KEY)
    as_superuser(
        ledger,
        "SET LOCAL session_replication_role = replica",
        "UPDATE ledger.seal SET heads = heads - 'dead_letter'",
    )

    assert mismatches(ledger) == [
        f"ledger.seal seal {seal.seal_id}: its signature does not match",
        f"ledger.seal seal_id {seal.seal_id} (chain position 1): does not match its chain hash:"
        " the row was changed",
    ]


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
