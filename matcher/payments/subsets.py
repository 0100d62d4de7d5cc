"""Second pass of the payment matcher: a bounded subset-sum over what the joins left.

Per counterparty and currency, several open invoices whose sum is one payment, or
several payments whose sum is one invoice (or the remaining balance of a partly paid
one); every group found is a candidate, scored as an exact amount fit.
"""

from __future__ import annotations

import itertools

import polars as pl

from matcher.payments.candidates import group_candidates
from matcher.payments.config import MatchConfig
from matcher.payments.joins import payer_invoices


def subset_candidates(
    pays: pl.DataFrame,
    invs: pl.DataFrame,
    cfg: MatchConfig,
    untouched_pay: pl.Series,
) -> pl.DataFrame:
    """Leftovers of one counterparty whose sums fit exactly: several of its open invoices
    for one payment, or several of its payments for one invoice (or for what is left of
    a partly paid one).

    Bounded: each target (a payment, or an invoice's remaining balance) looks at most at
    ``small_subset_pool`` items of its counterparty and currency (the most recent
    invoices issued by the payment's date; the first payments inside the invoice's date
    window),
    groups hold at most ``max_subset_size`` items, a group is dropped as soon as its sum
    passes the target, and a counterparty's leftovers are capped at the most recent
    ``max_leftovers_per_counterparty`` per side. Equal sums tie, and rank oldest
    invoices first.
    """
    w = cfg.weights
    lp, li = _leftovers(pays, invs, cfg, untouched_pay)
    in_window = _in_window(cfg)
    invoice_pool = _invoice_pool(lp, li, cfg)
    payment_pool = _payment_pool(lp, li, cfg)
    combos = [
        _subset_sums(invoice_pool, cfg, min_size=2).select(
            pl.col("target_id").repeat_by(pl.col("members").list.len()).alias("m_pay"),
            pl.col("members").alias("m_inv"),
            pl.lit("combined_payment").alias("kind"),
        ),
        _subset_sums(payment_pool, cfg, min_size=1).select(
            pl.col("members").alias("m_pay"),
            pl.col("target_id").repeat_by(pl.col("members").list.len()).alias("m_inv"),
            pl.when(pl.col("members").list.len() > 1)
            .then(pl.lit("split_payment"))
            .otherwise(pl.lit("remaining_balance"))
            .alias("kind"),
        ),
    ]
    groups = pl.concat(combos).with_row_index("group")
    members = _group_evidence(groups, lp, li, in_window)
    score = (
        pl.when(pl.col("all_ref")).then(w.reference_in_text).otherwise(0.0)
        + w.same_counterparty
        + w.amount_exact
        + pl.when(pl.col("in_window")).then(w.date_window).otherwise(0.0)
    ).clip(0.0, 1.0)
    rules = pl.concat_list(
        pl.when(pl.col("all_ref")).then(pl.lit("reference_in_text")),
        pl.lit("same_counterparty"),
        pl.lit("amount_exact"),
        pl.when(pl.col("in_window")).then(pl.lit("date_window")),
        pl.col("kind"),
        pl.when(pl.col("m_pay").list.len() + pl.col("m_inv").list.len() > 2).then(
            pl.lit("subset_sum")
        ),
    ).list.drop_nulls()
    return group_candidates(groups.join(members, on="group"), score, rules)


def _in_window(cfg: MatchConfig) -> pl.Expr:
    return pl.col("p_day").is_between(
        pl.col("issue_day") - cfg.days_before_issue, pl.col("due_day") + cfg.days_after_due
    )


