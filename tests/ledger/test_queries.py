"""Current state, state as of any past instant, and one record's history with its diff."""

from __future__ import annotations

import time
from typing import Any

import psycopg

from ledger import NewVersion, append_versions, as_of, current, field_changes, history


def _now(conn: psycopg.Connection[Any]) -> Any:
    row = conn.execute("SELECT clock_timestamp()").fetchone()
    assert row is not None
    time.sleep(0.01)
    return row[0]


def test_as_of_returns_what_was_known_then(conn: psycopg.Connection[Any]) -> None:
    before_anything = _now(conn)
    append_versions(conn, [NewVersion("kashflow", "customer", "A", {"name": "Acme"})])
    after_first = _now(conn)
    append_versions(
        conn,
        [
            NewVersion("kashflow", "customer", "A", {"name": "Acme Ltd"}),
            NewVersion("kashflow", "customer", "B", {"name": "Beacon"}),
        ],
    )
    after_second = _now(conn)
    append_versions(conn, [NewVersion.deleted("kashflow", "customer", "B")])

    assert as_of(conn, before_anything) == []
    assert [(v.native_key, v.payload) for v in as_of(conn, after_first)] == [
        ("A", {"name": "Acme"})
    ]
    assert [(v.native_key, v.payload) for v in as_of(conn, after_second)] == [
        ("A", {"name": "Acme Ltd"}),
        ("B", {"name": "Beacon"}),
    ]
    assert [v.native_key for v in current(conn)] == ["A"]


def test_current_filters_by_system_and_entity(conn: psycopg.Connection[Any]) -> None:
    append_versions(
        conn,
        [
            NewVersion("kashflow", "customer", "A", {"name": "A"}),
            NewVersion("sage100", "customer", "01-A", {"name": "A"}),
            NewVersion("sage100", "product", "OAK", {"name": "Oak"}),
        ],
    )

    assert [v.native_key for v in current(conn, system="sage100")] == ["01-A", "OAK"]
    assert [v.native_key for v in current(conn, entity="customer")] == ["A", "01-A"]
    assert [v.native_key for v in current(conn, "sage100", "product")] == ["OAK"]


def test_field_level_diff_between_versions(conn: psycopg.Connection[Any]) -> None:
    append_versions(
        conn,
        [
            NewVersion(
                "kashflow", "sales_invoice", "10001", {"status": "Unpaid", "lines": [{"net": "10"}]}
            )
        ],
    )
    append_versions(
        conn,
        [
            NewVersion(
                "kashflow",
                "sales_invoice",
                "10001",
                {"status": "Paid", "lines": [{"net": "10"}, {"net": "5"}], "paid": "15"},
            )
        ],
    )
    first, second = history(conn, "kashflow", "sales_invoice", "10001")

    changes = field_changes(first.payload, second.payload)

    assert [(c.field, c.kind) for c in changes] == [
        ("lines.1.net", "added"),
        ("paid", "added"),
        ("status", "changed"),
    ]
    assert changes[2].before == "Unpaid"
    assert changes[2].after == "Paid"
