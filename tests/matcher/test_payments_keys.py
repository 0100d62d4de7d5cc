"""The one-column payer key of the amount joins: it must pair exactly the rows that the
payer and the amount pair, and give way to the two columns where they do not fit in it;
likewise the one-axis as-of join of the neighbouring amounts (`_neighbours`), the
integers that stand for the deletion variants of number keys (`_deletion_variants`) and
the one key they are joined on with their counterparty (`_one_key`).
"""

from __future__ import annotations

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from matcher.payments.amount_pairs import (
    NEIGHBOUR_REACH,
    _nearest_pairs,
    _neighbours,
    _payer_axis,
    one_payer_key,
    payer_amount_axis,
)
from matcher.payments.config import EQUAL_AMOUNT_REACH
from matcher.payments.slips import _deletion_variants, _one_key

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


NEIGHBOUR_ROWS = st.lists(
    st.tuples(
        st.integers(0, 4), st.integers(0, 1), st.integers(0, 60)
    ),  # counterparty code, currency code, cents
    min_size=1,
    max_size=30,
)


def owed_frame(rows: list[tuple[int, int, int]]) -> pl.DataFrame:
    return frame(rows, "inv").rename({"key": "cents"}).sort("payer", "cents", "inv")


def left_frame(rows: list[tuple[int, int, int]], reach: int) -> pl.DataFrame:
    return (
        frame(rows, "pay")
        .select("pay", "payer", pl.col("key").alias("at"), (pl.col("key") + reach).alias("end"))
        .sort("payer", "at")
    )


def neighbour_pairs(found: list[pl.DataFrame]) -> set[tuple[int, int]]:
    """The distinct pairs (the callers deduplicate them)."""
    return set(pl.concat(found).iter_rows()) if found else set()


def nearest_by_hand(left: pl.DataFrame, owed: pl.DataFrame, forward: bool) -> set[tuple[int, int]]:
    """What `_neighbours` finds, one payment at a time: from ``at``, the payer's next
    amount in that direction, while it is within ``end``, `NEIGHBOUR_REACH` amounts at
    most; of each amount met, the invoice an as-of join meets (the first forward, the
    last backward) and, where the payer has at most ``2 * EQUAL_AMOUNT_REACH + 1`` of
    it, every one."""
    invoices = owed.rows()  # inv, payer, cents; by payer and cents
    found = set()
    for pay, payer, at, end in left.rows():
        mine = [(inv, cents) for inv, owner, cents in invoices if owner == payer]
        for _ in range(NEIGHBOUR_REACH):
            met = (
                next(((i, c) for i, c in mine if c >= at), None)
                if forward
                else next(((i, c) for i, c in reversed(mine) if c <= at), None)
            )
            if met is None or (met[1] > end if forward else met[1] < end):
                break
            found.add((pay, met[0]))
            equal = [i for i, c in mine if c == met[1]]
            if len(equal) <= 2 * EQUAL_AMOUNT_REACH + 1:
                found.update((pay, i) for i in equal)
            at = met[1] + 1 if forward else met[1] - 1
    return found


@settings(max_examples=300, deadline=None)
@given(NEIGHBOUR_ROWS, NEIGHBOUR_ROWS, st.integers(0, 40), st.booleans(), st.booleans())
def test_neighbours_meet_the_payers_own_next_invoices_on_one_axis_or_by_payer(
    pay_rows: list[tuple[int, int, int]],
    inv_rows: list[tuple[int, int, int]],
    reach: int,
    forward: bool,
    too_wide: bool,
) -> None:
    """Another payer's invoice next on the axis is never met (nor one past ``end``), and
    of an amount met, every invoice where the payer has few of it; an amount too wide for
    one axis (of a payer paying nothing) makes the join go by payer, with the same result."""
    strategy = "forward" if forward else "backward"
    left = left_frame(pay_rows, reach if forward else -reach)
    owed = owed_frame([*inv_rows, (9, 0, 1 << 62)] if too_wide else inv_rows)
    assert (_payer_axis(left, owed) is None) == too_wide
    found = neighbour_pairs(_neighbours(left, owed, strategy, presorted=True))
    assert found == nearest_by_hand(left, owed, forward)


DIGIT_KEYS = st.lists(
    st.tuples(
        st.integers(0, 2),
        st.one_of(
            st.from_regex(r"[1-9][0-9]{0,2}0?[0-9]{0,2}", fullmatch=True),
            st.from_regex(r"[01]{1,17}", fullmatch=True),
        ),
    ),
    min_size=1,
    max_size=15,
)  # counterparty code, number key: short ones with zeros inside ("105" loses its "1"),
# and up to DIGIT_KEY's 17 digits of zeros and ones, leading zeros included ("0000171")


