"""Fellegi–Sunter weights learnt by expectation–maximisation on the candidate pairs.

Every candidate pair is either a match or not; given which, its fields' comparison
levels are taken as independent, with probability m (match) or u (non-match) per level.
EM alternates the posterior match probability of each pair with re-estimating m, u and
the share of matches, as splink and recordlinkage's ECM do. The starting values act as a
prior of `pseudo_pairs` pairs' worth, so a handful of pairs cannot talk the model into
anything, while thousands speak for themselves. Weights are log2 Bayes factors (bits).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from matcher.masters.comparisons import COMPARISONS, MISSING, Comparison

_FLOOR = 1e-6


@dataclass(frozen=True)
class FellegiSunterModel:
    """Estimated m and u per field and level (rows padded with 0), and the match share."""

    comparisons: tuple[Comparison, ...]
    m: np.ndarray
    u: np.ndarray
    match_share: float
    iterations: int

    def level_weights(self) -> np.ndarray:
        """log2(m/u) per field and level, with a last column of 0 for MISSING."""
        ratio = np.log2(np.maximum(self.m, _FLOOR) / np.maximum(self.u, _FLOOR))
        ratio[self.m == 0] = 0.0
        return np.hstack([ratio, np.zeros((len(self.comparisons), 1))])

    def field_weights(self, levels: np.ndarray) -> np.ndarray:
        """Each pair's weight per field, in bits (0 where the field is missing)."""
        table = self.level_weights()
        width = table.shape[1]
        index = np.where(levels == MISSING, width - 1, levels).astype(np.int64)
        return table[np.arange(len(self.comparisons))[None, :], index]

    def prior_weight(self) -> float:
        """log2 of the prior odds that a candidate pair is a match."""
        return float(np.log2(self.match_share / (1 - self.match_share)))

    def describe(self) -> list[str]:
        """One line per field: each level with its m, u and weight (for the README/bench)."""
        lines = [f"match share among candidate pairs {self.match_share:.4g}"]
        weights = self.level_weights()
        for f, comparison in enumerate(self.comparisons):
            parts = [
                f"{name} m={self.m[f, lvl]:.3f} u={self.u[f, lvl]:.4f} w={weights[f, lvl]:+.1f}"
                for lvl, name in enumerate(comparison.levels)
            ]
            lines.append(f"{comparison.field}: " + "; ".join(parts))
        return lines


def starting_model(match_share: float) -> FellegiSunterModel:
    """The model before EM: the starting m and u of `COMPARISONS`."""
    return FellegiSunterModel(COMPARISONS, *_tables(COMPARISONS), match_share, 0)


def estimate(
    levels: np.ndarray,
    start: FellegiSunterModel,
    *,
    pseudo_pairs: float = 20.0,
    max_iterations: int = 60,
    tolerance: float = 1e-5,
) -> FellegiSunterModel:
    """m, u and match share fitted by EM to `levels` (pairs x fields), from `start`."""
    fields = len(start.comparisons)
    width = start.m.shape[1]
    if levels.shape[0] == 0:
        return start
    present = levels != MISSING
    flat = (np.arange(fields)[None, :] * width + np.where(present, levels, 0))[present]
    field_of = np.nonzero(present)[1]
    m_prior, u_prior = start.m * pseudo_pairs, start.u * pseudo_pairs
    share_prior = start.match_share
    model = start
    for iteration in range(1, max_iterations + 1):
        posterior = _posterior(model, levels)
        weights = np.broadcast_to(posterior[:, None], levels.shape)[present]
        m_counts = np.bincount(flat, weights=weights, minlength=fields * width)
        u_counts = np.bincount(flat, weights=1 - weights, minlength=fields * width)
        m = _normalised(m_counts.reshape(fields, width) + m_prior, start.m)
        u = _normalised(u_counts.reshape(fields, width) + u_prior, start.u)
        share = (posterior.sum() + pseudo_pairs * share_prior) / (len(posterior) + pseudo_pairs)
        share = float(np.clip(share, 1e-9, 0.999))
        change = max(np.abs(m - model.m).max(), np.abs(u - model.u).max())
        model = FellegiSunterModel(start.comparisons, m, u, share, iteration)
        if change < tolerance or field_of.size == 0:
            break
    return model


def _posterior(model: FellegiSunterModel, levels: np.ndarray) -> np.ndarray:
    bits = model.prior_weight() + model.field_weights(levels).sum(axis=1)
    return 1.0 / (1.0 + np.exp2(-np.clip(bits, -200, 200)))


def _normalised(counts: np.ndarray, shape_of: np.ndarray) -> np.ndarray:
    """Rows of `counts` scaled to sum to 1 over the levels each field has."""
    counts = np.where(shape_of > 0, counts, 0.0)
    return counts / counts.sum(axis=1, keepdims=True)


def _tables(comparisons: tuple[Comparison, ...]) -> tuple[np.ndarray, np.ndarray]:
    width = max(len(c.levels) for c in comparisons)
    m = np.zeros((len(comparisons), width))
    u = np.zeros((len(comparisons), width))
    for f, comparison in enumerate(comparisons):
        m[f, : len(comparison.m)] = comparison.m
        u[f, : len(comparison.u)] = comparison.u
    return m, u
