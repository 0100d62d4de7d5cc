"""What the first pass left, for the searches over it (`subsets`, `oldest_items`):
untouched payments of known payers and invoices with a balance left, keyed by one payer
code (counterparty and currency), the day each balance opened (the last payment
allocated to its invoice), and the evidence of a group made of them.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from matcher.allocation import Allocations
from matcher.payments.amount_pairs import payer_code, payer_invoices
from matcher.payments.config import MatchConfig


def in_window(cfg: MatchConfig) -> pl.Expr:
    """Whether a member payment falls in its invoice's date window: from
    ``days_before_issue`` before its issue to ``days_after_due`` after its due date."""
    return pl.col("p_day").is_between(
        pl.col("issue_day") - cfg.days_before_issue, pl.col("due_day") + cfg.days_after_due
    )


def leftovers(
    pays: pl.DataFrame, invs: pl.DataFrame, untouched_pay: pl.Series, cap: int | None
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Untouched payments of known payers and invoices with a balance left (under their
    counterparty, and under their parent too), of the counterparties and currencies
    both sides have; with a ``cap``, only each payer's ``cap`` most recent per side.
    ``invs`` holds each invoice's ``remaining`` balance and its ``last_paid_day``
    (`last_paid_day`)."""
    # Counterparty and currency as one ``payer`` key: the joins and windows below then
    # hash one integer column, not two.
    known = pays.filter(untouched_pay & pays["p_cp"].is_not_null())
    lp = known.select(
        "pay",
        payer_code(pl.col("p_cp"), pl.col("p_cur")),
        "cents",
        "p_day",
        "ref_numbers",
        "names_own",
    )
    li = payer_invoices(invs.filter(pl.col("remaining") > 0)).select(
        "inv",
        payer_code(pl.col("cp"), pl.col("cur")),
        pl.col("remaining").alias("cents"),
        "issue_day",
        "due_day",
        "num_key",
        "last_paid_day",
    )
    shared = lp.select("payer").unique().join(li.select("payer").unique(), on="payer")
    lp = lp.join(shared, on="payer").sort("p_day", "pay", descending=True)
    li = li.join(shared, on="payer").sort("issue_day", "inv", descending=True)
    if cap is None:
        return lp, li
    return (
        lp.filter(pl.int_range(pl.len()).over("payer") < cap),
        li.filter(pl.int_range(pl.len()).over("payer") < cap),
    )


def group_evidence(
    groups: pl.DataFrame, lp: pl.DataFrame, li: pl.DataFrame, in_window: pl.Expr
) -> pl.DataFrame:
    """Per group: all in the date window, all named by reference, and tie-breakers. A
    group holding a payment whose reference names another of its payer's invoices than
    the group's is dropped: the payment said what it was for. So is a group of several
    invoices holding what is left of one partly paid by a later payment than the
    group's (``last_paid_day``): on the group's day that balance was not yet open, as a
    clerk working down the bank statement would see it, so it cannot be one of the
    invoices a payment settled along with others."""
    return (
        groups.select("group", "m_pay", "m_inv")
        .explode("m_pay", "m_inv")
        .join(
            lp.select(pl.col("pay").alias("m_pay"), "p_day", "ref_numbers", "names_own"),
            on="m_pay",
        )
        .join(
            # Once per invoice: ``li`` holds a subsidiary's invoice under its parent too,
            # and a member met twice would count twice in the sums.
            li.select(
                pl.col("inv").alias("m_inv"), "issue_day", "due_day", "num_key", "last_paid_day"
            ).unique("m_inv"),
            on="m_inv",
        )
        .with_columns(
            in_window.alias("in_window"),
            pl.col("ref_numbers").list.contains(pl.col("num_key")).fill_null(False).alias("ref"),
        )
        .group_by("group")
        .agg(
            (pl.col("names_own") & ~pl.col("ref")).any().alias("named_other"),
            (pl.col("last_paid_day") > pl.col("p_day")).any().alias("rest_not_yet_open"),
            (pl.col("m_inv").min() != pl.col("m_inv").max()).alias("several_invoices"),
            pl.col("in_window").all(),
            pl.col("ref").all().alias("all_ref"),
            pl.col("issue_day").max().alias("tb_newest"),
            pl.col("issue_day").cast(pl.Int64).sum().alias("tb_sum"),
            pl.col("p_day").min().alias("tb_pay_day"),
        )
        .filter(
            ~pl.col("named_other")
            & ~(pl.col("rest_not_yet_open").fill_null(False) & pl.col("several_invoices"))
        )
        .drop("named_other", "rest_not_yet_open", "several_invoices")
    )


NOT_PAID = np.iinfo(np.int32).min
"""`record_paid_days`' day of an invoice no payment was allocated to."""


def record_paid_days(paid_day: np.ndarray, payment_day: np.ndarray, done: Allocations) -> None:
    """``paid_day`` (one per invoice, `NOT_PAID` where none) raised to the day of each
    payment ``done`` allocates to it: what is left of an invoice is open from then."""
    invoice = np.asarray(done.invoice, dtype=np.int64)
    np.maximum.at(paid_day, invoice, payment_day[np.asarray(done.payment, dtype=np.int64)])


def last_paid_day(paid_day: np.ndarray) -> pl.Series:
    """``paid_day`` as the ``last_paid_day`` column `leftovers` reads: null where none."""
    days = pl.Series("last_paid_day", paid_day)
    return pl.select(pl.when(days != NOT_PAID).then(days)).to_series()
