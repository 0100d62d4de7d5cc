"""Mistyped invoice numbers: a reference number one slip (a digit mistyped, two swapped,
one dropped or added) from one of the payer's invoice numbers, found through shared
one-deletion variants; from an invoice number of exactly the amount paid, found through
the digits at either end the two share; and the mark on pairs whose reference is one
slip from the invoice's number."""

from __future__ import annotations

import numpy as np
import polars as pl

from matcher.payments.amount_pairs import payer_invoices
from matcher.payments.config import AMOUNT_ONLY_FANOUT
from matcher.payments.packing import packing_of
from matcher.references import one_slip_apart


def mistyped_reference_pairs(
    pays: pl.DataFrame, invs: pl.DataFrame, by_reference: pl.DataFrame
) -> pl.DataFrame:
    """(pay, inv) of the same payer whose numbers are one slip apart, for every number of
    a reference that names none of that payer's invoices: a partial payment with a
    mistyped number, or a remittance listing several invoices with slips in some.
    Candidates share a one-deletion variant of their keys (which every substitution and
    transposition does); those one slip apart are marked ``slip``, with the number
    ``typed``. A payer not identified whose reference holds several numbers is taken to
    be each group (a customer, or a parent and its subsidiaries) of which it names the
    most invoices, ties included, for this search alone (`_named_group`)."""
    payer = payer_invoices(invs).select("inv", "cp", "num_key")
    guessed = _named_group(pays, invs, by_reference)
    # Only the columns read below: the frames are filtered and joined several times.
    read = ["pay", "p_cp", "ref_numbers", "ref_longest"]
    known = pl.concat(
        [
            pays.select(read)
            .filter(pl.col("p_cp").is_not_null())
            .with_columns(pl.lit(False).alias("guess")),
            pays.select(read)
            .join(guessed, on="pay")
            .with_columns(pl.col("cp").alias("p_cp"), pl.lit(True).alias("guess"))
            .select(*read, "guess"),
        ]
    )
    # ``inv`` is a row number: the invoice's own and parent counterparties are gathered
    # and compared, as `payer_invoices` would pair them, not joined on (inv, cp).
    named = by_reference.join(known.select("pay", pl.col("p_cp").alias("cp")), on="pay")
    owner = invs.select("i_cp", "i_parent", pl.col("num_key").alias("key")).gather(named["inv"])
    named = (
        named.hstack(owner)
        .filter((pl.col("cp") == pl.col("i_cp")) | (pl.col("cp") == pl.col("i_parent")))
        .select("pay", "cp", "key")
    )
    # A reference naming some of the payer's invoices: its other numbers may be slips;
    # one naming none: its longest number may be, and its other numbers only as part of
    # a group (alone they are more likely bank noise): ``alone`` says which. A guessed
    # payer's slips count only as part of a group.
    # ``pay`` is a row number: which payments name some is a flag per row, not a join of
    # every payment (and its list of numbers) on the named ones.
    names_some = np.zeros(pays.height, dtype=bool)
    names_some[named["pay"].to_numpy()] = True
    some_of = pl.Series(names_some[known["pay"].to_numpy()])
    some, none = known.filter(some_of), known.filter(~some_of)
    typed = (
        pl.concat(
            [
                some.select(
                    "pay",
                    pl.col("p_cp").alias("cp"),
                    pl.col("ref_numbers").alias("key"),
                    (~pl.col("guess")).alias("alone"),
                ).explode("key"),
                none.select(
                    "pay",
                    pl.col("p_cp").alias("cp"),
                    pl.col("ref_numbers").alias("key"),
                    "ref_longest",
                )
                .explode("key")
                .select(
                    "pay", "cp", "key", (pl.col("key") == pl.col("ref_longest")).alias("alone")
                ),
            ]
        )
        .filter(pl.col("key").str.len_chars() >= 3)
        # A number naming an invoice of another group guessed for the same payer may be
        # a slip of one of this group's: it is looked for here too.
        .join(named, on=["pay", "cp", "key"], how="anti")
        .unique(["pay", "cp", "key"], keep="first", maintain_order=True)
    )
    numbers = payer.filter(pl.col("num_key").str.len_chars() >= 3).select(
        "inv", "cp", pl.col("num_key").alias("key")
    )
    return _one_slip_pairs(typed, numbers)


