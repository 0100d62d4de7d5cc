"""Second pass of the payment matcher: a bounded subset-sum over what the joins left.

Per counterparty and currency, several open invoices whose sum is one payment, or
several payments whose sum is one invoice (or the remaining balance of a partly paid
one); every group found is a candidate, scored as an exact amount fit.
"""

from __future__ import annotations

import itertools
from dataclasses import replace

import numpy as np
import polars as pl

from matcher.payments.candidates import group_candidates, rule_bit, rule_if, rule_named, rules_mask
from matcher.payments.config import MatchConfig
from matcher.payments.counting import positions_in_runs, run_starts, runs_of
from matcher.payments.leftovers import group_evidence, in_window, leftovers
from matcher.payments.packing import packing, packing_of


def subset_candidates(
    pays: pl.DataFrame,
    invs: pl.DataFrame,
    cfg: MatchConfig,
    untouched_pay: pl.Series,
    *,
    later: bool = False,
) -> pl.DataFrame:
    """Leftovers of one counterparty whose sums fit exactly: several of its open invoices
    for one payment, or several of its payments for one invoice (or for what is left of
    a partly paid one).

    A ``later`` round (after the first round's groups are allocated) searches groups of
    four to six deeper, among the first ``later_subset_pool`` and
    ``later_large_subset_pool`` items: by then the pools hold only what is still open
    and the targets are few, so a deeper search meets fewer chance sums and costs little.

    Bounded: each target (a payment, or an invoice's remaining balance) looks at most at
    ``small_subset_pool`` items of its counterparty and currency (the most recent
    invoices issued by the payment's date; the first payments from ``days_before_issue``
    before the invoice's issue, however late),
    groups hold at most ``max_subset_size`` items, a group is dropped as soon as its sum
    passes the target, and a counterparty's leftovers are capped at the most recent
    ``max_leftovers_per_counterparty`` per side. Equal sums tie, and rank as `rank`
    orders them: the earliest payment, then the fewest members, then the oldest invoices.
    """
    w = cfg.weights
    if later:
        cfg = replace(
            cfg, subset_pool=cfg.later_subset_pool, large_subset_pool=cfg.later_large_subset_pool
        )
    # A counterparty with thousands of leftovers would make the pools below quadratic:
    # only its most recent `max_leftovers_per_counterparty` on each side are searched.
    lp, li = leftovers(pays, invs, untouched_pay, cfg.max_leftovers_per_counterparty)
    window = in_window(cfg)
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
    members = group_evidence(groups, lp, li, window)
    score = (
        pl.when(pl.col("all_ref")).then(w.reference_in_text).otherwise(0.0)
        + w.same_counterparty
        + w.amount_exact
        + pl.when(pl.col("in_window")).then(w.date_window).otherwise(0.0)
    ).clip(0.0, 1.0)
    rules = rules_mask(
        rule_if(pl.col("all_ref"), "reference_in_text"),
        rule_bit("same_counterparty"),
        rule_bit("amount_exact"),
        rule_if(pl.col("in_window"), "date_window"),
        rule_named(pl.col("kind")),
        rule_if(pl.col("m_pay").list.len() + pl.col("m_inv").list.len() > 2, "subset_sum"),
    )
    return group_candidates(groups.join(members, on="group"), score, rules)


def _invoice_pool(lp: pl.DataFrame, li: pl.DataFrame, cfg: MatchConfig) -> pl.DataFrame:
    """One payment, several invoices: the most recent invoices issued by its date, however
    late it is (a customer clearing old invoices at once is still paying them). A payment
    naming one of its payer's invoices is no target: a group of its would have to be
    the invoices it names, which the first pass reads from its reference."""
    targets = lp.filter(~pl.col("names_own")).select(
        pl.col("pay").alias("target_id"),
        "payer",
        pl.col("cents").alias("target"),
        (-pl.col("p_day").cast(pl.Int64)).alias("reach"),
    )
    items = li.select(
        pl.col("inv").alias("item"),
        "payer",
        "cents",
        (-pl.col("issue_day").cast(pl.Int64)).alias("order"),
    ).sort("payer", "order", "item", descending=[False, False, True])
    return _pool(targets, items, cfg.small_subset_pool, below=True, latest_first=True)


