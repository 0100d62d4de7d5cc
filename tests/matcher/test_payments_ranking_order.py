"""The ranking's sort on packed keys (`_sorted_stably`): the same order, ties included,
as polars' stable sort on the key columns themselves, and the plain sort where the keys
cannot be packed; and the output's "several per group" flags read from arrays
(`_several`), as counting distinct members per group does."""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from matcher.payments.ranking import RANK_ORDER, _several, _sorted_stably

COLUMNS = [column for column, _ in RANK_ORDER]
DESCENDING = [down for _, down in RANK_ORDER]

ROW = st.tuples(
    st.sampled_from([0.55, 0.6, 0.65, 0.7, 0.75, 0.95, 1.0]),  # score
    st.booleans(),  # fits
    st.integers(0, 3),  # tb_pay_day, days
    st.integers(1, 4),  # n_members
    st.integers(0, 3),  # tb_contested
    st.integers(0, 400),  # tb_lateness (a cost: minus 20 times a log-likelihood)
    st.integers(0, 2),  # tb_newest, days
    st.integers(-2, 2),  # tb_sum
    st.integers(0, 3),  # first_pay
    st.integers(0, 3),  # first_inv
)


def candidates(
    rows: list[tuple[float, bool, int, int, int, int, int, int, int, int]],
) -> pl.DataFrame:
    start = date(2025, 1, 1)
    return pl.DataFrame(
        {
            "row": list(range(len(rows))),
            "score": [r[0] for r in rows],
            "fits": [r[1] for r in rows],
            "tb_pay_day": [start + timedelta(days=r[2]) for r in rows],
            "n_members": [r[3] for r in rows],
            "tb_contested": [r[4] for r in rows],
            "tb_lateness": [r[5] for r in rows],
            "tb_newest": [start + timedelta(days=r[6]) for r in rows],
            "tb_sum": [r[7] for r in rows],
            "first_pay": [r[8] for r in rows],
            "first_inv": [r[9] for r in rows],
        },
        schema_overrides={
            "n_members": pl.UInt32,
            "tb_contested": pl.Int64,
            "tb_lateness": pl.Int64,
            "first_pay": pl.UInt32,
            "first_inv": pl.UInt32,
        },
    )


@settings(max_examples=300, deadline=None)
@given(st.lists(ROW, min_size=0, max_size=40))
def test_packed_keys_order_as_the_columns_do_ties_in_the_order_they_came(
    rows: list[tuple[float, bool, int, int, int, int, int, int, int, int]],
) -> None:
    frame = candidates(rows)
    expected = frame.sort(COLUMNS, descending=DESCENDING, maintain_order=True)
    assert _sorted_stably(frame, COLUMNS, DESCENDING).equals(expected)


def test_keys_too_wide_to_pack_and_keys_with_nulls_sort_as_they_are() -> None:
    wide = pl.DataFrame({"row": [0, 1, 2, 3], "key": [1 << 62, -(1 << 62), 5, 5]})
    assert _sorted_stably(wide, ["key"], [True])["row"].to_list() == [0, 2, 3, 1]
    holes = pl.DataFrame({"row": [0, 1, 2], "key": [3, None, 1]})
    expected = holes.sort("key", descending=True, maintain_order=True)
    assert _sorted_stably(holes, ["key"], [True]).equals(expected)


def test_float_keys_not_rounded_for_it_and_scores_not_finite_sort_as_they_are() -> None:
    # Packed at six decimals, 0.1234564 and 0.1234563 would tie; a NaN has no integer.
    close = pl.DataFrame({"row": [0, 1, 2], "x": [0.1234564, 0.1234562, 0.1234563]})
    expected = close.sort("x", descending=True, maintain_order=True)
    assert _sorted_stably(close, ["x"], [True]).equals(expected)
    odd = pl.DataFrame({"row": [0, 1, 2], "score": [0.5, float("nan"), float("inf")]})
    expected = odd.sort("score", descending=True, maintain_order=True)
    assert _sorted_stably(odd, ["score"], [True]).equals(expected)
    money = pl.DataFrame({"row": [0, 1], "amount": [1.25, 1.75]}).with_columns(
        pl.col("amount").cast(pl.Decimal(10, 2))
    )
    assert _sorted_stably(money, ["amount"], [False])["row"].to_list() == [0, 1]
    assert _sorted_stably(money, ["amount"], [True])["row"].to_list() == [1, 0]


WIDE = st.sampled_from([0, 1, (1 << 30) - 1, 1 << 30, -(1 << 29)])


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(WIDE, WIDE, WIDE), min_size=1, max_size=30), st.booleans())
def test_keys_wider_than_one_word_between_them_spill_into_the_next(
    rows: list[tuple[int, int, int]], down: bool
) -> None:
    frame = pl.DataFrame(
        {"row": list(range(len(rows))), **{c: [r[k] for r in rows] for k, c in enumerate("abc")}}
    )
    columns, descending = ["a", "b", "c"], [down, not down, down]
    expected = frame.sort(columns, descending=descending, maintain_order=True)
    assert _sorted_stably(frame, columns, descending).equals(expected)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 5), st.integers(0, 5)), min_size=1, max_size=30))
def test_several_says_what_counting_distinct_members_per_group_says(
    rows: list[tuple[int, int]],
) -> None:
    frame = pl.DataFrame(
        {"group": [g for g, _ in rows], "member": [m for _, m in rows]},
        schema={"group": pl.UInt32, "member": pl.UInt32},
    )
    expected = frame.select(pl.col("member").n_unique().over("group") > 1).to_series()
    found = _several(frame["group"].to_numpy(), frame["member"].to_numpy())
    assert found.tolist() == expected.to_list()
