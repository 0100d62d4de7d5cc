"""Appending versions: no-ops on unchanged content, consecutive versions, deletes, batches."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import psycopg
import pytest

from canonical import Customer
from ledger import NewVersion, append_versions, current, finish_run, history, start_run
from ledger.runs import RUN_KINDS, end_run


def test_first_observation_is_version_one(conn: psycopg.Connection[Any]) -> None:
    result = append_versions(conn, [NewVersion("kashflow", "customer", "ACME01", {"name": "Acme"})])

    assert result.appended == 1
    assert result.appended_keys == [("kashflow", "customer", "ACME01", 1)]
    [stored] = history(conn, "kashflow", "customer", "ACME01")
    assert stored.version == 1
    assert stored.operation == "upsert"
    assert stored.payload == {"name": "Acme"}


def test_same_content_again_is_a_no_op(conn: psycopg.Connection[Any]) -> None:
    append_versions(
        conn, [NewVersion("kashflow", "customer", "A", {"name": "Acme", "city": "York"})]
    )

    again = append_versions(
        conn, [NewVersion("kashflow", "customer", "A", {"city": "York", "name": "Acme"})]
    )

    assert (again.appended, again.unchanged) == (0, 1)
    assert len(history(conn, "kashflow", "customer", "A")) == 1


def test_changed_content_gets_the_next_version(conn: psycopg.Connection[Any]) -> None:
    for name in ("Acme", "Acme Ltd", "Acme Ltd", "Acme Limited"):
        append_versions(conn, [NewVersion("sage100", "customer", "01-ACME", {"name": name})])

    versions = history(conn, "sage100", "customer", "01-ACME")
    assert [v.version for v in versions] == [1, 2, 3]
    assert [v.payload["name"] for v in versions if v.payload] == [
        "Acme",
        "Acme Ltd",
        "Acme Limited",
    ]


def test_several_versions_of_one_record_in_one_batch(conn: psycopg.Connection[Any]) -> None:
    batch = [
        NewVersion("kashflow", "product", "OAK-1", {"price": "10"}),
        NewVersion("kashflow", "product", "OAK-1", {"price": "10"}),
        NewVersion("kashflow", "product", "OAK-1", {"price": "12"}),
    ]

    result = append_versions(conn, batch)

    assert (result.appended, result.unchanged) == (2, 1)
    assert [v.version for v in history(conn, "kashflow", "product", "OAK-1")] == [1, 2]


def test_delete_hides_the_record_and_resurrection_is_a_new_version(
    conn: psycopg.Connection[Any],
) -> None:
    append_versions(conn, [NewVersion("kashflow", "supplier", "S1", {"name": "Supplier"})])
    deleted = append_versions(conn, [NewVersion.deleted("kashflow", "supplier", "S1")])
    deleted_again = append_versions(conn, [NewVersion.deleted("kashflow", "supplier", "S1")])
    assert current(conn, "kashflow", "supplier") == []

    append_versions(conn, [NewVersion("kashflow", "supplier", "S1", {"name": "Supplier"})])

    assert (deleted.appended, deleted_again.unchanged) == (1, 1)
    assert [(v.version, v.operation) for v in history(conn, "kashflow", "supplier", "S1")] == [
        (1, "upsert"),
        (2, "delete"),
        (3, "upsert"),
    ]
    assert [c.native_key for c in current(conn, "kashflow", "supplier")] == ["S1"]


def test_deleting_a_record_never_seen_changes_nothing(conn: psycopg.Connection[Any]) -> None:
    result = append_versions(conn, [NewVersion.deleted("sage100", "product", "NOPE")])

    assert (result.appended, result.unchanged) == (0, 1)
    assert history(conn, "sage100", "product", "NOPE") == []


def test_a_version_keeps_raw_row_source_time_and_run(conn: psycopg.Connection[Any]) -> None:
    record = Customer(system="sage100", key="01-ABF0001", name="Café Zoë Ltd", city="Leeds")
    source_time = datetime(2026, 11, 2, 13, 30, tzinfo=UTC)
    run_id = start_run(conn, "poll", "sage100", "customer")
    raw = {"ARDivisionNo": "01", "CustomerNo": "ABF0001", "TimeUpdated": "13.50000"}

    append_versions(conn, [NewVersion.of(record, raw, source_time)], run_id)

    [stored] = history(conn, "sage100", "customer", "01-ABF0001")
    assert stored.raw == raw
    assert stored.source_updated_at == source_time
    assert stored.run_id == run_id
    assert stored.content_hash == record.content_hash
    assert stored.record() == record


def test_a_batch_spanning_streams_is_atomic(conn: psycopg.Connection[Any]) -> None:
    batch = [
        NewVersion("kashflow", "customer", "C1", {"name": "One"}),
        NewVersion("sage100", "customer", "01-C1", {"name": "One"}),
        NewVersion("kashflow", "bogus_entity", "X", {"name": "Bad"}),
    ]

    try:
        append_versions(conn, batch)
    except psycopg.errors.InvalidTextRepresentation:
        pass
    else:
        raise AssertionError("an unknown entity must be refused")

    assert current(conn) == []


def test_keys_with_any_characters_are_versioned_correctly(conn: psycopg.Connection[Any]) -> None:
    # The newest-version lookup sends keys joined by U+001F; a key holding it must still work.
    keys = ["01-ACME", "ÅNGSTRÖM|000", "odd\x1fkey", "odd", "key"]
    append_versions(conn, [NewVersion("sage100", "customer", k, {"v": 1}) for k in keys])

    again = append_versions(conn, [NewVersion("sage100", "customer", k, {"v": 2}) for k in keys])

    assert again.appended == len(keys)
    for key in keys:
        assert [v.version for v in history(conn, "sage100", "customer", key)] == [1, 2]


def test_stored_keys_at_the_edges_of_a_batchs_key_range_are_found(
    conn: psycopg.Connection[Any],
) -> None:
    # The lookup skips probing when no stored key lies between the batch's first and last
    # key: the bounds are inclusive, and here the only stored keys are the two bounds.
    stored = ["B", "é"]
    append_versions(conn, [NewVersion("kashflow", "customer", k, {"v": 1}) for k in stored])

    result = append_versions(
        conn,
        [NewVersion("kashflow", "customer", k, {"v": 2}) for k in ["é", "Z", "B", "z"]],
    )

    assert sorted(result.appended_keys) == [
        ("kashflow", "customer", "B", 2),
        ("kashflow", "customer", "Z", 1),
        ("kashflow", "customer", "z", 1),
        ("kashflow", "customer", "é", 2),
    ]


def test_a_batchs_key_range_is_in_byte_order(conn: psycopg.Connection[Any]) -> None:
    # "B" sorts before "a" in byte order and after it in a linguistic order: were the range
    # compared linguistically, it would be empty and the stored "a" missed.
    append_versions(conn, [NewVersion("sage100", "product", "a", {"v": 1})])

    result = append_versions(
        conn, [NewVersion("sage100", "product", k, {"v": 2}) for k in ["a", "B"]]
    )

    assert sorted(result.appended_keys) == [
        ("sage100", "product", "B", 1),
        ("sage100", "product", "a", 2),
    ]


def test_a_batch_beyond_every_stored_key_starts_new_records(
    conn: psycopg.Connection[Any],
) -> None:
    append_versions(conn, [NewVersion("sage100", "customer", "0001", {"v": 1})])
    append_versions(conn, [NewVersion("sage100", "supplier", "0005", {"v": 1})])

    result = append_versions(
        conn, [NewVersion("sage100", "customer", f"{n:04d}", {"v": 1}) for n in range(2, 9)]
    )

    assert result.appended == 7
    assert {v for _, _, _, v in result.appended_keys} == {1}


@pytest.mark.parametrize("kind", ["scan", "write", "demo", "Poll"])
def test_no_run_is_started_of_a_kind_not_in_run_kinds(
    conn: psycopg.Connection[Any], kind: str
) -> None:
    """The Sync page offers `RUN_KINDS` to filter on: a run of another kind would not be
    found there, so none is started."""
    runs = "SELECT count(*) FROM ledger.sync_run"
    before = conn.execute(runs).fetchone()
    with pytest.raises(ValueError, match=f"no run kind '{kind}': one of poll, webhook, reconcile"):
        start_run(conn, kind)  # type: ignore[arg-type]
    assert conn.execute(runs).fetchone() == before
    assert set(RUN_KINDS) == {"poll", "webhook", "reconcile"}


def test_a_run_is_finished_once_and_ended_idempotently(conn: psycopg.Connection[Any]) -> None:
    run_id = start_run(conn, "reconcile")
    finish_run(conn, run_id, counts={"versions": 1})
    with pytest.raises(ValueError, match=f"sync run {run_id} has ended already"):
        finish_run(conn, run_id)
    assert end_run(conn, run_id, "failed") is False
    ended = conn.execute(
        "SELECT status, counts FROM ledger.sync_run_end WHERE run_id = %s", (run_id,)
    ).fetchall()
    assert ended == [("succeeded", {"versions": 1})]
