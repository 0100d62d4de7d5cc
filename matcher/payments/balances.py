"""What is left of a partly paid invoice, met by the one untouched payment of exactly
that amount: the last instalment of an invoice paid in parts.

The subset search (`subsets`) meets balances too, but only among a payer's most recent
leftovers and each invoice's first payments after its issue: at a customer of thousands
of invoices, an old invoice's last instalment is outside both. Partly paid invoices are
few, so every one of them is joined here with the untouched payments of its payer (or
its parent) of exactly its balance, and with those whose reference names it, whoever
sent them (an unidentified payer's bank line naming the invoice it finishes).

Not one slip from its number: a payer not identified reaches, besides what it names,
only the invoices of exactly its amount one slip from its reference (`batches`), so a
slip onto a balance could cross the batches a large book is matched in, and batches
would no longer match as one run does.
"""

from __future__ import annotations

import polars as pl

from matcher.payments.candidates import group_candidates, rule_bit, rule_if, rules_mask
from matcher.payments.config import MatchConfig
from matcher.payments.leftovers import in_window, leftovers


def balance_candidates(
    pays: pl.DataFrame,
    invs: pl.DataFrame,
    cfg: MatchConfig,
    untouched_pay: pl.Series,
    proposed: pl.DataFrame,
) -> pl.DataFrame:
    """One payment for the balance of one partly paid invoice (``remaining`` below its
    ``cents``), of exactly that balance: a payment of its payer issued from
    ``days_before_issue`` before the invoice on, that names none of its payer's other
    invoices; or a payment whose reference names it. Scored as the subset search scores
    a group (`subsets`), as candidates (`candidates.CANDIDATE_SCHEMA`); the pairs already
    ``proposed`` (candidates of this round) are left out, not offered twice (a candidate
    and its copy would rival each other)."""
    w = cfg.weights
    partly = invs.filter((pl.col("remaining") > 0) & (pl.col("remaining") < pl.col("cents")))
    # Only the untouched payments of some balance's amount can pay one: a few, of many.
    of_a_balance = untouched_pay & pays["cents"].is_in(partly["remaining"].unique().implode())
    untouched = pays.filter(of_a_balance)
    columns = ["pay", "inv", "p_day", "issue_day", "due_day", "named", "same_cp"]
    # Those of known payers and the partly paid invoices, by payer code.
    lp, li = leftovers(pays, partly, of_a_balance, cap=None)
    by_payer = (
        lp.join(li.drop("last_paid_day"), on=["payer", "cents"])
        .with_columns(
            pl.col("ref_numbers").list.contains(pl.col("num_key")).fill_null(False).alias("named"),
            pl.lit(True).alias("same_cp"),
        )
        # A payment that names another of its payer's invoices said what it was for.
        .filter(pl.col("named") | ~pl.col("names_own"))
        .filter(pl.col("p_day") >= pl.col("issue_day") - cfg.days_before_issue)
        .select(columns)
    )
    by_reference = (
        untouched.select("pay", "p_cp", "p_cur", "cents", "p_day", "ref_numbers")
        .explode("ref_numbers")
        .join(
            partly.select(
                "inv",
                "i_cp",
                "i_parent",
                pl.col("i_cur").alias("p_cur"),
                pl.col("remaining").alias("cents"),
                "issue_day",
                "due_day",
                pl.col("num_key").alias("ref_numbers"),
            ),
            on=["ref_numbers", "p_cur", "cents"],
        )
        .with_columns(
            pl.lit(True).alias("named"),
            ((pl.col("p_cp") == pl.col("i_cp")) | (pl.col("p_cp") == pl.col("i_parent")))
            .fill_null(False)
            .alias("same_cp"),
        )
        # A known payer naming another customer's invoice is not paying it.
        .filter(pl.col("same_cp") | pl.col("p_cp").is_null())
        .select(columns)
    )
    pairs = (
        pl.concat([by_payer, by_reference])
        .unique(["pay", "inv"], keep="first", maintain_order=True)
        .join(_single_pairs(proposed), on=["pay", "inv"], how="anti")
        .with_columns(in_window(cfg).alias("in_window"))
    )
    score = (
        pl.when(pl.col("named")).then(w.reference_in_text).otherwise(0.0)
        + pl.when(pl.col("same_cp")).then(w.same_counterparty).otherwise(w.counterparty_unknown)
        + w.amount_exact
        + pl.when(pl.col("in_window")).then(w.date_window).otherwise(0.0)
    ).clip(0.0, 1.0)
    rules = rules_mask(
        rule_if(pl.col("named"), "reference_in_text"),
        rule_if(pl.col("same_cp"), "same_counterparty"),
        rule_if(~pl.col("same_cp"), "counterparty_unknown"),
        rule_bit("amount_exact"),
        rule_if(pl.col("in_window"), "date_window"),
        rule_bit("remaining_balance"),
    )
    return group_candidates(
        pairs.select(
            pl.concat_list("pay").alias("m_pay"),
            pl.concat_list("inv").alias("m_inv"),
            pl.col("issue_day").alias("tb_newest"),
            pl.col("issue_day").cast(pl.Int64).alias("tb_sum"),
            pl.col("p_day").alias("tb_pay_day"),
            "named",
            "same_cp",
            "in_window",
        ),
        score,
        rules,
    )


def _single_pairs(candidates: pl.DataFrame) -> pl.DataFrame:
    """The (``pay``, ``inv``) of the candidates of one payment and one invoice."""
    return candidates.filter(
        (pl.col("m_pay").list.len() == 1) & (pl.col("m_inv").list.len() == 1)
    ).select(pl.col("m_pay").list.first().alias("pay"), pl.col("m_inv").list.first().alias("inv"))