def shared_variants(
    typed: list[tuple[int, str]], numbers: list[tuple[int, str]], *, digits: bool
) -> set[tuple[int, int]]:
    left = pl.DataFrame(
        {"pay": range(len(typed)), "cp": [c for c, _ in typed], "key": [k for _, k in typed]}
    )
    right = pl.DataFrame(
        {"inv": range(len(numbers)), "cp": [c for c, _ in numbers], "key": [k for _, k in numbers]}
    )
    joined = _deletion_variants(left, "pay", digits=digits).join(
        _deletion_variants(right, "inv", digits=digits), on=["cp", "variant"]
    )
    return set(joined.select("pay", "inv").iter_rows())


@settings(max_examples=300, deadline=None)
@given(DIGIT_KEYS, DIGIT_KEYS)
def test_deletion_variants_as_integers_meet_as_the_strings_do(
    typed: list[tuple[int, str]], numbers: list[tuple[int, str]]
) -> None:
    """ "012" (from "1012" or "0125"...) is not "12": the integer keeps the length."""
    assert shared_variants(typed, numbers, digits=True) == shared_variants(
        typed, numbers, digits=False
    )
    assert shared_variants([(0, "1012")], [(0, "12"), (0, "112")], digits=True) == {(0, 1)}


@settings(max_examples=300, deadline=None)
@given(NEIGHBOUR_ROWS, NEIGHBOUR_ROWS)
def test_nearest_on_one_axis_is_the_payers_own_nearest_invoice(
    pay_rows: list[tuple[int, int, int]], inv_rows: list[tuple[int, int, int]]
) -> None:
    """Each payment of a payer with invoices meets one of its own nearest in amount:
    another payer's next on the axis, however near the ends of the range the amounts
    lie, never is. An amount too wide for the axis (of a payer paying nothing) makes the
    join go by payer, which meets the same invoices, ties alike."""
    known = frame(pay_rows, "pay").sort("payer", "key")
    owed = owed_frame(inv_rows)
    found = dict(_nearest_pairs(known, owed).iter_rows())
    owed_by = {inv: (payer, cents) for inv, payer, cents in owed.iter_rows()}
    for pay, payer, key in known.iter_rows():
        own = [abs(cents - key) for owner, cents in owed_by.values() if owner == payer]
        if not own:
            assert pay not in found
            continue
        owner, cents = owed_by[found[pay]]
        assert owner == payer and abs(cents - key) == min(own)
    too_wide = owed_frame([*inv_rows, (9, 0, 1 << 62)])
    # The axis as `_nearest_pairs` builds it (payers three of the amounts' range apart)
    # fits for these amounts, and not once one of them is that wide.
    assert nearest_axis(known, owed) is not None
    assert nearest_axis(known, too_wide) is None
    assert dict(_nearest_pairs(known, too_wide).iter_rows()) == found


def nearest_axis(known: pl.DataFrame, owed: pl.DataFrame) -> object:
    amounts = pl.concat(
        [known.select("payer", "key"), owed.select("payer", pl.col("cents").alias("key"))]
    )
    low, high = amounts["key"].min(), amounts["key"].max()
    return payer_amount_axis(amounts, margin=int(high) - int(low) + 1)  # type: ignore[arg-type]


@settings(max_examples=200, deadline=None)
@given(DIGIT_KEYS, DIGIT_KEYS)
def test_variants_on_one_key_meet_as_on_counterparty_and_variant(
    typed: list[tuple[int, str]], numbers: list[tuple[int, str]]
) -> None:
    """`_one_key` packs counterparty and integer variant into one Int64: the same pairs."""
    left = pl.DataFrame(
        {"t": range(len(typed)), "cp": [c for c, _ in typed], "key": [k for _, k in typed]}
    )
    right = pl.DataFrame(
        {"n": range(len(numbers)), "cp": [c for c, _ in numbers], "key": [k for _, k in numbers]}
    )
    left_variants = _deletion_variants(left, "t", digits=True)
    right_variants = _deletion_variants(right, "n", digits=True)
    packed = _one_key(left_variants, right_variants)
    assert "key" in packed.columns
    assert set(packed.select("t", "n").iter_rows()) == set(
        left_variants.join(right_variants, on=["cp", "variant"]).select("t", "n").iter_rows()
    )


def test_variants_too_wide_for_one_key_keep_two_columns() -> None:
    typed = pl.DataFrame({"t": [0, 1], "cp": [1 << 40, 0], "variant": [5, 1 << 40]})
    numbers = pl.DataFrame({"n": [0, 1], "cp": [1 << 40, 0], "variant": [5, 1 << 40]})
    joined = _one_key(typed, numbers)
    assert "key" not in joined.columns
    assert set(joined.select("t", "n").iter_rows()) == {(0, 0), (1, 1)}
