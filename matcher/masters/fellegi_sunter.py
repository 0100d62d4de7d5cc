"""Fellegi–Sunter weights learnt by expectation–maximisation, with one match per record.

Every left x right pair is a match or not; given which, its fields' comparison levels
are taken as independent, with probability m (match) or u (non-match) per level. EM
alternates the posterior match probability of each candidate pair with re-estimating m,
u and the number of matches, as splink and recordlinkage's ECM do. Because a record
matches at most one record of the other side, the posterior of a pair weighs it against
the record having no match at all and against its rival candidates (both sides):

    p(i~j) = λ·B_ij / (λ·B_ij + (1 - ρ) + λ·Σ_rivals B)

with B the Bayes factor (product of m/u over the fields), λ the prior of one given pair
and ρ the share of records that have a match. The starting values act as a prior of
`pseudo_pairs` pairs' worth, so a handful of pairs cannot talk the model into anything,
while thousands speak for themselves. Weights are log2 Bayes factors (bits).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from matcher.masters.comparisons import COMPARISONS, MISSING, Comparison

_FLOOR = 1e-15


@dataclass(frozen=True)
class FellegiSunterModel:
    """m and u per field and level (rows padded with 0), and how many records match."""

    comparisons: tuple[Comparison, ...]
    m: np.ndarray
    u: np.ndarray
    pair_prior: float
    """λ: the prior probability that one given left x right pair is a match."""
    matched_share: float
    """ρ: the share of records (of the smaller side) that have a match on the other."""
    iterations: int = 0

    def level_weights(self) -> np.ndarray:
        """log2(m/u) per field and level, with a last column of 0 for MISSING.

        Levels run from worst to best agreement, and a worse level never weighs more than
        a better one: a rare level whose m and u are both near nothing (numbers in names
        differing, among customers) cannot turn disagreement into evidence for a match.
        """
        ratio = np.log2(np.maximum(self.m, _FLOOR) / np.maximum(self.u, _FLOOR))
        ratio[self.m == 0] = np.inf
        ratio = np.minimum.accumulate(ratio[:, ::-1], axis=1)[:, ::-1]
        ratio[self.m == 0] = 0.0
        return np.hstack([ratio, np.zeros((len(self.comparisons), 1))])

    def field_weights(self, levels: np.ndarray) -> np.ndarray:
        """Each pair's weight per field, in bits (0 where the field is missing)."""
        table = self.level_weights()
        width = table.shape[1]
        index = np.where(levels == MISSING, width - 1, levels).astype(np.int64)
        return table[np.arange(len(self.comparisons))[None, :], index]

    def prior_weight(self) -> float:
        """log2 of the prior odds that one given pair is a match."""
        return float(np.log2(self.pair_prior / (1 - self.pair_prior)))

    def posterior(
        self, bayes_bits: np.ndarray, left_rows: np.ndarray, right_rows: np.ndarray
    ) -> np.ndarray:
        """Each candidate pair's match probability given its rivals (module docstring)."""
        if len(bayes_bits) == 0:
            return np.zeros(0)
        shifted = np.clip(bayes_bits + np.log2(self.pair_prior), -1000, 1000)
        scale = max(float(shifted.max()), 0.0)
        odds = np.exp2(shifted - scale)  # λ·B, scaled by 2^-scale against overflow
        by_left = np.bincount(left_rows, weights=odds)[left_rows]
        by_right = np.bincount(right_rows, weights=odds)[right_rows]
        none = max(1 - self.matched_share, 1e-6) * np.exp2(-scale)
        total = none + by_left + by_right - odds
        return np.divide(odds, total, out=np.zeros_like(odds), where=total > 0)

    def describe(self) -> list[str]:
        """One line per field: each level with its m, u and weight (for the README/bench)."""
        lines = [
            f"pair prior {self.pair_prior:.3g}, records matched {self.matched_share:.3f}, "
            f"EM rounds {self.iterations}"
        ]
        weights = self.level_weights()
        for f, comparison in enumerate(self.comparisons):
            parts = [
                f"{name} m={self.m[f, lvl]:.3f} u={self.u[f, lvl]:.2g} w={weights[f, lvl]:+.1f}"
                for lvl, name in enumerate(comparison.levels)
            ]
            lines.append(f"{comparison.field}: " + "; ".join(parts))
        return lines


