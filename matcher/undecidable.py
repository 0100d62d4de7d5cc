"""Which missed payments the data cannot decide: for reading a matcher's misses on labelled
data, not for matching.

A payment whose reference names none of its invoices, and which pays exactly their total,
is told from its invoices by amount alone. When another set of as many of its payer's
invoices, each open on the payment's day, sums to the same amount, the payment, its
amount and its date fit both sets alike: no rule can tell which it paid, and a person
would need the customer's remittance advice. `undecidable_misses` finds such payments
among those a result missed, by swapping one or two of the true invoices for as many
others (so it finds fewer than there are: a swap of three is not looked for).
"""

from __future__ import annotations

import numpy as np
import polars as pl

from matcher.payments.inputs import cents
from matcher.references import number_key, reference_numbers

_KEYS = ["payment_id", "invoice_id"]


def undecidable_misses(
    result: pl.DataFrame, payments: pl.DataFrame, invoices: pl.DataFrame, truth: pl.DataFrame
) -> pl.DataFrame:
    """``payment_id`` of the payments with a true pair missing from ``result`` that the
    data cannot decide (see the module doc).

    ``payments`` and ``invoices`` are `match_payments`' inputs (``parent_counterparty_id``
    optional: a parent's payment may pay its subsidiaries' invoices); ``truth`` holds
    every true (``payment_id``, ``invoice_id``) pair, with ``review`` where some are set
    aside. An invoice is open on a day when it was issued by then and no payment made
    before that day settles it (by ``truth``). Only payments in the invoices' currency
    are read: a converted amount never matches exactly."""
    true_pairs = truth.filter(~pl.col("review")) if "review" in truth.columns else truth
    missed = true_pairs.select(_KEYS).join(result.select(_KEYS), on=_KEYS, how="anti")
    pays = payments.select(
        "payment_id",
        pl.col("counterparty_id").cast(pl.String).alias("payer"),
        pl.col("currency").cast(pl.String),
        pl.col("date").cast(pl.Int32).alias("day"),
        cents(payments, "amount").alias("paid"),
        reference_numbers(pl.col("reference").cast(pl.String)).alias("named"),
    )
    parent = (
        pl.col("parent_counterparty_id")
        if "parent_counterparty_id" in invoices.columns
        else pl.lit(None, dtype=pl.String)
    )
    invs = invoices.select(
        "invoice_id",
        pl.col("counterparty_id").cast(pl.String),
        parent.cast(pl.String).alias("parent"),
        pl.col("currency").cast(pl.String),
        pl.col("issue_date").cast(pl.Int32).alias("issued"),
        cents(invoices, "amount_open").alias("owed"),
        number_key(pl.col("number").cast(pl.String)).alias("number"),
    )
    settled = (
        truth.join(pays.select("payment_id", "day"), on="payment_id")
        .group_by("invoice_id")
        .agg(pl.col("day").min().alias("settled"))
    )
    invs = invs.join(settled, on="invoice_id", how="left").with_columns(
        pl.col("settled").fill_null(np.iinfo(np.int32).max)
    )
    asked = (
        true_pairs.join(missed.select("payment_id").unique(), on="payment_id")
        .join(invs, on="invoice_id")
        .group_by("payment_id")
        .agg(
            "invoice_id",
            "number",
            pl.col("owed").sum().alias("total"),
            pl.col("currency").n_unique().alias("currencies"),
            pl.col("currency").first().alias("owed_in"),
        )
        .join(pays, on="payment_id")
        .filter(
            (pl.col("paid") == pl.col("total"))
            & (pl.col("currencies") == 1)
            & (pl.col("owed_in") == pl.col("currency"))
            & pl.col("payer").is_not_null()
            & pl.col("named").list.set_intersection(pl.col("number")).list.len().eq(0)
        )
        .sort("payment_id")
    )
    # Each payer's invoices: its own and, for a parent, its subsidiaries'.
    owned = pl.concat(
        [
            invs.with_columns(pl.col("counterparty_id").alias("owner")),
            invs.filter(pl.col("parent").is_not_null()).with_columns(
                pl.col("parent").alias("owner")
            ),
        ]
    ).join(asked.select(pl.col("payer").alias("owner")).unique(), on="owner")
    by_owner = owned.partition_by("owner", as_dict=True)
    undecided = []
    for payment in asked.iter_rows(named=True):
        pool = by_owner.get((payment["payer"],))
        if pool is None:
            continue
        pool = pool.filter(
            (pl.col("currency") == payment["currency"])
            & (pl.col("issued") <= payment["day"])
            & (pl.col("settled") >= payment["day"])
        )
        paid_ids = pl.Series(payment["invoice_id"], dtype=pl.String)
        own = pool.filter(pl.col("invoice_id").is_in(paid_ids.implode()))["owed"].to_list()
        others = np.sort(pool.filter(~pl.col("invoice_id").is_in(paid_ids.implode()))["owed"])
        if _swappable(own, others):
            undecided.append(payment["payment_id"])
    return pl.DataFrame({"payment_id": undecided}, schema={"payment_id": pl.String})


def _swappable(own: list[int], others: np.ndarray) -> bool:
    """Whether one of ``own`` equals one of ``others`` (sorted), or two of ``own`` sum to
    what two of ``others`` do."""
    if others.size == 0:
        return False
    for amount in own:
        at = np.searchsorted(others, amount)
        if at < others.size and others[at] == amount:
            return True
    for i, first in enumerate(own):
        for second in own[i + 1 :]:
            wanted = first + second - others
            count = np.searchsorted(others, wanted, "right") - np.searchsorted(others, wanted)
            # An item cannot pair with itself: it counts once less where it is its own half.
            if np.any(count - (wanted == others) > 0):
                return True
    return False
