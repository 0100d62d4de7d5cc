"""Reference groups: one payment whose reference names several invoices (exactly, or one
slip away) that together fit its amount, read every way its slipped numbers allow."""

from __future__ import annotations

import numpy as np
import polars as pl

from matcher.payments.amounts import amount_relation, amount_weight
from matcher.payments.candidates import (
    group_candidates,
    rule_bit,
    rule_if,
    rule_named,
    rules_mask,
)
from matcher.payments.config import FITTING_RELATIONS, MatchConfig

MAX_READINGS = 64
"""Most ways one reference's slips are read (each slipped number as one of the payer's
invoices it is one slip from, or as none) that are tried against the amount."""


def _options(referenced: pl.DataFrame) -> pl.DataFrame:
    """``pay``, ``slot`` (a number of the reference), ``option`` (the invoices it may
    name; -1: none) and ``may_be_none``."""
    exact = referenced.filter(pl.col("via_ref")).select(
        "pay", "inv", pl.col("num_key").alias("slot"), pl.lit(False).alias("may_be_none")
    )
    slipped = (
        referenced.filter(~pl.col("via_ref"))
        .select(
            "pay",
            "inv",
            pl.coalesce("typed", "ref_longest").alias("slot"),
            pl.lit(True).alias("may_be_none"),
        )
        .join(exact.select("pay", "inv"), on=["pay", "inv"], how="anti")
    )
    # A number may name one invoice exactly and be one slip from others (a payer not
    # identified, whose slip hit another customer's number): any of them, or none.
    return (
        pl.concat([exact, slipped])
        .sort("pay", "slot", "inv")
        .group_by("pay", "slot", maintain_order=True)
        .agg(pl.col("inv").cast(pl.Int64).alias("option"), pl.col("may_be_none").any())
        .with_columns(
            pl.when("may_be_none")
            .then(pl.col("option").list.concat(pl.lit([-1], dtype=pl.List(pl.Int64))))
            .otherwise(pl.col("option"))
        )
    )


def _readings() -> pl.Expr:
    """Per option row: how many readings its payment's reference has."""
    return pl.col("option").list.len().product().over("pay")


def _reading_combinations(referenced: pl.DataFrame) -> pl.DataFrame:
    """``pay``, ``combo``, ``inv``: every way of reading a reference's numbers as invoices.

    Each number names one invoice: one of those whose number it is (usually there is
    one), or, for a number one slip from some of the payer's invoices, one of them or
    none (it may be noise, or the slip may have hit the wrong invoice; a number naming
    one invoice exactly and one slip from others may be any of them). A reference with
    more than `MAX_READINGS` readings is read without its ``late_slip`` pairs (slips of
    a payer not identified, outside the date window), and if it still has too many, with
    its exact numbers only."""
    options = _options(referenced)
    late = referenced.filter(pl.col("late_slip")).select("pay").unique()
    if late.height:
        crowded = (
            options.join(late, on="pay").filter(_readings() > MAX_READINGS).select("pay").unique()
        )
        options = pl.concat(
            [
                options.join(crowded, on="pay", how="anti"),
                _options(referenced.join(crowded, on="pay").filter(~pl.col("late_slip"))),
            ]
        )
    # A reading names at most one invoice per number: a group needs two numbers or more.
    several = pl.len().over("pay") >= 2
    options = options.filter(several)
    options = options.filter((_readings() <= MAX_READINGS) | ~pl.col("may_be_none"))
    options = options.filter((_readings() <= MAX_READINGS) & several)
    options = options.with_columns(pl.int_range(pl.len()).over("pay").alias("k"))
    combos = (
        options.select("pay")
        .unique()
        .with_columns(pl.lit([], dtype=pl.List(pl.Int64)).alias("chosen"))
    )
    slots: int = options.select(pl.col("k").max() + 1).item() if options.height else 0
    for k in range(slots):
        step = options.filter(pl.col("k") == k).select("pay", "option")
        combos = (
            combos.join(step, on="pay", how="left", maintain_order="left")
            .explode("option")
            .select(
                "pay",
                pl.when(pl.col("option").fill_null(-1) >= 0)
                .then(pl.col("chosen").list.concat(pl.concat_list("option")))
                .otherwise(pl.col("chosen"))
                .alias("chosen"),
            )
        )
    return (
        combos.select("pay", pl.col("chosen").list.sort().alias("inv"))
        .filter(
            (pl.col("inv").list.len() >= 2)
            & (pl.col("inv").list.n_unique() == pl.col("inv").list.len())
        )
        .unique(maintain_order=True)
        .with_columns(pl.int_range(pl.len()).over("pay").alias("combo"))
        .explode("inv")
        .with_columns(pl.col("inv").cast(pl.UInt32))
    )


def _naming_several(referenced: pl.DataFrame) -> pl.DataFrame:
    """The pairs of payments with two referenced pairs or more: one naming a single invoice
    (most do) has no group to read. ``pay`` holds row numbers, so they are counted in an
    array indexed by them, not hashed per payment over millions of pairs."""
    pay = referenced["pay"].to_numpy()
    if pay.size == 0:
        return referenced
    several = np.bincount(pay)[pay] >= 2
    return referenced.filter(pl.Series(several, dtype=pl.Boolean))


