"""The oldest items' running totals are met on one integer of payer and total where they
fit, and on both columns where a payer's open items sum to too much for that (a ledger
in a currency of small units, or of a size the packing does not allow): both ways must
find the same groups. And the bound a run leaving one item open is searched within."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from matcher.payments.config import MatchConfig
from matcher.payments.oldest_items import _oldest_groups, _window_largest


def groups(unit: int) -> set[tuple[tuple[int, ...], tuple[int, ...]]]:
    """Three payers, each with three open items of ``unit`` times 1, 2 and 4 (in issue
    order); payer 0 pays its oldest two (3 units) and then the third (one item: no
    group); payer 1 skips its oldest item and pays the next two (6 units); payer 2 pays
    the first and the third, the second left open inside the run (5 units)."""
    ordered = pl.DataFrame(
        {
            "payer": [0, 0, 0, 1, 1, 1, 2, 2, 2],
            "inv": list(range(9)),
            "cents": [unit, 2 * unit, 4 * unit] * 3,
            "issue_day": [1, 2, 3] * 3,
        },
        schema={"payer": pl.UInt64, "inv": pl.UInt32, "cents": pl.Int64, "issue_day": pl.Int32},
    )
    targets = pl.DataFrame(
        {
            "pay": [0, 1, 2, 3],
            "payer": [0, 0, 1, 2],
            "amount": [3 * unit, 4 * unit, 6 * unit, 5 * unit],
        },
        schema={"pay": pl.UInt32, "payer": pl.UInt64, "amount": pl.Int64},
    ).with_columns(pl.lit(10, dtype=pl.Int32).alias("p_day"))
    found = _oldest_groups(targets, ordered, MatchConfig())
    return {(tuple(p), tuple(i)) for p, i in found.select("m_pay", "m_inv").iter_rows()}


def test_oldest_items_meet_the_same_totals_packed_or_on_two_columns() -> None:
    expected = {((0, 0), (0, 1)), ((2, 2), (4, 5)), ((3, 3), (6, 8))}
    assert groups(100) == expected
    # Seven units of 2**60 cents per payer: two payers' totals do not fit one Int64.
    assert groups(1 << 60) == expected


def test_of_two_items_of_one_amount_the_later_is_left_open_inside_a_run() -> None:
    """Items of 100, 50, 50 and 30 (in issue order) and a payment of 180: the run pays
    100, one 50 and 30. Which 50 the amounts cannot say; paying oldest first, the older
    one is paid, whatever order the join happens to list the two sums in."""
    ordered = pl.DataFrame(
        {
            "payer": [7] * 4,
            "inv": [0, 1, 2, 3],
            "cents": [100, 50, 50, 30],
            "issue_day": [1, 2, 3, 4],
        },
        schema={"payer": pl.UInt64, "inv": pl.UInt32, "cents": pl.Int64, "issue_day": pl.Int32},
    )
    targets = pl.DataFrame(
        {"pay": [0], "payer": [7], "amount": [180], "p_day": [10]},
        schema={"pay": pl.UInt32, "payer": pl.UInt64, "amount": pl.Int64, "p_day": pl.Int32},
    )
    found = _oldest_groups(targets, ordered, MatchConfig())
    assert found.select("m_pay", "m_inv").rows() == [([0, 0, 0], [0, 1, 3])]


@given(
    cents=st.lists(st.integers(1, 10**9), max_size=80),
    span=st.integers(1, 40),
)
def test_the_window_largest_is_the_largest_of_the_span_from_each_item(
    cents: list[int], span: int
) -> None:
    values = np.asarray(cents, dtype=np.int64)
    expected = [max(cents[i : i + span]) for i in range(len(cents))]
    assert _window_largest(values, span).tolist() == expected


@pytest.mark.parametrize("unit", [100, 1 << 60])
def test_runs_leaving_one_open_are_found_in_every_payer_whatever_the_books_total(
    unit: int,
) -> None:
    """Eight payers, each with items of 1, 2 and 4 units, each paying the first and the
    third (the second left open inside the run). At 2**60 cents a unit the running total
    over all payers passes an Int64 by the second payer: each payer's own totals, which
    fit, are what the run is read from."""
    payers = 8
    ordered = pl.DataFrame(
        {
            "payer": [p for p in range(payers) for _ in range(3)],
            "inv": list(range(3 * payers)),
            "cents": [unit, 2 * unit, 4 * unit] * payers,
            "issue_day": [1, 2, 3] * payers,
        },
        schema={"payer": pl.UInt64, "inv": pl.UInt32, "cents": pl.Int64, "issue_day": pl.Int32},
    )
    targets = pl.DataFrame(
        {"pay": range(payers), "payer": range(payers), "amount": [5 * unit] * payers},
        schema={"pay": pl.UInt32, "payer": pl.UInt64, "amount": pl.Int64},
    ).with_columns(pl.lit(10, dtype=pl.Int32).alias("p_day"))
    found = _oldest_groups(targets, ordered, MatchConfig())
    assert sorted(found.select("m_pay", "m_inv").rows()) == [
        ([p, p], [3 * p, 3 * p + 2]) for p in range(payers)
    ]
