"""A batch with versions PostgreSQL refuses: those become dead letters naming their
field, the rest of the batch is stored, and the dead letters themselves can be stored."""

from __future__ import annotations

from typing import Any

import psycopg

from canonical import Customer
from ledger import NewVersion, current, start_run
from ledger.dead_letters import (
    append_dead_letters,
    append_versions_or_dead_letter,
    dead_letters,
    unstorable_field,
)


def customer(key: str, name: str = "Fine Ltd", raw: dict[str, Any] | None = None) -> NewVersion:
    return NewVersion.of(Customer(system="kashflow", key=key, name=name), raw=raw)


def test_nul_characters_are_found_with_their_field() -> None:
    assert unstorable_field(customer("A1")) is None
    assert unstorable_field(customer("A2", name="Bad\x00Name")) == "name"
    nested = customer("A3", raw={"Addresses": [{"Line1": "x\x00y"}]})
    assert unstorable_field(nested) == "raw.Addresses.0.Line1"


def test_refused_versions_become_dead_letters_and_the_rest_is_stored(
    conn: psycopg.Connection[Any],
) -> None:
    run_id = start_run(conn, "poll", "kashflow", "customer")
    batch = [
        customer("C1"),
        customer("C2", raw={"Note": "nul \x00 here"}),
        customer("C3"),
        NewVersion("kashflow", "no_such_entity", "C4", {"name": "refused by the server"}),
        customer("C5"),
    ]
    result, letters = append_versions_or_dead_letter(conn, batch, run_id)
    append_dead_letters(conn, letters, run_id)
    conn.commit()
    assert result.appended == 3
    assert sorted(v.native_key for v in current(conn)) == ["C1", "C3", "C5"]
    stored = {d.native_key: d for d in dead_letters(conn, run_id)}
    assert set(stored) == {"C2", "C4"}
    assert stored["C2"].field == "raw.Note" and "NUL" in stored["C2"].message
    assert stored["C2"].payload == {"Note": "nul \\u0000 here"}
    assert "no_such_entity" in stored["C4"].message
