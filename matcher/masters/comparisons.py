"""Comparison levels: how closely two records agree on each field, as a small integer.

Each `Comparison` names its levels from "disagrees" (0) up to "the same", with the
starting match (m) and non-match (u) probabilities of each level; Fellegi–Sunter EM
re-estimates both on the data at hand. A field missing on either side gets level -1
and says nothing. The starting values restate the former hand-set weights as
probabilities over all left x right pairs: the same order of levels, agreement rare
among non-matches (u) and usual among matches (m); EM then replaces them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import polars as pl
from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA, JaroWinkler

MISSING = -1
"""The level of a field absent on either side of a pair."""


@dataclass(frozen=True)
class Comparison:
    """One field's levels, worst first, and their starting m and u probabilities."""

    field: str
    levels: tuple[str, ...]
    m: tuple[float, ...]
    u: tuple[float, ...]


COMPARISONS: tuple[Comparison, ...] = (
    Comparison("name", ("numbers differ", "differs", "similar 0.65", "similar 0.8",
                        "similar 0.9", "two slips", "same"),
               m=(0.001, 0.02, 0.04, 0.08, 0.08, 0.18, 0.60),
               u=(0.05, 0.80, 0.12, 0.025, 0.004, 0.0005, 0.0005)),
    Comparison("tax", ("differs", "one slip", "same"), m=(0.04, 0.04, 0.92),
               u=(0.9989, 0.001, 0.0001)),
    Comparison("email", ("differs", "same domain", "same"), m=(0.05, 0.25, 0.70),
               u=(0.998, 0.0015, 0.0005)),
    Comparison("phone", ("differs", "one slip", "same"), m=(0.15, 0.03, 0.82),
               u=(0.998, 0.0015, 0.0005)),
    Comparison("postcode", ("differs", "near", "same"), m=(0.04, 0.06, 0.90),
               u=(0.95, 0.045, 0.005)),
    Comparison("address", ("differs", "similar 0.6", "similar 0.8", "similar 0.95"),
               m=(0.05, 0.05, 0.15, 0.75), u=(0.90, 0.09, 0.009, 0.001)),
    Comparison("city", ("differs", "similar", "same"), m=(0.05, 0.05, 0.90),
               u=(0.90, 0.02, 0.08)),
    Comparison("code", ("differs", "one slip", "same"), m=(0.30, 0.05, 0.65),
               u=(0.998, 0.0015, 0.0005)),
    Comparison("birth_date", ("differs", "one slip", "same"), m=(0.04, 0.06, 0.90),
               u=(0.9985, 0.0014, 0.0001)),
)  # fmt: skip
"""The fields `link_masters` compares, in the order of its weight columns."""


def comparison_levels(pairs: pl.DataFrame, name_similarity: np.ndarray) -> np.ndarray:
    """An `int8` matrix: one row per pair, one column per `COMPARISONS` field.

    `pairs` holds the prepared fields of the left record (`name`, `email` ...) and of the
    right record (`name_r`, `email_r` ...); `name_similarity` is theirs from
    `name_similarity`.
    """
    levels = np.full((pairs.height, len(COMPARISONS)), MISSING, dtype=np.int8)
    for column, comparison in enumerate(COMPARISONS):
        if comparison.field == "name":
            levels[:, column] = _name_levels(pairs, name_similarity)
        else:
            levels[:, column] = _LEVELS[comparison.field](pairs)
    return levels


def name_similarity(pairs: pl.DataFrame) -> np.ndarray:
    """The best similarity in [0, 1] of any form of the left name to any of the right's."""
    best = _similarity(pairs["name"], pairs["name_r"])
    for left, right in (("trading", "name_r"), ("name", "trading_r"), ("trading", "trading_r"),
                        ("owner", "name_r"), ("name", "owner_r")):  # fmt: skip
        both = ((pairs[left] != "") & (pairs[right] != "")).to_numpy()
        if both.any():
            subset = pairs.filter(pl.Series(both))
            best[both] = np.maximum(best[both], _similarity(subset[left], subset[right]))
    return best


def _similarity(left: pl.Series, right: pl.Series) -> np.ndarray:
    """Edit similarity, forgiving word order (given and family name swapped)."""
    a, b = left.to_list(), right.to_list()
    return (
        np.maximum(
            process.cpdist(a, b, scorer=fuzz.ratio, workers=-1),
            process.cpdist(a, b, scorer=fuzz.token_sort_ratio, workers=-1),
        )
        / 100.0
    )


def _present(pairs: pl.DataFrame, column: str) -> np.ndarray:
    return ((pairs[column] != "") & (pairs[f"{column}_r"] != "")).to_numpy()


def _same(pairs: pl.DataFrame, column: str) -> np.ndarray:
    return (pairs[column] == pairs[f"{column}_r"]).to_numpy()


