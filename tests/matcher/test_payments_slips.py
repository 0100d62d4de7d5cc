"""`exact_amount_slips` finds every typed number one slip from an invoice number of the
same amount, and nothing else: its joins on the numbers' shared ends against every pair
compared by `one_slip_apart`."""

from __future__ import annotations

import itertools

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from matcher.payments.slips import exact_amount_slips
from matcher.references import one_slip_apart

DIGITS = "0123456789"


def key(length: int) -> st.SearchStrategy[str]:
    """A number key: digits, no leading zero."""
    return st.tuples(
        st.sampled_from(DIGITS[1:]), st.text(DIGITS, min_size=length - 1, max_size=length - 1)
    ).map("".join)


@st.composite
def slipped(draw: st.DrawFn, number: str) -> str:
    """``number`` with one slip: a digit mistyped, two neighbours swapped, one dropped or
    one added, anywhere (a leading zero is cut, as a key has none)."""
    at = draw(st.integers(0, len(number) - 1))
    digit = draw(st.sampled_from(DIGITS))
    kind = draw(st.sampled_from(["mistyped", "swapped", "dropped", "added"]))
    if kind == "mistyped":
        out = number[:at] + digit + number[at + 1 :]
    elif kind == "swapped" and at < len(number) - 1:
        out = number[:at] + number[at + 1] + number[at] + number[at + 2 :]
    elif kind == "dropped":
        out = number[:at] + number[at + 1 :]
    else:
        out = number[:at] + digit + number[at:]
    return out.lstrip("0") or number


@st.composite
def books(draw: st.DrawFn) -> tuple[list[str], list[str]]:
    """Typed numbers of three to nine digits, and invoice numbers: slips of them, and
    others drawn apart."""
    typed = draw(st.lists(st.integers(3, 9).flatmap(key), min_size=1, max_size=6))
    slips = [draw(slipped(t)) for t in typed for _ in range(draw(st.integers(0, 3)))]
    others = draw(st.lists(st.integers(2, 10).flatmap(key), max_size=6))
    return typed, slips + others


def side(columns: list[str], keys: list[str]) -> pl.DataFrame:
    """One side as `exact_amount_slips` reads it: row numbers, currency 0 and 10.00 for
    every row, and ``keys`` (the columns' names: id, currency, cents, key)."""
    row, currency, cents, key = columns
    return pl.DataFrame(
        {row: range(len(keys)), currency: [0] * len(keys), cents: [1000] * len(keys), key: keys},
        schema={row: pl.UInt32, currency: pl.UInt32, cents: pl.Int64, key: pl.String},
    )


@settings(max_examples=300, deadline=None)
@given(books())
def test_every_number_one_slip_from_a_typed_one_is_found_and_no_other(
    book: tuple[list[str], list[str]],
) -> None:
    typed, numbers = book
    pays = side(["pay", "p_cur", "cents", "ref_longest"], typed)
    invs = side(["inv", "i_cur", "cents", "num_key"], numbers)
    found = exact_amount_slips(pays, invs)
    every = list(itertools.product(range(len(typed)), range(len(numbers))))
    apart = one_slip_apart(
        pl.Series([typed[p] for p, _ in every], dtype=pl.String),
        pl.Series([numbers[i] for _, i in every], dtype=pl.String),
    )
    expected = {pair for pair, one in zip(every, apart, strict=True) if one}
    assert set(zip(found["pay"], found["inv"], strict=True)) == expected


def test_an_invoice_of_another_amount_or_currency_is_not_a_slip() -> None:
    pays = pl.DataFrame(
        {"pay": [0], "p_cur": [0], "cents": [1000], "ref_longest": ["214597"]},
        schema_overrides={"pay": pl.UInt32, "p_cur": pl.UInt32},
    )
    invs = pl.DataFrame(
        {
            "inv": [0, 1, 2],
            "i_cur": [0, 1, 0],
            "cents": [1000, 1000, 1001],
            "num_key": ["214579", "214579", "214579"],
        },
        schema_overrides={"inv": pl.UInt32, "i_cur": pl.UInt32},
    )
    found = exact_amount_slips(pays, invs)
    assert found.select("pay", "inv", "typed").rows() == [(0, 0, "214597")]