def _one_slip_pairs(typed: pl.DataFrame, numbers: pl.DataFrame) -> pl.DataFrame:
    """(pay, inv, ``via_ref`` false, ``slip`` true, ``typed``, ``alone``) of each typed
    number (``pay``, ``cp``, ``key``, ``alone``) one slip from a number (``inv``, ``cp``,
    ``key``) of the same ``cp``, found through the deletion variants they share."""
    # One slip apart means the same length (a digit mistyped, two swapped), one more (a
    # digit dropped) or one less (a digit added), as `one_slip_apart` reads it: only the
    # payer's numbers of such a length can meet a typed one.
    length = pl.col("key").str.len_chars().cast(pl.Int64).alias("length")
    typed_lengths = typed.select("cp", length)
    reachable = pl.concat(
        [typed_lengths.with_columns(pl.col("length") + step) for step in (-1, 0, 1)]
    ).unique()
    numbers = (
        numbers.with_columns(length).join(reachable, on=["cp", "length"], how="semi").drop("length")
    )
    # A typed number two digits longer than every number of the payers shares no variant
    # with any: left out, it cannot make the variants too long to be integers.
    longest = numbers.select(pl.col("key").str.len_chars().max()).item() or 0
    typed = typed.filter(pl.col("key").str.len_chars() <= longest + 1)
    digits = all(
        bool(frame.select(pl.col("key").str.contains(DIGIT_KEY).all()).item())
        for frame in (typed, numbers)
    )
    # Variants carry the row numbers of their typed number and payer's number, not the
    # text: the pairs that share one gather both sides' columns afterwards.
    typed, numbers = typed.with_row_index("t"), numbers.with_row_index("n")
    shared = (
        _one_key(
            _deletion_variants(typed, "t", digits=digits),
            _deletion_variants(numbers, "n", digits=digits),
        )
        .select("t", "n")
        .unique()
    )
    near = pl.concat(
        [
            typed.select("pay", pl.col("key").alias("typed"), "alone").gather(shared["t"]),
            numbers.select("inv", "key").gather(shared["n"]),
        ],
        how="horizontal",
    )
    return (
        near.filter(one_slip_apart(near["typed"], near["key"]))
        .sort("pay", "inv", "alone", "typed", descending=[False, False, True, False])
        .select(_slip_rows())
        .unique(["pay", "inv"], keep="first", maintain_order=True)
    )


def _slip_rows(alone: pl.Expr | None = None) -> list[pl.Expr | str]:
    """The columns a pair found by a slip carries: ``pay``, ``inv``, ``via_ref`` false,
    ``slip`` true, the ``typed`` number and whether it counts ``alone`` (the frame's own
    column, unless given)."""
    return [
        "pay",
        "inv",
        pl.lit(False).alias("via_ref"),
        pl.lit(True).alias("slip"),
        "typed",
        pl.col("alone") if alone is None else alone.alias("alone"),
    ]


def common_amount_slips(pays: pl.DataFrame, invs: pl.DataFrame) -> pl.DataFrame:
    """As `_one_slip_pairs` gives them: a payer not identified and an invoice of exactly
    its amount, an amount too common for `unknown_payer_amount_pairs` (shared by more
    than `AMOUNT_ONLY_FANOUT` open invoices), whose number is one slip from the
    reference's longest number. A number mistyped onto another customer's invoice
    leaves the invoice it meant one slip away, of exactly the amount paid, however
    common that amount is."""
    unknown = pays.filter(pl.col("p_cp").is_null())
    return exact_amount_slips(unknown, invs.filter(pl.col("amount_peers") > AMOUNT_ONLY_FANOUT))


