"""Two integer keys as one Int64: a group number and a value, packed as
``group * span + (value - low)``.

The matcher joins, groups and as-of joins on (payer, amount), (counterparty, number
variant), (payer, running total) and (target, amount lacking): millions of rows, where
one integer column hashes and searches several times faster than two. Packed this way
the one integer orders as the pair does (group first), so ties and the order within a
group are kept. Where group numbers times the values' range do not fit in an Int64 (a
ledger in a currency of tiny units, numbers of absurd length), `packing` says so and the
caller keeps both columns.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

INT64_LIMIT = 1 << 63


@dataclass(frozen=True)
class Packing:
    """Group numbers ``0 .. groups - 1`` and values ``low .. low + span - 1`` as one
    Int64 each pair."""

    low: int
    span: int

    def __call__(self, group: pl.Expr, value: pl.Expr) -> pl.Expr:
        return group.cast(pl.Int64) * self.span + (value - self.low)

    def holds(self, value: pl.Expr) -> pl.Expr:
        """Whether a value lies in the packed range (one outside it would land in the
        next or the previous group)."""
        return value.is_between(self.low, self.low + self.span - 1)


def packing(groups: int, low: int, high: int) -> Packing | None:
    """The packing of ``groups`` group numbers (0 and up) and values from ``low`` to
    ``high``, or None where it does not fit in an Int64."""
    span = high - low + 1
    if groups < 1 or span < 1 or groups * span >= INT64_LIMIT:
        return None
    return Packing(low, span)


def packing_of(frames: list[pl.DataFrame], group: str, value: str) -> Packing | None:
    """`packing` for the ``group`` numbers and ``value`` range of ``frames`` (all
    holding both columns); None when they are empty or do not fit."""
    bounds = pl.concat([frame.select(group, value) for frame in frames]).select(
        pl.col(group).max().alias("groups"),
        pl.col(value).min().alias("low"),
        pl.col(value).max().alias("high"),
    )
    groups, low, high = bounds.row(0)
    if groups is None or low is None:
        return None
    return packing(int(groups) + 1, int(low), int(high))
