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
the work is a join, linear in the leftovers, with no cap per payer. A payer's later
payments pay the oldest items its earlier ones left: one more join for each, over the
payers still paying this way.

A payer may leave its very oldest items open and pay the ones after them: a payables
run skips an item on hold or in dispute (a missing delivery, a price query), or one
another payment settles (a remittance, a credit), and once a statement payment went
astray (its bank line named no payer, or never came) the items it paid are still open
here. So the run may start after up to ``max_oldest_skipped`` of the oldest open items
(those stay open): a contiguous run in issue order, the sum of items i to j being the
running total at j less that before i, so this is the same join on a few more keys.
The run leaving the fewest items open is preferred (a payer paying oldest-first leaves
none), and a later payment still continues after the previous group. At a customer
with hundreds of open items many of its oldest are ones no rule could place (invoices
it picked for payments that named none, a statement whose bank line named no payer),
so its first oldest-first statement may sit a few dozen items in: the default allows
30. More starts are more sums to coincide with by chance, yet precision did not drop
from 5 to 60 (README, "Where it stands"); each start is one more join key per payment,
so the cost grows with them. The items skipped stay open for the other rules and the
later rounds.

A run may also leave one item open *inside* it: one on hold in the middle of a payables
run, or one whose own payment no rule has placed yet (it sits among the statement's
items until that payment is allocated). The sum of items i to j less item g is the
running total at j less that before i, less g: one more join key per position g, so
only from the first item after the previous group, for the payments no later than the
payer's earliest whole run (none later could be chosen before it), over runs spanning
at most `MatchConfig.small_subset_pool` items.

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

from collections.abc import Callable

import numpy as np
import polars as pl

from matcher.payments.candidates import group_candidates, rule_bit, rule_if, rules_mask
from matcher.payments.config import MatchConfig
from matcher.payments.counting import positions_in_runs, runs_of
from matcher.payments.leftovers import group_evidence, in_window, leftovers
from matcher.payments.packing import packing


def oldest_candidates(
    pays: pl.DataFrame, invs: pl.DataFrame, cfg: MatchConfig, untouched_pay: pl.Series
) -> pl.DataFrame:
    """Groups of one untouched payment and its payer's 2 to ``max_oldest_items`` oldest
    open invoices issued by its date (but for up to ``max_oldest_skipped`` older ones it
    leaves open), whose sum is exactly its amount. ``invs`` carries
    ``remaining``, as for `subset_candidates`; a payment whose reference names one of
    its payer's invoices is no target (the first pass reads what it names).

    A payer paying its statements pays its oldest items month after month: once its
    earliest payment has a group, its next payment (by date) is looked for among the
    oldest items after that group, and so on (`_oldest_groups`).

    What is left of a partly paid invoice counts among the open items, and so does
    leaving it out: a balance a customer short-paid is often one it disputes (a
    deduction, a chargeback, a fee it will not bear), which its payment runs skip until
    it is settled. So the oldest items of a payer with such a balance are taken twice:
    with it, and without every such balance."""
    w = cfg.weights
    # Every leftover of a payer, however many: the search is linear.
    lp, li = leftovers(pays, invs, untouched_pay, cap=None)
    short_paid = li["cents"] != invs["cents"].gather(li["inv"])
    ordered = li.with_columns(short_paid.alias("short_paid")).sort(
        "payer", "issue_day", pl.col("num_key").str.len_bytes(), "num_key", "inv"
    )
    targets = lp.filter(~pl.col("names_own")).select(
        "pay", "payer", pl.col("cents").alias("amount"), "p_day"
    )
    disputing = ordered.filter(pl.col("short_paid")).select("payer").unique()
    groups = (
        pl.concat(
            [
                _oldest_groups(targets, ordered, cfg),
                _oldest_groups(
                    targets.join(disputing, on="payer"),
                    ordered.filter(
                        pl.col("payer").is_in(disputing["payer"].implode()) & ~pl.col("short_paid")
                    ),
                    cfg,
                ),
            ]
        )
        .unique(maintain_order=True)
        .with_row_index("group")
    )
    evidence = group_evidence(groups, lp, li, in_window(cfg))
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


