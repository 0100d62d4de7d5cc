"""The numpy counting of `matcher.payments.counting` against the same counts in Python."""

from __future__ import annotations

from collections import Counter

import numpy as np
import polars as pl
from hypothesis import given
from hypothesis import strategies as st

from matcher.payments.counting import occurrences, positions_in_runs, run_starts, runs_of


@given(st.lists(st.integers(-50, 50), max_size=60))
def test_occurrences_count_each_value(values: list[int]) -> None:
    counts = Counter(values)
    assert occurrences(np.array(values, dtype=np.int64)).tolist() == [counts[v] for v in values]


@given(st.lists(st.integers(0, 6), max_size=30))
def test_runs_start_where_the_previous_end_and_number_their_rows(lengths: list[int]) -> None:
    starts, positions = [], []
    row = 0
    for length in lengths:
        starts.append(row)
        positions += list(range(length))
        row += length
    array = np.array(lengths, dtype=np.int64)
    assert run_starts(array).tolist() == starts
    assert positions_in_runs(array).tolist() == positions


@given(st.lists(st.sampled_from("abc"), max_size=30))
def test_runs_of_a_sorted_key_are_its_groups_of_equal_values(values: list[str]) -> None:
    key = pl.Series("payer", sorted(values))
    runs = runs_of(key)
    groups = sorted(Counter(values).items())
    assert runs.keys["payer"].to_list() == [value for value, _ in groups]
    assert runs.keys["pid"].to_list() == list(range(len(groups)))
    assert runs.length.tolist() == [count for _, count in groups]
    assert runs.begin.tolist() == run_starts(runs.length).tolist()
    assert runs.of_row.tolist() == [n for n, (_, count) in enumerate(groups) for _ in range(count)]
