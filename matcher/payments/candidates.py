"""Candidates: the one shape every proposed match takes before ranking, whether it was
found by a join (one payment, one invoice) or is a group (several payments or invoices
whose amounts fit together exactly). The rules a candidate fired are a bit mask (one bit
per name of `RULES`) until its allocations are written out."""

from __future__ import annotations

import functools
import operator

import polars as pl

from matcher.payments.config import RULES

RULE_BITS: dict[str, int] = {name: 1 << n for n, name in enumerate(RULES)}
"""The bit of each rule in a candidate's ``rules`` mask; names read back in `RULES` order."""
assert len(RULE_BITS) <= 32, "a rules mask is a UInt32"

CANDIDATE_SCHEMA = pl.Schema(
    {
        "m_pay": pl.List(pl.UInt32()),
        "m_inv": pl.List(pl.UInt32()),
        "score": pl.Float64(),
        "fits": pl.Boolean(),
        "rules": pl.UInt32(),
        "tb_newest": pl.Int32(),
        "tb_sum": pl.Int64(),
        "tb_pay_day": pl.Int32(),
        "rival_score": pl.Float64(),
    }
)
"""Members (payment and invoice row numbers, paired by position), score, whether the
amounts fit, rules fired, tie-breakers (newest and summed issue days, earliest payment
day) and the score the candidate has as a rival to others."""


def group_candidates(groups: pl.DataFrame, score: pl.Expr, rules: pl.Expr) -> pl.DataFrame:
    """Groups as candidates: ``groups`` holds ``m_pay``, ``m_inv``, ``tb_newest``,
    ``tb_sum`` and ``tb_pay_day``; a group's amounts fit by construction, and its score
    is also its score as a rival."""
    return groups.select(
        "m_pay",
        "m_inv",
        score.alias("score"),
        score.alias("rival_score"),
        pl.lit(True).alias("fits"),
        rules.alias("rules"),
        "tb_newest",
        "tb_sum",
        "tb_pay_day",
    )


def rule_bit(name: str) -> pl.Expr:
    """The mask of the one rule ``name``."""
    return pl.lit(RULE_BITS[name], dtype=pl.UInt32)


def rule_if(condition: pl.Expr, name: str) -> pl.Expr:
    """The mask of rule ``name`` where ``condition`` holds, else of none."""
    return pl.when(condition).then(rule_bit(name)).otherwise(pl.lit(0, dtype=pl.UInt32))


def rule_named(names: pl.Expr) -> pl.Expr:
    """The mask of the rule each value of ``names`` (a column of rule names) names."""
    return names.replace_strict(RULE_BITS, return_dtype=pl.UInt32)


def rules_mask(*parts: pl.Expr) -> pl.Expr:
    """One mask holding every rule of ``parts``."""
    return functools.reduce(operator.or_, parts)


def rule_names(mask: int) -> list[str]:
    """The names of the rules in ``mask``, in `RULES` order."""
    return [name for name, bit in RULE_BITS.items() if mask & bit]


def pair_key() -> pl.Expr:
    """``pair``: a (``pay``, ``inv``) pair of row numbers as one integer, which groups and
    deduplicates faster than the two columns do."""
    return (pl.col("pay").cast(pl.UInt64) * (1 << 32) + pl.col("inv").cast(pl.UInt64)).alias("pair")


def pair_members() -> tuple[pl.Expr, pl.Expr]:
    """``pay`` and ``inv`` read back from `pair_key`."""
    return (
        (pl.col("pair") // (1 << 32)).cast(pl.UInt32).alias("pay"),
        (pl.col("pair") % (1 << 32)).cast(pl.UInt32).alias("inv"),
    )