def _payment_pool(lp: pl.DataFrame, li: pl.DataFrame, cfg: MatchConfig) -> pl.DataFrame:
    """Several payments, one invoice (or its remaining balance): the first payments after
    it, however late (a customer paying by instalments may end long after the due date)."""
    targets = li.select(
        pl.col("inv").alias("target_id"),
        "payer",
        pl.col("cents").alias("target"),
        (pl.col("issue_day").cast(pl.Int64) - cfg.days_before_issue).alias("reach"),
    )
    items = lp.select(
        pl.col("pay").alias("item"), "payer", "cents", pl.col("p_day").cast(pl.Int64).alias("order")
    ).sort("payer", "order", "item")
    return _pool(targets, items, cfg.small_subset_pool, below=False, latest_first=False)


def _pool(
    targets: pl.DataFrame, items: pl.DataFrame, size: int, *, below: bool, latest_first: bool
) -> pl.DataFrame:
    """Per target (``target_id``, ``payer``, ``target`` and ``reach``), the first ``size``
    of its payer's ``items`` (``item``, ``payer``, ``cents``, ``order``: by payer, then
    order, then item, the latest item first on equal orders if ``latest_first``) whose
    ``order`` is at least its reach and whose cents are below its target (``below``) or
    at most it, ranked from 0 (``target_id``, ``target``, ``item``, ``cents``, ``rank``).
    A target under two payers (a subsidiary's invoice is its own and its parent's) takes
    the first of both together.

    A payer's items from a target's reach on are one run of rows, found by a binary
    search; they are read ``2 * size`` at a time, and a target still short of ``size``
    reads on, twice as many each time. So a target reads about what its pool holds,
    where a join on the payer would pair it with every item of its payer."""
    payer_of_item, count, begin, payers = runs_of(items["payer"])
    targets = targets.join(payers, on="payer")
    order = items["order"].to_numpy()
    low = int(order.min()) if order.size else 0
    # Payer and order packed as one sorted integer (one order more than the last, for a
    # reach past it: that lands on the next payer's first item, none of its own).
    packed = packing(max(count.size, 1), low, (int(order.max()) if order.size else 0) + 1)
    if packed is None:
        raise ValueError("subset pools: too many payers over too many days to search")
    key = payer_of_item * packed.span + (order - low)
    pid = targets["pid"].to_numpy()
    reach = np.clip(targets["reach"].to_numpy() - low, 0, packed.span - 1)
    lo = np.searchsorted(key, pid * packed.span + reach)
    end = (begin + count)[pid]
    target = targets["target"].to_numpy()
    cents = items["cents"].to_numpy()
    found = np.zeros(pid.size, dtype=np.int64)
    pending = np.arange(pid.size)
    width = 2 * size
    parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    while pending.size:
        hi = np.minimum(lo[pending] + width, end[pending])
        lengths = hi - lo[pending]
        rows = np.repeat(lo[pending], lengths) + positions_in_runs(lengths)
        owner = np.repeat(pending, lengths)
        fits = cents[rows] < target[owner] if below else cents[rows] <= target[owner]
        earlier = np.concatenate([[0], np.cumsum(fits)])
        rank = found[owner] + earlier[:-1] - np.repeat(earlier[run_starts(lengths)], lengths)
        kept = fits & (rank < size)
        parts.append((owner[kept], rows[kept], rank[kept]))
        found += np.bincount(owner, weights=fits, minlength=pid.size).astype(np.int64)
        lo[pending] = hi
        more = (found[pending] < size) & (hi < end[pending])
        pending = pending[more]
        width *= 2
    owner, rows, rank = (
        np.concatenate([part[column] for part in parts]) if parts else np.zeros(0, np.int64)
        for column in range(3)
    )
    pool = pl.DataFrame(
        {
            "target_id": targets["target_id"].gather(owner),
            "target": targets["target"].gather(owner),
            "item": items["item"].gather(rows),
            "cents": items["cents"].gather(rows),
            "rank": pl.Series(rank, dtype=pl.Int64),
            "order": items["order"].gather(rows),
        }
    )
    twice = pool["target_id"].is_in(
        targets.filter(pl.col("target_id").is_duplicated())["target_id"].implode()
    )
    merged = (
        pool.filter(twice)
        .sort("target_id", "order", "item", descending=[False, False, latest_first])
        .with_columns(pl.int_range(pl.len()).over("target_id").alias("rank"))
        .filter(pl.col("rank") < size)
    )
    return pl.concat([pool.filter(~twice), merged]).drop("order")


