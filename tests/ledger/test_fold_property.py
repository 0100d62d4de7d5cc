"""Property: for any sequence of appends, the current view equals a pure-Python fold of it."""

from __future__ import annotations

import uuid
from typing import Any

import psycopg
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledger import NewVersion, append_versions, current, history

KEYS = ["A", "B", "C"]
PAYLOADS = [{"name": "Acme"}, {"name": "Acme Ltd"}, {"name": "Acme", "city": "York"}, None]

operations = st.lists(
    st.tuples(st.sampled_from(KEYS), st.sampled_from(range(len(PAYLOADS)))), max_size=25
)
batch_sizes = st.lists(st.integers(min_value=1, max_value=6), min_size=1, max_size=25)


def fold(
    sequence: list[tuple[str, dict[str, Any] | None]],
) -> tuple[dict[str, Any], dict[str, int]]:
    """What the ledger promises, in plain Python: newest content wins, repeats are no-ops."""
    state: dict[str, dict[str, Any] | None] = {}
    versions: dict[str, int] = {}
    for key, payload in sequence:
        if key not in state and payload is None:
            continue
        if key in state and state[key] == payload:
            continue
        state[key] = payload
        versions[key] = versions.get(key, 0) + 1
    return {k: v for k, v in state.items() if v is not None}, versions


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(ops=operations, sizes=batch_sizes)
def test_current_view_equals_fold(
    conn: psycopg.Connection[Any], ops: list[tuple[str, int]], sizes: list[int]
) -> None:
    prefix = uuid.uuid4().hex[:8]
    sequence = [(f"{prefix}-{key}", PAYLOADS[index]) for key, index in ops]
    position = 0
    for size in sizes * (len(sequence) + 1):
        if position >= len(sequence):
            break
        chunk = sequence[position : position + size]
        append_versions(
            conn,
            [
                NewVersion.deleted("kashflow", "customer", key)
                if payload is None
                else NewVersion("kashflow", "customer", key, payload)
                for key, payload in chunk
            ],
        )
        position += size

    expected_state, expected_versions = fold(sequence)
    actual = {
        v.native_key: v.payload
        for v in current(conn, "kashflow", "customer")
        if v.native_key.startswith(prefix)
    }
    assert actual == expected_state
    for key, count in expected_versions.items():
        assert [v.version for v in history(conn, "kashflow", "customer", key)] == list(
            range(1, count + 1)
        )
