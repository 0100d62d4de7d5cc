"""Counting over integer arrays with numpy, where polars would hash millions of groups:
how often each value occurs, and where each run of a run-length layout starts and each
row sits in its run. Rows grouped in runs (a payer's items one after another, a group's
members) are counted and numbered in one pass, not grouped by key (`runs_of`)."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import polars as pl


def occurrences(values: np.ndarray) -> np.ndarray:
    """How many times each of ``values`` (integers in a narrow range, e.g. row numbers or
    run ids) occurs among them."""
    if values.size == 0:
        return np.zeros(0, dtype=np.int64)
    shifted = values.astype(np.int64) - int(values.min())
    return np.bincount(shifted)[shifted]


def run_starts(lengths: np.ndarray) -> np.ndarray:
    """The row each run starts at, rows laid out as runs of these ``lengths`` in order."""
    ends = np.cumsum(lengths, dtype=np.int64)
    return ends - lengths


def positions_in_runs(lengths: np.ndarray) -> np.ndarray:
    """Each row's position in its run (0 for the first), for runs of these ``lengths``."""
    lengths = np.asarray(lengths, dtype=np.int64)
    return np.arange(int(lengths.sum()), dtype=np.int64) - np.repeat(run_starts(lengths), lengths)


class Runs(NamedTuple):
    """Rows sorted by a key, as runs of equal keys: each row's run (``of_row``), each
    run's length (``length``) and first row (``begin``), and ``keys``: each run's key (a
    column named as the key's series) beside its number (``pid``)."""

    of_row: np.ndarray
    length: np.ndarray
    begin: np.ndarray
    keys: pl.DataFrame


def runs_of(key: pl.Series) -> Runs:
    """The runs of equal values of ``key`` (rows sorted by it): a payer's items, say."""
    of_row = key.rle_id().cast(pl.Int64).to_numpy()
    count = np.bincount(of_row).astype(np.int64)
    begin = run_starts(count)
    keys = pl.DataFrame({key.name: key.gather(begin), "pid": np.arange(count.size, dtype=np.int64)})
    return Runs(of_row, count, begin, keys)
