"""The one-column payer key of the amount joins: it must pair exactly the rows that the
payer and the amount pair, and give way to the two columns where they do not fit in it.
"""

from __future__ import annotations

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from matcher.payments.amount_pairs import one_payer_key

ROWS = st.lists(
    st.tuples(
        st.integers(0, 5), st.integers(0, 2), st.integers(-3_000, 3_000)
    ),  # counterparty code, currency code, key in cents
    min_size=1,
    max_size=40,
)


def frame(rows: list[tuple[int, int, int]], index: str) -> pl.DataFrame:
    return pl.DataFrame(
        {
            index: list(range(len(rows))),
            "payer": [cp * (1 << 32) + cur for cp, cur, _ in rows],
            "key": [key for _, _, key in rows],
        },
        schema={index: pl.UInt32, "payer": pl.UInt64, "key": pl.Int64},
    )


def pairs(left: pl.DataFrame, right: pl.DataFrame, on: list[str]) -> set[tuple[int, int]]:
    return set(left.join(right, on=on).select("pay", "inv").iter_rows())


@settings(max_examples=200, deadline=None)
@given(ROWS, ROWS)
def test_one_key_pairs_what_payer_and_amount_pair(
    known_rows: list[tuple[int, int, int]], exact_rows: list[tuple[int, int, int]]
) -> None:
    known, exact = frame(known_rows, "pay"), frame(exact_rows, "inv")
    keyed_known, keyed_exact, keys = one_payer_key(known, exact)
    assert keys == ["payer_key"]
    assert pairs(keyed_known, keyed_exact, keys) == pairs(known, exact, ["payer", "key"])


def test_amounts_too_far_apart_for_one_key_keep_two_columns() -> None:
    known = frame([(0, 0, -(1 << 62)), (3, 1, 7)], "pay")
    exact = frame([(0, 0, 1 << 62), (3, 1, 7)], "inv")
    keyed_known, keyed_exact, keys = one_payer_key(known, exact)
    assert keys == ["payer", "key"]
    assert pairs(keyed_known, keyed_exact, keys) == {(1, 1)}