GROUP_FITTING_RELATIONS = tuple(r for r in FITTING_RELATIONS if r != "bank_fee")
"""How several invoices' sum may fit one payment: not short by a wire fee, which a slip
naming a wrong invoice of similar amount would look like."""


def reference_groups(pairs: pl.DataFrame, cfg: MatchConfig) -> pl.DataFrame:
    """One payment whose reference names several invoices that together fit its amount:
    named exactly, or (for a known payer) one slip away; a parent may name invoices of
    several of its subsidiaries, and so may a payer not identified when every invoice
    named belongs to one group (one parent and its subsidiaries)."""
    w = cfg.weights
    named = (
        pl.col("via_ref")
        | ((pl.col("ref_fuzzy") | pl.col("group_slip")) & pl.col("same_cp"))
        | (pl.col("group_slip") & pl.col("cp_unknown"))
    )
    referenced = pairs.filter(named & (pl.col("same_cp") | pl.col("cp_unknown")))
    # A payer not identified needs the date window for a number read one slip away, unless
    # the group also holds an invoice named outright, all of one group (a customer, or a
    # parent and its subsidiaries): several named invoices summing to the amount are
    # evidence enough, however late the payment, and a slip among them is read as a clerk
    # reads a remittance with one number mistyped.
    late_slip = pl.col("cp_unknown") & ~pl.col("via_ref") & ~pl.col("in_window")
    referenced = referenced.with_columns(late_slip.alias("late_slip"))
    members = (
        _reading_combinations(_naming_several(referenced))
        .join(referenced, on=["pay", "inv"])
        .sort("pay", "combo", "issue_day", "inv")
    )
    groups = (
        members.group_by("pay", "combo")
        .agg(
            pl.col("inv").alias("m_inv"),
            pl.col("cents_right").sum().alias("owed"),
            pl.col("cents").first().alias("paid"),
            pl.col("p_day").first(),
            pl.col("p_fx").first(),
            pl.col("issue_day").min().alias("oldest"),
            pl.col("issue_day").max().alias("tb_newest"),
            pl.col("issue_day").cast(pl.Int64).sum().alias("tb_sum"),
            pl.col("ref_exact").all(),
            pl.col("via_ref").all().alias("all_named"),
            pl.col("via_ref").any().alias("some_named"),
            pl.col("late_slip").any(),
            pl.col("same_cp").all(),
            pl.col("via_parent").any(),
            pl.col("in_window").all(),
            pl.col("i_cp").n_unique().alias("n_cp"),
            pl.coalesce("i_parent", "i_cp").n_unique().alias("n_groups"),
        )
        .filter(
            (pl.col("m_inv").list.len() >= 2)
            & ((pl.col("n_cp") == 1) | pl.col("same_cp") | (pl.col("n_groups") == 1))
            & (~pl.col("late_slip") | (pl.col("some_named") & (pl.col("n_groups") == 1)))
        )
        .with_columns((pl.col("via_parent") | (pl.col("n_cp") > 1)).alias("via_parent"))
        .with_columns(
            amount_relation(
                pl.col("paid"),
                pl.col("owed"),
                pl.col("p_day"),
                pl.col("oldest"),
                cfg,
                converted=pl.col("p_fx"),
            ).alias("relation")
        )
        .filter(pl.col("relation").is_in(GROUP_FITTING_RELATIONS))
    )
    score = (
        pl.when(pl.col("ref_exact"))
        .then(w.reference_exact)
        .when(pl.col("all_named"))
        .then(w.reference_in_text)
        .otherwise(w.reference_fuzzy)
        + pl.when(pl.col("same_cp")).then(w.same_counterparty).otherwise(w.counterparty_unknown)
        + amount_weight(pl.col("relation"), w)
        + pl.when(pl.col("in_window")).then(w.date_window).otherwise(0.0)
    ).clip(0.0, 1.0)
    rules = rules_mask(
        pl.when(pl.col("ref_exact"))
        .then(rule_bit("reference_exact"))
        .when(pl.col("all_named"))
        .then(rule_bit("reference_in_text"))
        .otherwise(rule_bit("reference_fuzzy")),
        pl.when(pl.col("via_parent"))
        .then(rule_bit("parent_counterparty"))
        .when(pl.col("same_cp"))
        .then(rule_bit("same_counterparty"))
        .otherwise(rule_bit("counterparty_unknown")),
        rule_named(pl.col("relation")),
        rule_if(pl.col("in_window"), "date_window"),
        rule_bit("combined_payment"),
    )
    members = groups.with_columns(
        pl.col("pay").repeat_by(pl.col("m_inv").list.len()).alias("m_pay"),
        pl.col("p_day").alias("tb_pay_day"),
    )
    return group_candidates(members, score, rules)