def _oldest_groups(targets: pl.DataFrame, ordered: pl.DataFrame, cfg: MatchConfig) -> pl.DataFrame:
    """``m_pay`` and ``m_inv`` of the targets (``pay``, ``payer``, ``amount``, ``p_day``)
    that pay their payer's oldest ``ordered`` invoices (``payer``, ``inv``, ``cents``,
    ``issue_day``; by payer, then in issue order): 2 to ``max_oldest_items`` of them in
    a row after those its earlier groups took, but for up to ``max_oldest_skipped``
    before the first, the last issued by its date.

    Step by step: per payer, the earliest target whose amount is the running total of
    the next invoices, from one of the allowed starts (the fewest skipped), is a group,
    and the next step starts after those invoices and that target's date (a later
    payment pays what the earlier ones left). A payer
    drops out at its first step without a group, so there are as many steps as the
    longest run of such payments, each over fewer payers."""
    ordered = ordered.with_row_index("row")
    # Rows are in payer order, so a payer's items are one run of rows: its n-th item is
    # row ``begin + n - 1`` (gathered, not joined), and its running totals, strictly
    # increasing, are met on one integer of payer and total.
    payer_of_row, count, begin, runs = runs_of(ordered["payer"])
    cents = ordered["cents"].cast(pl.Int64).to_numpy()
    overall = np.cumsum(cents)
    total = overall - np.repeat(overall[begin] - cents[begin], count)
    before = total - cents
    position = positions_in_runs(count) + 1
    running = pl.DataFrame(
        {
            "pid": payer_of_row,
            "total": total,
            "row": ordered["row"],
            "position": position,
            "last_issue": ordered["issue_day"],
        }
    )
    meet = _meeting(running, len(count), int(total.max()) if total.size else 0)
    span = _gapped_span(cfg)
    targets = targets.join(runs.select("payer", "pid"), on="payer").drop("payer")
    skips = pl.DataFrame({"skip": range(cfg.max_oldest_skipped + 1)}, schema={"skip": pl.Int64})
    start = targets.select(
        pl.col("pid").unique(),
        pl.lit(0, dtype=pl.Int64).alias("taken"),
        pl.lit(None, dtype=pl.Int32).alias("since"),
    )
    hits = [
        pl.DataFrame(
            schema={"pay": targets["pay"].dtype, "row": pl.UInt32, "k": pl.Int64, "gap": pl.Int64}
        )
    ]
    while start.height:
        # Where a run may start: the first open item after the previous group, or one of
        # the next `max_oldest_skipped` (the items before it are left open), with the
        # running total before it.
        starts = start.join(skips, how="cross").with_columns(
            (pl.col("taken") + 1 + pl.col("skip")).alias("first")
        )
        pid, first = starts["pid"].to_numpy(), starts["first"].to_numpy()
        there = first <= count[pid]
        starts = starts.filter(pl.Series(there)).with_columns(
            pl.Series("before", before[begin[pid[there]] + first[there] - 1], dtype=pl.Int64)
        )
        sums = (
            targets.join(starts, on="pid")
            .filter(pl.col("since").is_null() | (pl.col("p_day") >= pl.col("since")))
            .select("pay", "pid", "p_day", "skip", "first", pl.col("before") + pl.col("amount"))
            .rename({"before": "total"})
        )
        whole = sums.with_columns(pl.lit(None, dtype=pl.Int64).alias("gap"))
        found = _runs_met(whole, meet, cfg.max_oldest_items)
        # A run leaving one item open inside it, from the first item after the previous
        # group: looked for only up to each payer's earliest run found whole, as no later
        # payment could be chosen before that one.
        earliest = found.group_by("pid").agg(pl.col("p_day").min().alias("by"))
        inner = (
            sums.filter(pl.col("skip") == 0)
            .join(earliest, on="pid", how="left")
            .filter(pl.col("by").is_null() | (pl.col("p_day") <= pl.col("by")))
            .drop("by")
        )
        step = (
            pl.concat(
                [found, _runs_met(_with_one_gap(inner, cents, begin, count, span), meet, span)]
            )
            .with_columns((pl.col("skip") + pl.col("gap").is_not_null()).alias("left_open"))
            # Of two runs leaving as many open, the one paying the older items: the
            # shorter, then the one leaving the later item open (items of one amount).
            .sort(
                "p_day",
                "pay",
                "left_open",
                "skip",
                "position",
                "gap",
                descending=[False, False, False, False, False, True],
            )
            .unique("pid", keep="first", maintain_order=True)
        )
        hits.append(
            step.select(
                "pay",
                "row",
                (pl.col("position") - pl.col("first") + 1).alias("k"),
                (pl.col("row").cast(pl.Int64) - pl.col("position") + pl.col("gap")).alias("gap"),
            )
        )
        start = step.select(
            "pid", pl.col("position").alias("taken"), pl.col("p_day").alias("since")
        )
        # A payer's payments before its group are no targets any more (a later group
        # starts after it): dropped, so each step reads only what is still ahead.
        targets = (
            targets.join(start, on="pid")
            .filter(pl.col("p_day") >= pl.col("since"))
            .join(step.select("pay"), on="pay", how="anti")
            .drop("taken", "since")
        )
    return _members(ordered, hits)


