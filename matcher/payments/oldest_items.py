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
items until that payment is allocated), after as many left open before it as a whole
run may leave (at the largest customers, items of payments no rule could place lie
both before a statement's items and among them). The sum of items i to j less item g
is the running total at j less that before i, less g: so from where the running total
passes the amount, each item's excess over it is the amount of the item to leave open,
looked up among the payer's items (`_runs_leaving_one_open`). It is looked for over
runs spanning at most `MatchConfig.small_subset_pool` items, for the payments no later
than the payer's earliest whole run (none later could be chosen before it).

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
from dataclasses import dataclass

import numpy as np
import polars as pl

from matcher.payments.candidates import group_candidates, rule_bit, rule_if, rules_mask
from matcher.payments.config import MatchConfig
from matcher.payments.counting import positions_in_runs, runs_of
from matcher.payments.leftovers import group_evidence, in_window, leftovers
from matcher.payments.packing import INT64_LIMIT, Packing, packing


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
    book = _Book.of(cents, total, ordered["issue_day"].to_numpy(), count, begin, span)
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
        # A run leaving one item open inside it, from any start a whole run may have:
        # looked for only up to each payer's earliest run found whole, as no later
        # payment could be chosen before that one.
        earliest = found.group_by("pid").agg(pl.col("p_day").min().alias("by"))
        inner = (
            sums.join(earliest, on="pid", how="left", maintain_order="left")
            .filter(pl.col("by").is_null() | (pl.col("p_day") <= pl.col("by")))
            .drop("by")
        )
        step = (
            pl.concat([found, _runs_leaving_one_open(inner, book, span)])
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


@dataclass(frozen=True)
class _Book:
    """The payers' items in issue order, by row (a payer's items are one run of rows:
    its ``n``-th is row ``begin + n - 1``): each payer's running total and the issue
    days; by payer, where its run begins and how many items; the largest of the ``span``
    items from each row on (``window_largest``: what a run from there may leave open is
    no larger); and each item by payer and amount (``items``). ``ordered`` packs payer
    and running total in one Int64 that increases over all rows, where they fit (as
    `_meeting` packs them): where a running total passes an amount is then one search."""

    total: np.ndarray
    issue_day: np.ndarray
    count: np.ndarray
    begin: np.ndarray
    span: int
    window_largest: np.ndarray
    items: _ItemsByAmount
    ordered: tuple[Packing, np.ndarray] | None

    @classmethod
    def of(
        cls,
        cents: np.ndarray,
        total: np.ndarray,
        issue_day: np.ndarray,
        count: np.ndarray,
        begin: np.ndarray,
        span: int,
    ) -> _Book:
        items = _ItemsByAmount.of(cents, count, int(cents.max()) if cents.size else 0)
        packed = packing(count.size, 0, int(total.max()) if total.size else 0)
        ordered = None
        if packed is not None:
            payer = np.repeat(np.arange(count.size, dtype=np.int64), count)
            ordered = (packed, payer * packed.span + total)
        largest = _window_largest(cents, span)
        return cls(total, issue_day, count, begin, span, largest, items, ordered)

    def passing(
        self, pid: np.ndarray, first: np.ndarray, last: np.ndarray, want: np.ndarray
    ) -> np.ndarray:
        """For runs of payer ``pid`` from item ``first``, the first item (``first`` to
        ``last``) at which its running total is more than ``want``; past ``last`` where
        none is."""
        base = self.begin[pid] - 1
        if self.ordered is not None:
            packed, keys = self.ordered
            # A total beyond the payer's largest passes none of its items: searched as
            # its largest, it lands past them, and stays inside the packed range.
            wanted = pid * packed.span + np.minimum(want, packed.span - 1)
            return np.maximum(np.searchsorted(keys, wanted, side="right") - base, first)
        passed = last + 1
        for offset in range(self.span - 1, -1, -1):
            at = first + offset
            inside = at <= last
            over = np.zeros(pid.size, dtype=bool)
            over[inside] = self.total[base[inside] + at[inside]] > want[inside]
            passed = np.where(over, at, passed)
        return passed


def _window_largest(cents: np.ndarray, span: int) -> np.ndarray:
    """The largest of ``cents[i : i + span]`` for each ``i`` (fewer at the end), by
    doubling windows: the largest of 2w items from i is that of w from i and of w from
    i + w, and two overlapping windows of a power of two cover any other width."""
    widest, width = cents.copy(), 1
    while 2 * width <= span:
        widest = np.maximum(widest, _ahead(widest, width))
        width *= 2
    return np.maximum(widest, _ahead(widest, span - width)) if width < span else widest


def _ahead(values: np.ndarray, by: int) -> np.ndarray:
    """``values[i + by]`` for each ``i``, or ``values[i]`` where that is past the end."""
    ahead = values.copy()
    if 0 < by < values.size:
        ahead[: values.size - by] = values[by:]
    return ahead


@dataclass(frozen=True)
class _ItemsByAmount:
    """Each item's row, sorted by payer and amount as one Int64 (``key``): the item a run
    leaves open is looked up by its amount, for many runs at each step, so the items are
    sorted once and searched, not hashed again at every step. Where payers times amounts
    would not fit in an Int64, the amounts are numbered (``amounts``, in order) and the
    numbers packed instead."""

    key: np.ndarray
    row: np.ndarray
    span: int
    amounts: np.ndarray | None
    held: np.ndarray
    bits: int

    @classmethod
    def of(cls, cents: np.ndarray, count: np.ndarray, largest: int) -> _ItemsByAmount:
        amounts = None
        span = largest + 1
        if count.size * span >= INT64_LIMIT:
            amounts, cents = np.unique(cents, return_inverse=True)
            span = amounts.size
        key = np.repeat(np.arange(count.size, dtype=np.int64), count) * span + cents
        row = np.argsort(key, kind="stable")
        bits = min(_HELD_BITS, max(8, (16 * key.size).bit_length()))
        held = np.zeros(1 << bits, dtype=bool)
        held[_slot(key, bits)] = True
        return cls(key[row], row, span, amounts, held, bits)

    def may_hold(self, pid: np.ndarray, cents: np.ndarray) -> np.ndarray:
        """False where no item of payer ``pid`` is of amount ``cents`` (True may still be
        none): one look-up in a table of slots, to pass over most positions before
        searching the sorted keys."""
        if self.amounts is not None:
            return np.ones(pid.size, dtype=bool)
        return self.held[_slot(pid * self.span + cents, self.bits)]

    def rows(self, pid: np.ndarray, cents: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(which, row): for each item of payer ``pid[which]`` whose amount is
        ``cents[which]``, its row."""
        if self.amounts is not None:
            number = np.searchsorted(self.amounts, cents)
            known = number < self.amounts.size
            known[known] = self.amounts[number[known]] == cents[known]
            # An amount no item holds is looked up as -1, below every key.
            cents = np.where(known, number, -1 - pid * self.span)
        wanted = pid * self.span + cents
        low = np.searchsorted(self.key, wanted, side="left")
        high = np.searchsorted(self.key, wanted, side="right")
        many = high - low
        which = np.repeat(np.arange(wanted.size), many)
        return which, self.row[np.repeat(low, many) + positions_in_runs(many)]


_HELD_BITS = 24
"""`_ItemsByAmount.may_hold`'s table has 2^bits slots, some sixteen per item up to 2^24
(16 MB): a million items fill one slot in sixteen, so about as many positions pass it
by chance."""


def _slot(key: np.ndarray, bits: int) -> np.ndarray:
    """Each key's slot in a table of 2^bits (Fibonacci hashing: the high bits of the key
    times 2^64 over the golden ratio)."""
    mixed = key.astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15)
    return (mixed >> np.uint64(64 - bits)).astype(np.int64)


def _runs_leaving_one_open(sums: pl.DataFrame, book: _Book, span: int) -> pl.DataFrame:
    """The runs of ``sums`` (a target, ``pid``, the ``first`` item of a run and
    ``total``: the payer's running total before that item plus the amount) that leave
    one item open inside them, as `_runs_met` gives runs: items ``first`` to
    ``position``, at most ``span`` of them, less the item at ``gap``, 2 or more paid,
    the last issued by the payment's day.

    A run pays more than the amount from the first item at which the payer's running
    total passes ``total``, and more with every item after it; the excess is what the
    item left open must hold. So per run only the few positions whose excess is no more
    than the largest item the run may span are read, not every item it may span, and the
    item left open is found by its amount among the payer's items."""
    pid = sums["pid"].to_numpy()
    first = sums["first"].to_numpy()
    want = sums["total"].to_numpy()
    p_day = sums["p_day"].to_numpy()
    base = book.begin[pid] - 1  # the row of a payer's position p is base + p
    last = np.minimum(book.count[pid], first + span - 1)
    at = np.maximum(book.passing(pid, first, last, want), first + 2)
    run = np.flatnonzero(at <= last)
    at = at[run]
    reached: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    while run.size:
        row = base[run] + at
        excess = book.total[row] - want[run]
        open_ = (excess <= book.window_largest[base[run] + first[run]]) & (
            book.issue_day[row] <= p_day[run]
        )
        run, at, excess = run[open_], at[open_], excess[open_]
        held = book.items.may_hold(pid[run], excess)
        reached.append((run[held], at[held], excess[held]))
        at = at + 1
        ahead = at <= last[run]
        run, at = run[ahead], at[ahead]
    runs = np.concatenate([r for r, _, _ in reached]) if reached else np.zeros(0, np.int64)
    ends = np.concatenate([a for _, a, _ in reached]) if reached else np.zeros(0, np.int64)
    excess = np.concatenate([e for _, _, e in reached]) if reached else np.zeros(0, np.int64)
    which, item_row = book.items.rows(pid[runs], excess)
    runs, ends = runs[which], ends[which]
    gap = item_row - base[runs]
    inside = (gap > first[runs]) & (gap < ends)
    runs, ends, gap = runs[inside], ends[inside], gap[inside]
    return (
        sums.select("pay", "pid", "p_day", "skip", "first")
        .gather(runs)
        .with_columns(
            pl.Series("gap", gap, dtype=pl.Int64),
            pl.Series("position", ends, dtype=pl.Int64),
            pl.Series("row", base[runs] + ends, dtype=pl.UInt32),
        )
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