def exact_amount_slips(pays: pl.DataFrame, invs: pl.DataFrame) -> pl.DataFrame:
    """As `_one_slip_pairs` gives them: each of ``pays`` and each of ``invs`` of exactly
    its amount in its currency whose number is one slip from the reference's longest
    number (both of three characters or more). The amount (and currency) stands in for
    the payer.

    Numbers one slip apart share their first or their last ``_shared_width`` digits (a
    slip changes at most two neighbouring ones), so each typed number meets only the
    invoices of its amount that share either end with it, found by joins on (currency,
    amount, end): the work is the invoices of the amounts paid, once each, however many
    of them share an amount (at five million invoices, hundreds do), not every pair of
    them, nor every one-deletion variant of their numbers."""
    typed = pays.filter(pl.col("ref_longest").str.len_chars() >= 3).select(
        "pay", pl.col("p_cur").alias("cur"), "cents", pl.col("ref_longest").alias("typed")
    )
    numbers = (
        invs.filter(pl.col("num_key").str.len_chars() >= 3)
        .select("inv", pl.col("i_cur").alias("cur"), "cents", "num_key")
        .join(typed.select("cur", "cents").unique(), on=["cur", "cents"], how="semi")
    )
    typed = typed.with_columns(_shared_width(pl.col("typed")).alias("width"))
    near = pl.concat(
        [
            typed.filter(pl.col("width") == width)
            .with_columns(end(pl.col("typed"), width).alias("end"))
            .join(
                numbers.with_columns(end(pl.col("num_key"), width).alias("end")),
                on=["cur", "cents", "end"],
            )
            .select("pay", "inv", "typed", "num_key")
            # (one width at least, so that no typed numbers still make an empty frame)
            for width in typed["width"].unique().sort().to_list() or [1]
            for end in (_head, _tail)
        ],
        how="vertical",
    ).unique(["pay", "inv"])
    return (
        near.filter(one_slip_apart(near["typed"], near["num_key"]))
        .sort("pay", "inv")
        .select(_slip_rows(alone=pl.lit(True)))
    )