def _meeting(
    running: pl.DataFrame, payers: int, top: int
) -> Callable[[pl.DataFrame], pl.DataFrame]:
    """How runs are met: ``sums`` (``pid`` and ``total``, with whatever else) joined with
    ``running`` (``payers`` of them, totals up to ``top``) on payer and running total, as
    one Int64 where they fit (they do for any real ledger), else on both columns."""
    packed = packing(payers, 0, top)
    if packed is None:
        return lambda sums: sums.join(running, on=["pid", "total"])
    at = packed(pl.col("pid"), pl.col("total")).alias("at")
    by_at = running.with_columns(at).drop("pid", "total")
    return lambda sums: (
        sums.filter(packed.holds(pl.col("total"))).with_columns(at).join(by_at, on="at")
    )


def _runs_met(
    sums: pl.DataFrame, meet: Callable[[pl.DataFrame], pl.DataFrame], span: int
) -> pl.DataFrame:
    """The runs of ``sums`` whose total a running total meets: from their ``first`` item to
    the one met (``position``, ``row``), at most ``span`` items, less the item at ``gap``
    if any, 2 or more paid, the last issued by the payment's day."""
    spanned = pl.col("position") - pl.col("first") + 1
    return (
        meet(sums)
        .filter(pl.col("gap").is_null() | (pl.col("gap") < pl.col("position")))
        .filter(
            (spanned - pl.col("gap").is_not_null() >= 2)
            & (spanned <= span)
            & (pl.col("last_issue") <= pl.col("p_day"))
        )
        .select("pay", "pid", "p_day", "skip", "first", "gap", "position", "row")
    )


def _gapped_span(cfg: MatchConfig) -> int:
    """How many items a run leaving one open inside it may span: no more than the subset
    search's widest pool (`MatchConfig.small_subset_pool`), whose pairs are the same
    number of sums to coincide by chance, nor than a whole run may hold."""
    return min(cfg.small_subset_pool, cfg.max_oldest_items + 1)


def _with_one_gap(
    sums: pl.DataFrame, cents: np.ndarray, begin: np.ndarray, count: np.ndarray, span: int
) -> pl.DataFrame:
    """Each of ``sums`` (a target, ``pid`` and the ``first`` item of a run) once for every
    item after the first, within ``span`` items of it, that the run may leave open inside
    it (its position as ``gap``): the run's ``total`` then holds that item's amount too,
    as the running totals do."""
    pid, first = sums["pid"].to_numpy(), sums["first"].to_numpy()
    width = np.clip(np.minimum(count[pid] - first, span - 1), 0, None)
    row = np.repeat(np.arange(sums.height), width)
    gap = first[row] + 1 + positions_in_runs(width)
    item = cents[begin[pid[row]] + gap - 1]
    return sums.select(pl.all().gather(row)).with_columns(
        pl.col("total") + pl.Series(item), pl.Series("gap", gap, dtype=pl.Int64)
    )


def _members(ordered: pl.DataFrame, hits: list[pl.DataFrame]) -> pl.DataFrame:
    """``m_pay`` and ``m_inv`` of each hit (``pay``, its last ``row`` of ``ordered``, the
    ``k`` rows it spans and the ``gap`` row it leaves open inside them, if any): the
    payer's rows up to its last, k of them, less the gap."""
    found = pl.concat(hits).with_row_index("group")
    rows = (
        found.select(
            "group",
            "gap",
            pl.int_ranges(pl.col("row") - pl.col("k") + 1, pl.col("row") + 1).alias("member"),
        )
        .explode("member")
        .filter(pl.col("gap").is_null() | (pl.col("member") != pl.col("gap")))
    )
    return (
        rows.with_columns(
            ordered["inv"].gather(rows["member"]).alias("m_inv"),
            found["pay"].gather(rows["group"]).alias("m_pay"),
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