def _leftovers(
    pays: pl.DataFrame, invs: pl.DataFrame, cfg: MatchConfig, untouched_pay: pl.Series
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Untouched payments of known payers and invoices with a balance left (under their
    counterparty, and under their parent too), of the counterparties and currencies
    both sides have, each capped to the most recent."""
    lp = pays.filter(untouched_pay & pays["p_cp"].is_not_null()).select(
        "pay",
        pl.col("p_cp").alias("cp"),
        pl.col("p_cur").alias("cur"),
        "cents",
        "p_day",
        "ref_numbers",
    )
    li = payer_invoices(invs.filter(pl.col("remaining") > 0)).select(
        "inv",
        "cp",
        "cur",
        pl.col("remaining").alias("cents"),
        "issue_day",
        "due_day",
        "num_key",
    )
    shared = lp.select("cp", "cur").unique().join(li.select("cp", "cur").unique(), on=["cp", "cur"])
    # A counterparty with thousands of leftovers would make the pools below quadratic:
    # only its most recent `max_leftovers_per_counterparty` on each side are searched.
    cap = cfg.max_leftovers_per_counterparty
    lp = (
        lp.join(shared, on=["cp", "cur"])
        .sort("p_day", "pay", descending=True)
        .filter(pl.int_range(pl.len()).over("cp", "cur") < cap)
    )
    li = (
        li.join(shared, on=["cp", "cur"])
        .sort("issue_day", "inv", descending=True)
        .filter(pl.int_range(pl.len()).over("cp", "cur") < cap)
    )
    return lp, li


def _invoice_pool(lp: pl.DataFrame, li: pl.DataFrame, cfg: MatchConfig) -> pl.DataFrame:
    """One payment, several invoices: the most recent invoices issued by its date, however
    late it is (a customer clearing old invoices at once is still paying them)."""
    return (
        lp.select("pay", "cp", "cur", pl.col("cents").alias("target"), "p_day")
        .join(li.select("inv", "cp", "cur", "cents", "issue_day", "due_day"), on=["cp", "cur"])
        .filter((pl.col("issue_day") <= pl.col("p_day")) & (pl.col("cents") < pl.col("target")))
        .sort("pay", "issue_day", "inv", descending=[False, True, True])
        .with_columns(pl.int_range(pl.len()).over("pay").alias("rank"))
        .filter(pl.col("rank") < cfg.small_subset_pool)
        .select(
            pl.col("pay").alias("target_id"), "target", pl.col("inv").alias("item"), "cents", "rank"
        )
    )


def _payment_pool(lp: pl.DataFrame, li: pl.DataFrame, cfg: MatchConfig) -> pl.DataFrame:
    """Several payments, one invoice (or its remaining balance): the first payments after it."""
    return (
        li.select("inv", "cp", "cur", pl.col("cents").alias("target"), "issue_day", "due_day")
        .join(lp.select("pay", "cp", "cur", "cents", "p_day"), on=["cp", "cur"])
        .filter(_in_window(cfg) & (pl.col("cents") <= pl.col("target")))
        .sort("inv", "p_day", "pay")
        .with_columns(pl.int_range(pl.len()).over("inv").alias("rank"))
        .filter(pl.col("rank") < cfg.small_subset_pool)
        .select(
            pl.col("inv").alias("target_id"), "target", pl.col("pay").alias("item"), "cents", "rank"
        )
    )


def _group_evidence(
    groups: pl.DataFrame, lp: pl.DataFrame, li: pl.DataFrame, in_window: pl.Expr
) -> pl.DataFrame:
    """Per group: all in the date window, all named by reference, and tie-breakers."""
    return (
        groups.select("group", "m_pay", "m_inv")
        .explode("m_pay", "m_inv")
        .join(
            lp.select(pl.col("pay").alias("m_pay"), "p_day", "ref_numbers"),
            on="m_pay",
        )
        .join(
            li.select(pl.col("inv").alias("m_inv"), "issue_day", "due_day", "num_key"),
            on="m_inv",
        )
        .with_columns(
            in_window.alias("in_window"),
            pl.col("ref_numbers").list.contains(pl.col("num_key")).fill_null(False).alias("ref"),
        )
        .group_by("group")
        .agg(
            pl.col("in_window").all(),
            pl.col("ref").all().alias("all_ref"),
            pl.col("issue_day").max().alias("tb_newest"),
            pl.col("issue_day").cast(pl.Int64).sum().alias("tb_sum"),
            pl.col("p_day").min().alias("tb_pay_day"),
        )
    )


SUBSET_TARGETS_PER_BATCH = 4_000
"""Targets searched together: the groups of a batch are built in memory at once."""


def _subset_sums(pool: pl.DataFrame, cfg: MatchConfig, min_size: int) -> pl.DataFrame:
    """`_subset_sums_of` batch by batch of targets, so memory stays flat as data grows."""
    targets: list[int] = pool["target_id"].unique().sort().to_list()
    if len(targets) <= SUBSET_TARGETS_PER_BATCH:
        return _subset_sums_of(pool, cfg, min_size)
    bounds = [*targets[::SUBSET_TARGETS_PER_BATCH], targets[-1] + 1]
    ordered = pool.sort("target_id")
    return pl.concat(
        [
            _subset_sums_of(
                ordered.filter(pl.col("target_id").is_between(lo, hi, closed="left")),
                cfg,
                min_size,
            )
            for lo, hi in itertools.pairwise(bounds)
        ]
    )


def _subset_sums_of(pool: pl.DataFrame, cfg: MatchConfig, min_size: int) -> pl.DataFrame:
    """Groups of min_size..max_subset_size pool items (in rank order) summing exactly to
    their target. Pairs come from a self-join of the pool pruned to sums not past the
    target; triples from a look-up of the amount each pair lacks (so the whole pool costs
    its pairs, not its triples); groups of four from level-wise self-joins over the first
    ``subset_pool`` items, of five or six over the first ``large_subset_pool``. The work
    per target stays bounded (C(24, 2) + C(12, 3..4) + C(10, 5..6) = 1,453 rows at most)."""
    max_size = cfg.max_subset_size
    level = pool.select(
        "target_id",
        "target",
        pl.concat_list("item").alias("members"),
        pl.col("cents").alias("total"),
        pl.col("rank").alias("last"),
    )
    right = pool.select(
        "target_id", pl.col("item").alias("next"), pl.col("cents").alias("add"), "rank"
    )
    found = [level] if min_size <= 1 else []
    if max_size < 2:
        return pl.concat(found).filter(pl.col("total") == pl.col("target"))
    pairs = _extended(level, right)
    found.append(pairs)
    if max_size >= 3:
        lacking = pairs.filter(pl.col("total") < pl.col("target")).with_columns(
            (pl.col("target") - pl.col("total")).alias("add")
        )
        found.append(
            lacking.join(right, on=["target_id", "add"])
            .filter(pl.col("rank") > pl.col("last"))
            .select(
                "target_id",
                "target",
                pl.col("members").list.concat(pl.concat_list("next")).alias("members"),
                pl.col("target").alias("total"),
                pl.col("rank").alias("last"),
            )
        )
    right = right.filter(pl.col("rank") < cfg.subset_pool)
    level = _extended(pairs.filter(pl.col("last") < cfg.subset_pool - 1), right)
    for size in range(4, max_size + 1):
        if size == 5:
            level = level.filter(pl.col("last") < cfg.large_subset_pool - 1)
            right = right.filter(pl.col("rank") < cfg.large_subset_pool)
        level = _extended(level, right)
        found.append(level)
        if level.height == 0:
            break
    return pl.concat(found).filter(pl.col("total") == pl.col("target"))


def _extended(level: pl.DataFrame, right: pl.DataFrame) -> pl.DataFrame:
    """Each group of ``level`` still short of its target, one item longer: every later
    item of ``right`` that does not take it past the target."""
    return (
        level.filter(pl.col("total") < pl.col("target"))
        .join(right, on="target_id")
        .filter(
            (pl.col("rank") > pl.col("last"))
            & (pl.col("total") + pl.col("add") <= pl.col("target"))
        )
        .select(
            "target_id",
            "target",
            pl.col("members").list.concat(pl.concat_list("next")).alias("members"),
            (pl.col("total") + pl.col("add")).alias("total"),
            pl.col("rank").alias("last"),
        )
    )
