"""Counterparties and currencies become integer codes the payment and invoice frames
share (`matcher.payments.inputs.shared_codes`): found by hash, exact whatever the hashes."""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl
from hypothesis import given
from hypothesis import strategies as st

from matcher.payments.inputs import first_appearance_codes, shared_codes

names = st.lists(st.one_of(st.none(), st.sampled_from(["ACME", "acme", "Bolt", "", "Čapek"])))


def by_enum(columns: Sequence[Sequence[str | None]]) -> list[list[int | None]]:
    """The codes as an enum of the values in order of first appearance gives them."""
    order = list(dict.fromkeys(v for column in columns for v in column if v is not None))
    return [[None if v is None else order.index(v) for v in column] for column in columns]


@given(st.lists(names, min_size=1, max_size=3))
def test_equal_names_share_a_code_numbered_as_they_first_appear(
    columns: list[list[str | None]],
) -> None:
    series = [pl.Series(f"c{i}", column, dtype=pl.String) for i, column in enumerate(columns)]
    coded = shared_codes(series)
    assert [c.name for c in coded] == [s.name for s in series]
    assert all(c.dtype == pl.UInt32 for c in coded)
    assert [c.to_list() for c in coded] == by_enum(columns)


@given(st.lists(st.sampled_from(["ACME", "Bolt", "Cog", "Dent"]), min_size=1))
def test_names_sharing_a_hash_still_get_codes_of_their_own(values: list[str]) -> None:
    series = pl.Series(values)
    # Every name hashed alike, or two of them: the codes must still tell them apart.
    for hashed in (
        pl.Series([0] * len(values), dtype=pl.UInt64),
        pl.Series([int(v in ("ACME", "Cog")) for v in values], dtype=pl.UInt64),
    ):
        assert first_appearance_codes(series, hashed).to_list() == by_enum([values])[0]
