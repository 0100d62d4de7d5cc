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
from matcher.payments.subsets import _subset_sums

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
