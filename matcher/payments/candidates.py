"""Candidates: the one shape every proposed match takes before ranking, whether it was
found by a join (one payment, one invoice) or is a group (several payments or invoices
whose amounts fit together exactly)."""

from __future__ import annotations

import polars as pl

CANDIDATE_SCHEMA = pl.Schema(
    {
        "m_pay": pl.List(pl.UInt32()),
        "m_inv": pl.List(pl.UInt32()),
        "score": pl.Float64(),
        "fits": pl.Boolean(),
        "rules": pl.List(pl.String()),
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
