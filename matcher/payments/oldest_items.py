"""Payments that settle their payer's oldest open items: one amount, no usable reference,
equal to the sum of the payer's k oldest open invoices issued by the payment's date.

A customer with many open items mostly pays its oldest first: an accounts-payable run
clears what is overdue before what is not, and a payment against a statement pays its
balance, which is the oldest open items up to the statement date. Such a payment names
no invoice ("PAYMENT", "STATEMENT MAY") and may cover dozens of them, far beyond what a
bounded subset-sum can search, yet which invoices it settles is no search at all: the
oldest k, for the one k at which their running total meets the amount. Per payer the
open invoices are put in issue order (ties by number, as a statement lists them) and
summed cumulatively; a payment joins the running totals of its payer on its amount, so
the work is linear in the leftovers, with no cap per payer.

Each such group is a candidate of its own rule, ``oldest_open_items``, scored as an
exact amount fit of a known payer, with `ScoreWeights.oldest_open_items` as its timing
evidence in place of the date window: paying the oldest items first is paying them
late, often past any window, and the order itself is the evidence. So it scores as a
subset-sum group in its window does, and on equal scores the earlier payment goes
first, as everywhere (a payment for one of two lookalike invoices, made before the
statement, keeps the older one). It is never automatic by itself (it has no reference,
so it stays under ``auto_threshold``): a coincidence of sums is rare, not impossible,
and a clerk confirms it.
"""

from __future__ import annotations

from dataclasses import replace

import polars as pl

from matcher.payments.candidates import group_candidates, rule_bit, rule_if, rules_mask
from matcher.payments.config import MatchConfig
from matcher.payments.subsets import _group_evidence, _in_window, _leftovers

UNCAPPED = 2**31 - 1
"""Leftovers per payer for this search: all of them (the search is linear)."""


def oldest_candidates(
    pays: pl.DataFrame, invs: pl.DataFrame, cfg: MatchConfig, untouched_pay: pl.Series
) -> pl.DataFrame:
    """Groups of one untouched payment and its payer's 2 to ``max_oldest_items`` oldest
    open invoices issued by its date, whose sum is exactly its amount. ``invs`` carries
    ``remaining``, as for `subset_candidates`; a payment whose reference names one of
    its payer's invoices is no target (the first pass reads what it names).

    What is left of a partly paid invoice counts among the open items, and so does
    leaving it out: a balance a customer short-paid is often one it disputes (a
    deduction, a chargeback, a fee it will not bear), which its payment runs skip until
    it is settled. So the oldest items are taken twice where a payer has such a
    balance: with it, and without every such balance."""
    w = cfg.weights
    lp, li = _leftovers(
        pays, invs, replace(cfg, max_leftovers_per_counterparty=UNCAPPED), untouched_pay
    )
    short_paid = li["cents"] != invs["cents"].gather(li["inv"])
    ordered = (
        li.with_columns(short_paid.alias("short_paid"))
        .sort("payer", "issue_day", pl.col("num_key").str.len_bytes(), "num_key", "inv")
        .with_columns(pl.col("short_paid").cum_sum().over("payer").alias("short_before"))
    )
    targets = lp.filter(~pl.col("names_own")).select(
        "pay", "payer", pl.col("cents").alias("total"), "p_day"
    )
    groups = pl.concat(
        [
            _oldest_groups(targets, ordered, cfg),
            # Without the short-paid balances: only where that leaves out one before.
            _oldest_groups(
                targets,
                ordered.filter(~pl.col("short_paid")),
                cfg,
                pl.col("short_before") > 0,
            ),
        ]
    ).with_row_index("group")
    evidence = _group_evidence(groups, lp, li, _in_window(cfg))
    score = (
        w.same_counterparty
        + w.amount_exact
        + pl.when(pl.col("in_window"))
        .then(max(w.date_window, w.oldest_open_items))
        .otherwise(w.oldest_open_items)
    ).clip(0.0, 1.0)
    rules = rules_mask(
        rule_bit("same_counterparty"),
        rule_bit("amount_exact"),
        rule_if(pl.col("in_window"), "date_window"),
        rule_bit("combined_payment"),
        rule_bit("oldest_open_items"),
    )
    return group_candidates(groups.join(evidence, on="group"), score, rules)


def _oldest_groups(
    targets: pl.DataFrame,
    ordered: pl.DataFrame,
    cfg: MatchConfig,
    kept: pl.Expr | None = None,
) -> pl.DataFrame:
    """``m_pay`` and ``m_inv`` of each target (``pay``, ``payer``, ``total``, ``p_day``)
    whose amount is the running total of its payer's first k ``ordered`` invoices
    (``payer``, ``inv``, ``cents``, ``issue_day``, sorted by payer then issue order),
    2 <= k <= ``max_oldest_items``, the k-th issued by its date; prefixes where ``kept``
    holds only."""
    ordered = ordered.with_row_index("row")
    prefixes = ordered.select(
        "payer",
        pl.col("cents").cum_sum().over("payer").alias("total"),
        pl.int_range(1, pl.len() + 1, dtype=pl.UInt32).over("payer").alias("k"),
        pl.col("issue_day").alias("last_issue"),
        "row",
        (pl.lit(True) if kept is None else kept).alias("kept"),
    ).filter(pl.col("kept") & pl.col("k").is_between(2, cfg.max_oldest_items))
    # Issue order: the newest member is the last, so it alone is checked against the
    # payment's date.
    hits = (
        targets.join(prefixes, on=["payer", "total"])
        .filter(pl.col("last_issue") <= pl.col("p_day"))
        .with_row_index("group")
    )
    # The members of a prefix are the rows from its payer's first up to its last.
    rows = hits.select(
        "group",
        pl.int_ranges(pl.col("row") - pl.col("k") + 1, pl.col("row") + 1).alias("member"),
    ).explode("member")
    return (
        rows.with_columns(
            ordered["inv"].gather(rows["member"]).alias("m_inv"),
            hits["pay"].gather(rows["group"]).alias("m_pay"),
        )
        .group_by("group", maintain_order=True)
        .agg("m_pay", "m_inv")
        .drop("group")
    )


def beside_subsets(subset_groups: pl.DataFrame, oldest: pl.DataFrame) -> pl.DataFrame:
    """The subset search's groups and `oldest_candidates` together, a group both found
    once: as the oldest items (it scores at least as well) with ``subset_sum`` among its
    rules too, so the two rules do not rival each other over the same group."""
    key = pl.concat_str(
        pl.col("m_pay").list.first(),
        pl.col("m_inv").list.sort().cast(pl.List(pl.String)).list.join(","),
        separator=":",
    ).alias("key")
    keyed = oldest.with_columns(key)
    found_twice = subset_groups.with_columns(key).join(keyed.select("key"), on="key")
    both = keyed["key"].is_in(found_twice["key"].implode())
    return pl.concat(
        [
            subset_groups.with_columns(key).join(found_twice.select("key"), on="key", how="anti"),
            keyed.with_columns(
                pl.when(both).then(pl.col("rules") | rule_bit("subset_sum")).otherwise("rules")
            ),
        ],
        how="diagonal_relaxed",
    ).drop("key")