SUBSET_TARGETS_PER_BATCH = 25_000
"""Targets searched together: the partial sums of a batch are built in memory at once."""


def _subset_sums(pool: pl.DataFrame, cfg: MatchConfig, min_size: int) -> pl.DataFrame:
    """`_subset_sums_of` batch by batch of targets, so memory stays flat as data grows."""
    ordered = pool.sort("target_id", "rank")
    ids = ordered["target_id"]
    targets = ids.unique(maintain_order=True)
    if targets.len() <= SUBSET_TARGETS_PER_BATCH:
        return _subset_sums_of(ordered, cfg, min_size)
    rows = ids.search_sorted(targets.gather_every(SUBSET_TARGETS_PER_BATCH)).to_list()
    return pl.concat(
        [
            _subset_sums_of(ordered.slice(lo, hi - lo), cfg, min_size)
            for lo, hi in itertools.pairwise([*rows, ordered.height])
        ]
    )


def _subset_sums_of(pool: pl.DataFrame, cfg: MatchConfig, min_size: int) -> pl.DataFrame:
    """Groups of min_size..max_subset_size pool items (in rank order) summing exactly to
    their target, as ``target_id``, ``target`` and ``members`` (items in rank order).

    ``pool`` is sorted by target and rank, ranks numbered from 0 within each target. A
    group is a bit mask of its ranks while it is searched. Pairs are every two items whose
    sum is not past the target; a group of three is a pair and the one later item holding
    the amount the pair lacks (a look-up, not an enumeration); of four, two pairs of the
    first ``subset_pool`` items whose sums make the target; of five or six, a triple and
    a pair or two triples of the first ``large_subset_pool`` items, likewise. The work per
    target stays bounded (C(24, 2) + C(8, 3) = 332 partial sums at most; 836 with the
    pools of a later round, 24 and 16), and only exact sums are ever joined.
    """
    if pool.height and pool["rank"].max() >= RANK_BITS.len():  # type: ignore[operator]
        raise ValueError(f"small_subset_pool: at most {RANK_BITS.len()} items per target")
    items = pool.select(
        "target_id",
        "target",
        "item",
        "cents",
        "rank",
        RANK_BITS.gather(pool["rank"]).alias("bit"),
        pl.int_range(pl.len(), dtype=pl.Int64).alias("row"),
    ).with_columns((pl.col("row").max().over("target_id") + 1).alias("end"))
    singles = items.select(
        "target_id",
        "target",
        pl.col("bit").alias("mask"),
        pl.col("cents").alias("total"),
        pl.col("rank").alias("first"),
        pl.col("rank").alias("last"),
        "row",
        "end",
    )
    found = [singles.filter(pl.lit(min_size <= 1))]
    max_size = cfg.max_subset_size
    if max_size >= 2:
        pairs = _extended(singles, items, len(RANK_BITS))
        found.append(pairs)
    if max_size >= 3:
        found.append(_halves_meeting(pairs, singles))
    if max_size >= 4:
        found.append(_halves_meeting(_below(pairs, cfg.subset_pool)))
    if max_size >= 5:
        pairs = _below(pairs, cfg.large_subset_pool)
        triples = _extended(pairs, items, cfg.large_subset_pool)
        found.append(_halves_meeting(triples, pairs))
    if max_size >= 6:
        found.append(_halves_meeting(triples))
    hits = pl.concat([f.select("target_id", "target", "mask", "total") for f in found]).filter(
        pl.col("total") == pl.col("target")
    )
    return _members(hits, items)


