"""Reading invoice numbers out of free-text references: the polars expressions of
`matcher.references` against the rules their docstrings state, read one reference at a
time in plain Python (digit runs and each space-separated word's digits, leading zeros
removed, other documents' numbers left out, first eight distinct; the longest run)."""

from __future__ import annotations

import re

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from matcher.references import (
    MAX_REFERENCE_NUMBERS,
    longest_reference_number,
    reference_numbers,
)

# Purchase orders, credit notes, chargebacks, debit notes, claims and promotions.
DOCUMENTS = [
    r"P\.?\s?/?O\.?",
    r"CREDIT\s+NOTE",
    r"LESS\s+CREDIT",
    r"C\.?/?N\.?",
    r"CHARGE\s?BACK",
    r"C\.?/?B\.?",
    r"DEBIT\s+NOTE",
    r"D\.?/?N\.?",
    "CLAIM",
    "DEDN",
    "DEDUCTION",
    "PROMO",
]
OTHER_DOCUMENT = re.compile(r"(?i)\b(?:" + "|".join(DOCUMENTS) + r")\s*(?:NO\.?|#)?\s*[-:]?\s*\d+")

# What references are made of, with zeros, a digit of another script and the letters and
# marks of other documents' numbers; no control characters (what counts as a space differs).
REFERENCES = st.lists(
    st.one_of(
        st.none(),
        st.text(alphabet="0123456789 -/#:.,INVPOCBDLESno\u0660\u0661\u0662", max_size=40),
        st.sampled_from(
            [
                "INV-0000042",
                "PO 67305",
                "P/O#4411",
                "SO-2026-0042",
                "000",
                " ",
                "LESS CREDIT 31838",
                "C/N 204",
                "LESS CB 78960",
                "DEDN PROMO 85042",
                "CREDIT 31838",
                "debit note no. 17",
            ]
        ),
    ),
    min_size=1,
    max_size=30,
)


def numbers_read(reference: str | None) -> list[str]:
    if reference is None:
        return []
    text = OTHER_DOCUMENT.sub(" ", reference)
    runs = re.findall(r"\d+", text)
    words = [re.sub(r"\D", "", word) for word in text.split(" ")]
    keys: list[str] = []
    for key in (number.lstrip("0") for number in runs + words):
        if key and key not in keys:
            keys.append(key)
    return keys[:MAX_REFERENCE_NUMBERS]


def longest_read(reference: str | None) -> str | None:
    if reference is None:
        return None
    runs = re.findall(r"\d+", OTHER_DOCUMENT.sub(" ", reference))
    return max(runs, key=len).lstrip("0") if runs else None


@settings(max_examples=300, deadline=None)
@given(REFERENCES)
def test_numbers_and_longest_run_are_read_as_the_rules_say(references: list[str | None]) -> None:
    frame = pl.DataFrame({"reference": references}, schema={"reference": pl.String})
    read = frame.select(
        reference_numbers(pl.col("reference")).alias("numbers"),
        longest_reference_number(pl.col("reference")).alias("longest"),
    )
    assert read["numbers"].to_list() == [numbers_read(r) for r in references]
    assert read["longest"].to_list() == [longest_read(r) for r in references]


def test_examples_of_the_docstrings() -> None:
    frame = pl.DataFrame(
        {
            "reference": [
                "Inv 42 / 43",
                "BACS 2610 REF SO-2026-0042",
                "PO 67305 INV-0000042",
                "INV-0000042 LESS CREDIT 31838",
                "INV-0000042 LESS CB 78960",
                "INV-0000042 DEDN PROMO 85042",
                "GIRO CREDIT 0000042",
            ]
        }
    )
    read = frame.select(reference_numbers(pl.col("reference")))["reference"].to_list()
    assert read == [
        ["42", "43"],
        ["2610", "2026", "42", "20260042"],
        ["42"],
        ["42"],
        ["42"],
        ["42"],
        ["42"],
    ]