def _shared_width(typed: pl.Expr) -> pl.Expr:
    """How many digits at one end or the other a number one slip from ``typed`` surely
    shares with it: a mistyped digit, two swapped, one dropped or added leaves the digits
    before the slip and those after it as they were, and of ``n`` digits with two
    swapped, one end keeps (n - 1) // 2 (three of seven, one of three)."""
    return ((typed.str.len_chars() - 1) // 2).clip(lower_bound=1)


def _head(key: pl.Expr, width: int) -> pl.Expr:
    return key.str.head(width)


def _tail(key: pl.Expr, width: int) -> pl.Expr:
    return key.str.tail(width)


def _named_group(
    pays: pl.DataFrame, invs: pl.DataFrame, by_reference: pl.DataFrame
) -> pl.DataFrame:
    """``pay``, ``cp``: for a payer not identified whose reference holds several numbers,
    the groups (a parent and its subsidiaries, or one customer) of which it names the
    most invoices, as a clerk reads a remittance: the numbers naming other customers'
    invoices are then more likely slips. With one named each, every group named is
    tried: at a million invoices most slips hit some other customer's number, and only
    the readings whose invoices, all of one group, fit the amount make a candidate."""
    unknown = pays.filter(
        pl.col("p_cp").is_null() & (pl.col("ref_numbers").list.len() >= 2)
    ).select("pay")
    counts = (
        by_reference.join(unknown, on="pay")
        .join(invs.select("inv", pl.coalesce("i_parent", "i_cp").alias("cp")), on="inv")
        .group_by("pay", "cp")
        .len()
    )
    return counts.filter(pl.col("len") == pl.col("len").max().over("pay")).select("pay", "cp")


def _one_key(typed: pl.DataFrame, numbers: pl.DataFrame) -> pl.DataFrame:
    """The typed numbers' and the payers' numbers' variants joined on (``cp``,
    ``variant``): as one Int64 where integer variants times counterparties fit in one
    (a join on one column hashes far faster than on two, and the payers' numbers have
    millions of variants), else on both columns."""
    if typed.height and numbers.height and typed.schema["variant"].is_integer():
        packed = packing_of([typed, numbers], "cp", "variant")
        if packed is not None:
            key = packed(pl.col("cp"), pl.col("variant")).alias("key")
            return typed.select("t", key).join(numbers.select("n", key), on="key")
    return typed.join(numbers, on=["cp", "variant"])


DIGIT_KEY = r"^[0-9]{1,17}$"
"""Keys whose deletion variants `_deletion_variants` writes as integers (the largest,
10 ** 17 * 32 + 17, still fits in an Int64)."""


def _deletion_variants(frame: pl.DataFrame, idx: str, *, digits: bool = False) -> pl.DataFrame:
    """``idx``, ``cp`` and each ``key`` as it is and with one character removed, at every
    position (one row each, as ``variant``). Two keys one substitution or transposition
    apart share a variant with one character removed; a key one character short of
    another (a digit dropped, or a zero of the padding lost in a swap: "0000171" for
    "0001071") is itself a variant of the longer one.

    With ``digits`` (every key matches `DIGIT_KEY`) a variant is an integer, its digits
    times 32 plus its length (so "012" is not "12"): millions of them are computed and
    joined far faster than as strings, and two are equal exactly when the strings are.
    """
    if digits:
        return _digit_variants(frame, idx)
    at = pl.col("at")
    key = pl.col("key")
    variant = (
        pl.when(at < 0).then(key).otherwise(key.str.slice(0, at.clip(0)) + key.str.slice(at + 1))
    )
    return (
        frame.select(idx, "cp", "key")
        .with_columns(pl.int_ranges(-1, key.str.len_chars().cast(pl.Int64)).alias("at"))
        .explode("at")
        .select(idx, "cp", variant.alias("variant"))
    )


def _digit_variants(frame: pl.DataFrame, idx: str) -> pl.DataFrame:
    """`_deletion_variants` of keys that all match `DIGIT_KEY`, as integers: written in
    place into two arrays sized for all of them, keys of one length at a time (the
    powers of ten are then numbers, not arrays). At five million invoices these are tens
    of millions of variants, and fresh temporaries for each position cost more than the
    arithmetic."""
    value = frame["key"].str.to_integer().to_numpy().astype(np.int64)
    length = frame["key"].str.len_chars().to_numpy().astype(np.int64)
    rows = np.empty(int(length.sum()) + frame.height, dtype=np.int64)
    variant = np.empty_like(rows)
    written = 0
    for size in np.unique(length).tolist():
        of_size = np.flatnonzero(length == size)
        keys = value[of_size]
        for at in range(-1, size):
            into = variant[written : written + keys.size]
            rows[written : written + keys.size] = of_size
            if at < 0:
                np.multiply(keys, 32, out=into)
                into += size
            else:
                # The digits before position ``at`` shifted left over the digits after it.
                high, low = 10 ** (size - at), 10 ** (size - at - 1)
                np.floor_divide(keys, high, out=into)
                into *= low
                into += keys % low
                into *= 32
                into += size - 1
            written += keys.size
    cp = frame["cp"]
    return pl.DataFrame(
        {
            idx: frame[idx].to_numpy()[rows],
            # An invoice with no customer has a null ``cp``, which an array cannot hold.
            "cp": cp.gather(rows) if cp.has_nulls() else cp.to_numpy()[rows],
            "variant": variant,
        },
        schema={idx: frame.schema[idx], "cp": frame.schema["cp"], "variant": pl.Int64},
    )


def fuzzy_reference(pairs: pl.DataFrame) -> pl.DataFrame:
    """Mark pairs whose reference number is one slip away from the invoice number."""
    # Only these pairs are asked: the distance of the others (named, or slips found
    # before) is never read.
    open_question = (~pl.col("via_ref") & ~pl.col("slip")).fill_null(False)
    rows = pairs.select(open_question.arg_true().alias("row")).to_series()
    asked = pairs.select("ref_longest", "num_key").gather(rows)
    one_slip = np.zeros(pairs.height, dtype=bool)
    one_slip[rows.to_numpy()] = one_slip_apart(asked["ref_longest"], asked["num_key"])
    return pairs.with_columns(
        (~pl.col("via_ref") & (pl.Series(one_slip) | pl.col("slip"))).alias("ref_fuzzy")
    )
