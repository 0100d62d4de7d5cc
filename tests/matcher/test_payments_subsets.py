"""The subset-sum search of the payment matcher against plain enumeration.

`_subset_sums` finds groups as bit masks and meets two halves on the amount they lack;
whatever it does inside, it must return exactly the groups an enumeration of every
combination of the allowed ranks returns, members in rank order.
"""

from __future__ import annotations

import itertools

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from matcher.payments import MatchConfig
from matcher.payments.subsets import _pool, _subset_sums

CONFIG = MatchConfig()


def enumerated(pools: list[list[int]], targets: list[int], min_size: int) -> set[tuple[int, ...]]:
    """Every group an exhaustive search finds, as (target_id, *items), items in rank order:
    pairs and triples from all ranks, four from the first ``subset_pool``, five or six
    from the first ``large_subset_pool``."""
    found = set()
    for target_id, (amounts, target) in enumerate(zip(pools, targets, strict=True)):
        for size in range(min_size, CONFIG.max_subset_size + 1):
            reach = len(amounts)
            if size == 4:
                reach = min(reach, CONFIG.subset_pool)
            elif size >= 5:
                reach = min(reach, CONFIG.large_subset_pool)
            for ranks in itertools.combinations(range(reach), size):
                if sum(amounts[r] for r in ranks) == target:
                    found.add((target_id, *(item_id(target_id, r) for r in ranks)))
    return found


def item_id(target_id: int, rank: int) -> int:
    return target_id * 100 + rank


def pool_frame(pools: list[list[int]], targets: list[int]) -> pl.DataFrame:
    rows = [
        (target_id, targets[target_id], item_id(target_id, rank), cents, rank)
        for target_id, amounts in enumerate(pools)
        for rank, cents in enumerate(amounts)
    ]
    return pl.DataFrame(
        rows,
        schema={
            "target_id": pl.UInt32,
            "target": pl.Int64,
            "item": pl.UInt32,
            "cents": pl.Int64,
            "rank": pl.Int64,
        },
        orient="row",
    )


amounts = st.lists(st.integers(1, 12), min_size=1, max_size=CONFIG.small_subset_pool)


@settings(max_examples=60, deadline=None)
@given(
    pools=st.lists(amounts, min_size=1, max_size=5),
    targets=st.lists(st.integers(2, 30), min_size=5, max_size=5),
    min_size=st.sampled_from([1, 2]),
)
def test_subset_sums_are_exactly_the_enumerated_groups(
    pools: list[list[int]], targets: list[int], min_size: int
) -> None:
    targets = targets[: len(pools)]
    # Shuffled rows: the search sorts its pool itself.
    pool = pool_frame(pools, targets).sample(fraction=1.0, shuffle=True, seed=len(pools))
    groups = _subset_sums(pool, CONFIG, min_size)
    got = [(row["target_id"], *row["members"]) for row in groups.iter_rows(named=True)]
    assert len(got) == len(set(got)), "a group found twice"
    assert set(got) == enumerated(pools, targets, min_size)


def test_groups_of_six_among_the_first_ten_only() -> None:
    # Six of 1 make 6 among ranks 0..9, and never reach rank 10.
    pools, targets = [[1] * 6 + [50] * 4 + [1]], [6]
    groups = _subset_sums(pool_frame(pools, targets), CONFIG, 2)
    members = [tuple(m) for m in groups["members"].to_list()]
    assert members == [tuple(range(6))]
    assert enumerated(pools, targets, 2) == {(0, *range(6))}


ITEMS = st.lists(
    st.tuples(st.integers(0, 2), st.integers(1, 40), st.integers(0, 8)),  # payer, cents, order
    max_size=40,
)
TARGETS = st.lists(
    st.tuples(
        st.lists(st.integers(0, 2), min_size=1, max_size=2, unique=True),
        st.integers(1, 60),
        st.integers(0, 8),
    ),  # payers, target, reach
    min_size=1,
    max_size=12,
)


@settings(max_examples=200, deadline=None)
@given(ITEMS, TARGETS, st.integers(1, 5), st.booleans(), st.booleans())
def test_a_pool_is_the_first_items_its_payers_hold_from_its_reach(
    items: list[tuple[int, int, int]],
    targets: list[tuple[list[int], int, int]],
    size: int,
    below: bool,
    latest_first: bool,
) -> None:
    """`_pool` reads windows from a binary search; it must give what sorting every item of
    the target's payers (both, for an invoice under its parent too) would: those from its
    reach on that fit its amount, first ``size`` of them in order, then by item."""
    item_frame = pl.DataFrame(
        {
            "item": list(range(len(items))),
            "payer": [payer for payer, _, _ in items],
            "cents": [cents for _, cents, _ in items],
            "order": [order for _, _, order in items],
        },
        schema={"item": pl.UInt32, "payer": pl.UInt64, "cents": pl.Int64, "order": pl.Int64},
    ).sort("payer", "order", "item", descending=[False, False, latest_first])
    target_frame = pl.DataFrame(
        [
            {"target_id": tid, "payer": payer, "target": target, "reach": reach}
            for tid, (payers, target, reach) in enumerate(targets)
            for payer in payers
        ],
        schema={"target_id": pl.UInt32, "payer": pl.UInt64, "target": pl.Int64, "reach": pl.Int64},
    )
    expected = set()
    for tid, (payers, target, reach) in enumerate(targets):
        fitting = [
            (order, -item if latest_first else item, item, cents)
            for item, (payer, cents, order) in enumerate(items)
            if payer in payers and order >= reach and (cents < target if below else cents <= target)
        ]
        for rank, (_, _, item, cents) in enumerate(sorted(fitting)[:size]):
            expected.add((tid, target, item, cents, rank))
    found = _pool(target_frame, item_frame, size, below=below, latest_first=latest_first)
    assert set(found.select("target_id", "target", "item", "cents", "rank").iter_rows()) == expected
    assert found.height == len(expected)
