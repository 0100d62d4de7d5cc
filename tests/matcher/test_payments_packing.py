"""A packed (group, value) key must order and tie exactly as the pair does, and must not
be offered where it would overflow an Int64."""

from __future__ import annotations

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from matcher.payments.packing import INT64_LIMIT, packing, packing_of

PAIRS = st.lists(
    st.tuples(st.integers(0, 50), st.integers(-(10**12), 10**12)), min_size=1, max_size=60
)


@settings(max_examples=200, deadline=None)
@given(PAIRS)
def test_packed_keys_order_and_tie_as_the_pairs_do(pairs: list[tuple[int, int]]) -> None:
    frame = pl.DataFrame(
        {"group": [g for g, _ in pairs], "value": [v for _, v in pairs]},
        schema={"group": pl.UInt32, "value": pl.Int64},
    )
    packed = packing_of([frame], "group", "value")
    assert packed is not None
    keys = frame.select(packed(pl.col("group"), pl.col("value")))["group"].to_list()
    for a, key_a in zip(pairs, keys, strict=True):
        for b, key_b in zip(pairs, keys, strict=True):
            assert (key_a < key_b) == (a < b)
            assert (key_a == key_b) == (a == b)
    assert frame.select(packed.holds(pl.col("value")).all()).item()


def test_values_outside_the_packed_range_are_not_held() -> None:
    packed = packing(3, 10, 19)
    assert packed is not None
    values = pl.DataFrame({"value": [9, 10, 19, 20]})
    held = values.select(packed.holds(pl.col("value")))["value"].to_list()
    assert held == [False, True, True, False]


@pytest.mark.parametrize(
    ("groups", "low", "high"),
    [(2, 0, INT64_LIMIT // 2), (1 << 40, 0, 1 << 23), (1, -(1 << 62), 1 << 62)],
)
def test_a_packing_that_would_overflow_is_refused(groups: int, low: int, high: int) -> None:
    assert packing(groups, low, high) is None


def test_the_largest_packing_that_fits_is_offered_and_its_top_key_is_exact() -> None:
    high = INT64_LIMIT // 2 - 2  # two groups of 2**62 - 1 values: the top key is 2**63 - 3
    packed = packing(2, 0, high)
    assert packed is not None
    top = pl.select(packed(pl.lit(1), pl.lit(high, dtype=pl.Int64))).item()
    assert top == (high + 1) + high == INT64_LIMIT - 3
    assert packing(2, 0, high + 1) is None


def test_empty_frames_offer_no_packing() -> None:
    empty = pl.DataFrame(schema={"group": pl.UInt32, "value": pl.Int64})
    assert packing_of([empty], "group", "value") is None