RANK_BITS = pl.Series("bit", [1 << r for r in range(63)], dtype=pl.Int64)
"""The bit of each rank in a group's mask: a pool holds at most 63 items per target."""


def _extended(level: pl.DataFrame, items: pl.DataFrame, ranks: int) -> pl.DataFrame:
    """Each group of ``level`` still short of its target, one item longer: every later
    item of rank below ``ranks`` that does not take it past the target. Items of a target
    are consecutive rows, so the later ones are a range of rows, not a join."""
    grown = (
        level.filter((pl.col("total") < pl.col("target")) & (pl.col("last") < ranks - 1))
        .with_columns(
            pl.int_ranges(
                pl.col("row") + 1,
                pl.min_horizontal("end", pl.col("row") - pl.col("last") + ranks),
            ).alias("row")
        )
        .explode("row")
        .drop_nulls("row")
    )
    added = items.select("cents", "bit", "rank").gather(grown["row"])
    return grown.with_columns(
        (pl.col("total") + added["cents"]).alias("total"),
        (pl.col("mask") + added["bit"]).alias("mask"),
        added["rank"].alias("last"),
    ).filter(pl.col("total") <= pl.col("target"))


def _below(level: pl.DataFrame, ranks: int) -> pl.DataFrame:
    """The groups of ``level`` made of items of rank below ``ranks`` only."""
    return level.filter(pl.col("last") < ranks)


def _halves_meeting(left: pl.DataFrame, right: pl.DataFrame | None = None) -> pl.DataFrame:
    """Groups of ``left`` joined with later groups of ``right`` (itself when not given)
    that hold exactly what they lack: the two halves of a group summing to the target."""
    right = left if right is None else right
    lacking = left.filter(pl.col("total") < pl.col("target")).select(
        "target_id",
        "target",
        "mask",
        "last",
        (pl.col("target") - pl.col("total")).alias("need"),
    )
    halves = right.select(
        "target_id",
        pl.col("total").alias("need"),
        pl.col("mask").alias("mask_right"),
        "first",
    )
    packed = packing_of([lacking, halves], "target_id", "need")
    if packed is not None:
        key = packed(pl.col("target_id"), pl.col("need")).alias("meeting")
        lacking = lacking.with_columns(key)
        halves = halves.select(key, "mask_right", "first")
        on = ["meeting"]
    else:
        on = ["target_id", "need"]
    return (
        lacking.join(halves, on=on)
        .filter(pl.col("first") > pl.col("last"))
        .select(
            "target_id",
            "target",
            (pl.col("mask") + pl.col("mask_right")).alias("mask"),
            pl.col("target").alias("total"),
        )
    )


def _members(hits: pl.DataFrame, items: pl.DataFrame) -> pl.DataFrame:
    """Groups found as bit masks, as their items in rank order."""
    bits = pl.DataFrame(
        {"rank": pl.Series(range(RANK_BITS.len()), dtype=items["rank"].dtype), "bit": RANK_BITS}
    ).head(int(items["rank"].max() or 0) + 1)  # type: ignore[arg-type]
    return (
        hits.with_row_index("group")
        .join(bits, how="cross")
        .filter((pl.col("mask") & pl.col("bit")) != 0)
        .join(items.select("target_id", "rank", "item"), on=["target_id", "rank"])
        .sort("group", "rank")
        .group_by("group", maintain_order=True)
        .agg(pl.col("target_id").first(), pl.col("target").first(), pl.col("item").alias("members"))
        .drop("group")
    )
