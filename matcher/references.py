"""Reading invoice numbers out of payment references, as polars expressions.

A payment reference is free text typed by a person or a bank ("INV-0042 thanks",
"Inv 42", "0000042", "BACS 2610 REF SO-2026-0042"). An invoice number is reduced to a
*number key*: its digits with leading zeros removed ("INV-0000042" -> "42"). A reference
yields the number keys it might mean: every run of digits and every word's digits, each
without leading zeros. Joining the two on the key finds references inside free text.
"""

from __future__ import annotations

import numpy as np
import polars as pl
from rapidfuzz.distance import OSA
from rapidfuzz.process import cpdist

MAX_REFERENCE_NUMBERS = 8
"""At most this many candidate numbers are read from one reference (bank noise is long)."""


def normalised(text: pl.Expr) -> pl.Expr:
    """Upper case, letters and digits only: "inv-0042 " and "INV0042" agree."""
    return text.str.to_uppercase().str.replace_all(r"[^0-9A-Z]", "")


def number_key(number: pl.Expr) -> pl.Expr:
    """The key of an invoice number: all its digits, leading zeros removed (null if none)."""
    # One pass over the digits: a `when` on their length would compute them twice.
    return number.str.replace_all(r"\D", "").str.strip_chars_start("0").replace("", None)


def reference_numbers(reference: pl.Expr) -> pl.Expr:
    """Every number key a free-text reference might mean, as a list (empty when none).

    Digit runs ("Inv 42 / 43" -> 42, 43) and the digits of each space-separated word
    ("SO-2026-0042" -> 20260042) are both offered; the join with invoice keys decides.
    A number written as another document's (a purchase order "PO 67305", a credit note
    "LESS CREDIT 31838", a chargeback "CB 78960", a claim): `without_other_documents`.
    """
    reference = without_other_documents(reference)
    # A word's digits are the digit runs left once all else but the spaces is gone: the
    # runs, then the words' digits, are read out of one text, with a space between.
    words = reference.str.replace_all(r"[^\d ]", "")
    return (
        _keys(pl.concat_str([reference, words], separator=" "))
        .list.unique(maintain_order=True)
        .list.head(MAX_REFERENCE_NUMBERS)
        .fill_null(pl.lit([], dtype=pl.List(pl.String)))
    )


def _keys(text: pl.Expr) -> pl.Expr:
    """The number key of every digit run of ``text``: from its first digit other than a
    zero (a run of zeros has none). One regex over each text, where stripping each run
    would be an expression per list element, several times slower over millions."""
    return text.str.extract_all(r"[^\D0]\d*")


OTHER_DOCUMENT_NUMBER = (
    r"(?i)\b(?:P\.?\s?/?O\.?|CREDIT\s+NOTE|LESS\s+CREDIT|C\.?/?N\.?|CHARGE\s?BACK|C\.?/?B\.?"
    r"|DEBIT\s+NOTE|D\.?/?N\.?|CLAIM|DEDN|DEDUCTION|PROMO)\s*(?:NO\.?|#)?\s*[-:]?\s*\d+"
)
"""A number written as another document's, which names no invoice of ours: the
customer's purchase order ("PO 67305", "P/O#4411"), a credit note taken off the payment
("LESS CREDIT 31838", "C/N 204"), a chargeback or debit note ("LESS CB 78960", "DN 17"),
a claim or promotion deducted ("DEDN PROMO 85042"). A bare "CREDIT 123" is a bank's
wording as often as a credit note's, so "CREDIT" counts only as "CREDIT NOTE" or "LESS
CREDIT"."""


def without_other_documents(reference: pl.Expr) -> pl.Expr:
    """The reference with other documents' numbers (`OTHER_DOCUMENT_NUMBER`) removed."""
    return reference.str.replace_all(OTHER_DOCUMENT_NUMBER, " ")


def longest_reference_number(reference: pl.Expr) -> pl.Expr:
    """The longest digit run of a reference (the first of equals) without its leading
    zeros: what a typo lives in."""
    runs = without_other_documents(reference).str.extract_all(r"\d+")
    longest = runs.list.eval(pl.element().str.len_chars()).list.arg_max()
    return runs.list.get(longest, null_on_oob=True).str.strip_chars_start("0")


def one_slip_apart(typed: pl.Series, numbers: pl.Series) -> np.ndarray:
    """Whether each typed number is one slip (a digit mistyped, two swapped, one dropped
    or added) from its number: optimal string alignment distance 1, on keys of at least
    three digits, so that "0000024" for "0000042" counts and "7" for "8" does not."""
    length_gap = typed.str.len_chars().cast(pl.Int64) - numbers.str.len_chars().cast(pl.Int64)
    asked = (
        (typed.str.len_chars() >= 3)
        & (numbers.str.len_chars() >= 3)
        & (typed != numbers)
        & (length_gap.abs() <= 1)
    ).fill_null(False)
    rows = asked.arg_true().to_numpy()
    distance = cpdist(
        typed.gather(rows).to_list(),
        numbers.gather(rows).to_list(),
        scorer=OSA.distance,
        workers=-1,
    )
    apart = np.zeros(typed.len(), dtype=bool)
    apart[rows] = np.asarray(distance) == 1
    return apart