def starting_model(left: int, right: int, matched_share: float = 0.5) -> FellegiSunterModel:
    """The model before EM: the starting m and u of `COMPARISONS`, and `matched_share`
    of the smaller side matched."""
    width = max(len(c.levels) for c in COMPARISONS)
    m = np.zeros((len(COMPARISONS), width))
    u = np.zeros((len(COMPARISONS), width))
    for f, comparison in enumerate(COMPARISONS):
        m[f, : len(comparison.m)] = comparison.m
        u[f, : len(comparison.u)] = comparison.u
    pair_prior = _pair_prior(matched_share * min(left, right), left, right)
    return FellegiSunterModel(COMPARISONS, m, u, pair_prior, matched_share)


def _pair_prior(matches: float, left: int, right: int) -> float:
    return float(np.clip(matches / max(left * right, 1), 1e-12, 0.999))


def estimate(
    levels: np.ndarray,
    left_rows: np.ndarray,
    right_rows: np.ndarray,
    all_pairs: np.ndarray,
    start: FellegiSunterModel,
    *,
    pseudo_pairs: float = 20.0,
    max_iterations: int = 60,
    tolerance: float = 1e-6,
) -> FellegiSunterModel:
    """m, u and the match counts fitted by EM, from `start`.

    `levels` (pairs x fields) are those of the candidate pairs `left_rows x right_rows`,
    the only pairs that may match; `all_pairs` (fields x levels) counts how many of all
    left x right pairs fall in each level of each field. Each round gives every candidate
    its posterior; m is the posterior-weighted share of each level, u the share of the
    rest of all pairs (all-pairs counts less the expected matches).
    """
    if levels.shape[0] == 0:
        return start
    left, right = int(left_rows.max()) + 1, int(right_rows.max()) + 1
    smaller = min(left, right)
    # Pairs with the same levels on every field behave alike: weigh patterns, not pairs.
    patterns, inverse = _distinct_patterns(levels, start.m.shape[1])
    fields, width = patterns.shape[1], start.m.shape[1]
    present = patterns != MISSING
    cells = (np.arange(fields)[None, :] * width + np.where(present, patterns, 0))[present]
    model = start
    for iteration in range(1, max_iterations + 1):
        bits = model.field_weights(patterns).sum(axis=1)[inverse]
        posterior = model.posterior(bits, left_rows, right_rows)
        matched = np.bincount(inverse, weights=posterior, minlength=len(patterns))
        matched_cells = np.broadcast_to(matched[:, None], patterns.shape)[present]
        m_counts = np.bincount(cells, weights=matched_cells, minlength=fields * width)
        m_counts = m_counts.reshape(fields, width)
        u_counts = np.maximum(all_pairs - m_counts, 0.0)
        m = _normalised(m_counts + start.m * pseudo_pairs, start.m)
        u = _normalised(u_counts + start.u * pseudo_pairs, start.u)
        matches = posterior.sum()
        share = (matches + pseudo_pairs * start.matched_share) / (smaller + pseudo_pairs)
        share = float(np.clip(share, 1e-6, 1.0))
        change = max(np.abs(m - model.m).max(), abs(share - model.matched_share))
        model = replace(
            model,
            m=m,
            u=u,
            pair_prior=_pair_prior(share * smaller, left, right),
            matched_share=share,
            iterations=iteration,
        )
        if change < tolerance:
            break
    return model


def level_counts(levels: np.ndarray, width: int, scale: float = 1.0) -> np.ndarray:
    """How many rows of `levels` fall in each level of each field, times `scale`."""
    counts = np.zeros((levels.shape[1], width))
    for field in range(levels.shape[1]):
        column = levels[:, field]
        counts[field] = np.bincount(column[column != MISSING], minlength=width)[:width]
    return counts * scale


def _distinct_patterns(levels: np.ndarray, width: int) -> tuple[np.ndarray, np.ndarray]:
    """The distinct rows of `levels` (sorted) and, per row, the index of its pattern; via
    one integer code per row (a number in base width + 1, MISSING being digit 0)."""
    base = width + 1
    powers = base ** np.arange(levels.shape[1], dtype=np.int64)
    codes = (levels.astype(np.int64) + 1) @ powers
    distinct, inverse = np.unique(codes, return_inverse=True)
    digits = (distinct[:, None] // powers[None, :]) % base - 1
    return digits.astype(np.int8), inverse.ravel()


def _normalised(counts: np.ndarray, shape_of: np.ndarray) -> np.ndarray:
    """Rows of `counts` scaled to sum to 1 over the levels each field has."""
    counts = np.where(shape_of > 0, counts, 0.0)
    return counts / counts.sum(axis=1, keepdims=True)