def _slips(pairs: pl.DataFrame, column: str) -> np.ndarray:
    """Optimal-string-alignment distance: one typo, dropped or swapped character is 1
    (0 where equal; computed only where both sides hold differing values)."""
    differ = _present(pairs, column) & ~_same(pairs, column)
    distance = np.zeros(pairs.height, dtype=np.int64)
    if differ.any():
        subset = pairs.select(column, f"{column}_r").filter(pl.Series(differ))
        distance[differ] = process.cpdist(
            subset[column].to_list(), subset[f"{column}_r"].to_list(), scorer=OSA.distance,
            workers=-1,
        )  # fmt: skip
    return distance


def _graded(present: np.ndarray, grades: list[np.ndarray]) -> np.ndarray:
    """Level = how many of `grades` (each a stricter test) hold; MISSING where absent."""
    level = np.sum(grades, axis=0, dtype=np.int8) if grades else np.zeros(len(present), np.int8)
    return np.where(present, level, MISSING).astype(np.int8)


def _name_levels(pairs: pl.DataFrame, similarity: np.ndarray) -> np.ndarray:
    """The numbers in the names differ (Unit 4 and Unit 5, 160cm and 180cm); else similar
    at 0.65, 0.8, 0.9; at least 0.9 and at most two typos apart; the same."""
    numbers_agree = ~_present(pairs, "numbers") | _same(pairs, "numbers")
    exact = _same(pairs, "name") | (similarity >= 1.0)
    close = similarity >= 0.9
    slipped = close.copy()
    slipped[close] = _slips(pairs.filter(pl.Series(close)), "name") <= 2
    grades = [similarity >= 0.65, similarity >= 0.8, close, slipped | exact, exact]
    levels = np.where(numbers_agree, 1 + np.sum(grades, axis=0, dtype=np.int8), 0)
    return np.where(_present(pairs, "name"), levels, MISSING).astype(np.int8)


def _one_slip_levels(column: str) -> Callable[[pl.DataFrame], np.ndarray]:
    def levels(pairs: pl.DataFrame) -> np.ndarray:
        same = _same(pairs, column)
        return _graded(_present(pairs, column), [same | (_slips(pairs, column) <= 1), same])

    return levels


def _birth_date_levels(pairs: pl.DataFrame) -> np.ndarray:
    """Same date; one slip or day and month swapped (YYYYMMDD vs YYYYDDMM); differs."""
    left, right = pairs["birth_date"], pairs["birth_date_r"]
    swapped = left.str.slice(0, 4) + left.str.slice(6, 2) + left.str.slice(4, 2)
    same = _same(pairs, "birth_date")
    near = same | (_slips(pairs, "birth_date") <= 1) | (swapped == right).to_numpy()
    return _graded(_present(pairs, "birth_date"), [near, same])


def _email_levels(pairs: pl.DataFrame) -> np.ndarray:
    """Same address; same business domain; different business domains. Two different
    addresses at free-mail domains say nothing."""
    same = _same(pairs, "email") & _present(pairs, "email")
    domains = _present(pairs, "domain")
    same_domain = domains & _same(pairs, "domain")
    level = np.where(same, 2, np.where(same_domain, 1, 0)).astype(np.int8)
    return np.where(same | domains, level, MISSING).astype(np.int8)


def _postcode_levels(pairs: pl.DataFrame) -> np.ndarray:
    same = _same(pairs, "postcode")
    near = same | _same(pairs, "district") | (_slips(pairs, "postcode") <= 1)
    return _graded(_present(pairs, "postcode"), [near, same])


def _address_levels(pairs: pl.DataFrame) -> np.ndarray:
    present = _present(pairs, "address")
    similarity = np.zeros(pairs.height)
    if present.any():
        subset = pairs.select("address", "address_r").filter(pl.Series(present))
        similarity[present] = _similarity(subset["address"], subset["address_r"])
    grades = [similarity >= 0.6, similarity >= 0.8, similarity >= 0.95]
    return _graded(_present(pairs, "address"), grades)


def _city_levels(pairs: pl.DataFrame) -> np.ndarray:
    same = _same(pairs, "city")
    differ = _present(pairs, "city") & ~same
    similar = same.copy()
    if differ.any():
        subset = pairs.select("city", "city_r").filter(pl.Series(differ))
        similar[differ] = (
            process.cpdist(
                subset["city"].to_list(),
                subset["city_r"].to_list(),
                scorer=JaroWinkler.normalized_similarity,
                workers=-1,
            )
            >= 0.88
        )
    return _graded(_present(pairs, "city"), [similar, same])


_LEVELS: dict[str, Callable[[pl.DataFrame], np.ndarray]] = {
    "tax": _one_slip_levels("tax"),
    "email": _email_levels,
    "phone": _one_slip_levels("phone"),
    "postcode": _postcode_levels,
    "address": _address_levels,
    "city": _city_levels,
    "code": _one_slip_levels("code"),
    "birth_date": _birth_date_levels,
}
