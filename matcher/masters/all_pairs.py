"""How every left x right pair would compare, counted without comparing them all.

Fellegi–Sunter's u probabilities describe all pairs, nearly all of which are non-matches.
With few records every pair is compared. Otherwise the candidate pairs are counted
exactly and a seeded random sample of the other pairs stands for the rest (so close
levels, nearly all among the candidates, are not left to sampling luck); and the "same"
level of fields compared by plain equality is counted exactly from the values'
frequencies on each side (Σ left count x right count), blocks dropped as too common
included.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from matcher.masters.comparisons import COMPARISONS, comparison_levels, name_similarity
from matcher.masters.fellegi_sunter import level_counts

EQUALITY_FIELDS: dict[str, str] = {
    "name": "name",
    "tax": "tax",
    "email": "email",
    "phone": "phone",
    "postcode": "postcode",
    "city": "city",
    "code": "code",
    "birth_date": "birth_date",
}
"""Comparison field -> prepared column whose equality is (nearly) its top level."""


def all_pair_counts(
    lhs: pl.DataFrame,
    rhs: pl.DataFrame,
    candidates: pl.DataFrame,
    candidate_levels: np.ndarray,
    width: int,
    sample_size: int,
    seed: int = 0,
) -> np.ndarray:
    """Counts (fields x levels) of all left x right pairs in each comparison level, given
    the `candidates` (`left_row, right_row`) and their `candidate_levels`."""
    total = lhs.height * rhs.height
    if total <= sample_size:
        everything = pl.DataFrame(
            {
                "left_row": np.repeat(np.arange(lhs.height), rhs.height),
                "right_row": np.tile(np.arange(rhs.height), lhs.height),
            }
        )
        return level_counts(_levels(lhs, rhs, everything), width)
    rng = np.random.default_rng(seed)
    sample = pl.DataFrame(
        {
            "left_row": rng.integers(0, lhs.height, sample_size),
            "right_row": rng.integers(0, rhs.height, sample_size),
        }
    ).join(candidates.select("left_row", "right_row"), on=["left_row", "right_row"], how="anti")
    others = total - candidates.height
    counts = level_counts(candidate_levels, width)
    if sample.height:
        counts += level_counts(_levels(lhs, rhs, sample), width, scale=others / sample.height)
    for f, comparison in enumerate(COMPARISONS):
        column = EQUALITY_FIELDS.get(comparison.field)
        if column is not None:
            top = len(comparison.levels) - 1
            equal = _equal_pairs(lhs[column], rhs[column])  # candidates' "same" pairs among them
            _set_level(counts[f], top, max(equal, counts[f, top]))
    return counts


def _levels(lhs: pl.DataFrame, rhs: pl.DataFrame, pairs: pl.DataFrame) -> np.ndarray:
    joined = pairs.join(lhs, left_on="left_row", right_on="row", maintain_order="left").join(
        rhs, left_on="right_row", right_on="row", suffix="_r", maintain_order="left"
    )
    return comparison_levels(joined, name_similarity(joined))


def _equal_pairs(left: pl.Series, right: pl.Series) -> float:
    """How many left x right pairs hold the same non-empty value."""
    left_counts = left.filter(left != "").value_counts(name="left_count")
    right_counts = right.filter(right != "").value_counts(name="right_count")
    joined = left_counts.join(right_counts, on=left.name)
    return float((joined["left_count"].cast(pl.Float64) * joined["right_count"]).sum())


def _set_level(row: np.ndarray, level: int, count: float) -> None:
    """Put `count` in `level` of `row`, scaling the other levels to keep the row's total."""
    total = row.sum()
    others = total - row[level]
    count = min(count, total)
    if others > 0:
        row *= (total - count) / others
    row[level] = count
