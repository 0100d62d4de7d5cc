"""Candidate pairs found by amount alone: a known payer's invoices whose open amount fits
the payment (equal, less a bank charge or a discount, nearest after a rate, or just above
it by a wire fee), and, for payers not identified, invoices of exactly the amount."""

from __future__ import annotations

from collections.abc import Callable

import polars as pl

from matcher.payments.amounts import scaled
from matcher.payments.candidates import pair_key, pair_members
from matcher.payments.config import AMOUNT_ONLY_FANOUT, EQUAL_AMOUNT_REACH, MatchConfig
from matcher.payments.counting import occurrences
from matcher.payments.packing import packing


def counterparty_amount_pairs(
    pays: pl.DataFrame, invs: pl.DataFrame, cfg: MatchConfig
) -> pl.DataFrame:
    """(pay, inv) of the same counterparty whose amounts may fit, without any reference.

    One equi-join finds every invoice whose open amount, or open amount less a fixed
    bank charge, equals the payment (so equal invoices are all seen and tie); a
    nearest-amount as-of join finds the closest other invoice of that counterparty; and
    as-of joins stepping from invoice to invoice (`_neighbours`) find those within a cent
    of the payment less each discount or card fee, a round wire fee above it, or around
    its converted amount, up to `NEIGHBOUR_REACH` each; a payment of whole units meets
    the invoices that round to it (`_rounded_pairs`).
    """
    # One key per payer and currency, amounts in order within it: the as-of joins below
    # then read each payer's invoices as one run (equal amounts in invoice order).
    known = known_payer_amounts(pays).select("pay", _payer(), "key").sort("payer", "key")
    base = payer_invoices(invs).select("inv", _payer(), "cents", "issue_day", "disc_cents")
    charges = [0, *(int(charge * 100) for charge in cfg.bank_charges)]
    exact = pl.concat(
        [
            base.select("inv", "payer", (pl.col("cents") - c).alias("key"), "issue_day")
            for c in charges
        ]
        + [
            base.drop_nulls("disc_cents").select(
                "inv",
                "payer",
                (pl.col("cents") - pl.col("disc_cents")).alias("key"),
                "issue_day",
            )
        ]
    )
    # Many equal amounts of one counterparty (a subscription) would pair every payment with
    # every invoice: there, the n-th payment of an amount (by date) meets the invoices of
    # that amount ranked n - EQUAL_AMOUNT_REACH .. n + EQUAL_AMOUNT_REACH (oldest first).
    # They still tie, so none of them is auto, and oldest-first is kept.
    known, exact, keys = one_payer_key(known, exact)
    exact = exact.join(known.select(keys), on=keys, how="semi").with_columns(
        pl.len().over(keys).alias("n")
    )
    few = pl.col("n") <= 2 * EQUAL_AMOUNT_REACH + 1
    found = [known.join(exact.filter(few), on=keys).select("pay", "inv")]
    many = exact.filter(~few)
    if many.height:
        reach = pl.int_ranges(
            pl.col("rank") - EQUAL_AMOUNT_REACH, pl.col("rank") + EQUAL_AMOUNT_REACH + 1
        )
        paying = (
            known.join(many.select(keys).unique(), on=keys)
            .join(pays.select("pay", "p_day"), on="pay")
            .sort("p_day", "pay")
            .with_columns(pl.int_range(pl.len()).over(keys).alias("rank"))
            .with_columns(reach.alias("rank"))
            .explode("rank")
        )
        owing = many.sort("issue_day", "inv").with_columns(
            pl.int_range(pl.len()).over(keys).alias("rank")
        )
        found.append(paying.join(owing, on=[*keys, "rank"]).select("pay", "inv"))
    # Scaling keeps amounts in order, so one sort serves every rate (equally near
    # invoices: the smaller open amount, then the first invoice).
    owed = base.select("inv", "payer", "cents").sort("payer", "cents", "inv")
    found.append(_nearest_pairs(known, owed))
    # Less a discount or a card fee: every invoice (up to `NEIGHBOUR_REACH`) that rate
    # brings within a cent of the payment, so invoices of equal amounts all tie.
    rates = [rate for rate, _ in cfg.early_payment_discounts] + list(cfg.card_fee_rates)
    near_key = known.select(
        "pay", "payer", (pl.col("key") - 1).alias("at"), (pl.col("key") + 1).alias("end")
    )
    for rate in rates:
        at_rate = owed.select("inv", "payer", scaled(pl.col("cents"), rate).alias("cents"))
        found += _neighbours(near_key, at_rate, "forward", presorted=True)
    found += _wire_fee_pairs(known, owed, cfg) + _converted_pairs(pays, known, owed, cfg)
    found += _rounded_pairs(known, owed, cfg)
    return pl.concat(found).select(pair_key()).unique().select(*pair_members())


def _nearest_pairs(known: pl.DataFrame, owed: pl.DataFrame) -> pl.DataFrame:
    """(pay, inv) of each payment and its payer's invoice nearest in amount. ``known``
    holds ``pay``, ``payer`` and ``key`` sorted by payer and key; ``owed`` holds ``inv``,
    ``payer`` and ``cents`` sorted by payer and cents. On one axis of payer and amount
    (`payer_amount_axis`, as `_neighbours`) with the payers' amounts three of their
    ranges apart, so that another payer's invoice is always farther than any of the
    payer's own, and met only when the payer has none; by payer where that axis does not
    fit in an Int64."""
    if known.height == 0 or owed.height == 0:
        return pl.DataFrame(schema={"pay": known.schema["pay"], "inv": owed.schema["inv"]})
    amounts = pl.concat(
        [known.select("payer", "key"), owed.select("payer", pl.col("cents").alias("key"))]
    )
    low, high = amounts.select(
        pl.col("key").min().alias("low"), pl.col("key").max().alias("high")
    ).row(0)
    axis = payer_amount_axis(amounts, margin=high - low + 1)
    if axis is None:
        nearest = known.join_asof(
            owed.select("inv", "payer", pl.col("cents").alias("key")),
            on="key",
            by="payer",
            strategy="nearest",
            check_sortedness=False,
        )
        return nearest.drop_nulls("inv").select("pay", "inv")
    return (
        known.with_columns(axis(pl.col("key")).alias("axis"))
        .join_asof(
            owed.select("inv", pl.col("payer").alias("owner"), axis(pl.col("cents")).alias("axis")),
            on="axis",
            strategy="nearest",
            check_sortedness=False,
        )
        .filter(pl.col("owner") == pl.col("payer"))
        .select("pay", "inv")
    )


def _wire_fee_pairs(
    known: pl.DataFrame, owed: pl.DataFrame, cfg: MatchConfig
) -> list[pl.DataFrame]:
    """A wire fee off the top: the `NEIGHBOUR_REACH` nearest invoices above the payment
    by ``min_bank_fee`` to ``max_bank_fee`` and by a whole number of ``bank_fee_unit``
    (a bank's tariff is a round amount, see `MatchConfig`). Not the nearest alone: a
    payer with many open invoices often has one a few pounds above the payment that is
    not the one paid."""
    low, high = int(cfg.min_bank_fee * 100), int(cfg.max_bank_fee * 100)
    unit = max(1, int(cfg.bank_fee_unit * 100))

    # Amounts of one residue modulo the unit laid out apart from the others' on one
    # axis, so one as-of join per payer finds the nearest of the payment's residue. The
    # residues lie just far enough apart for none to reach the next (``apart`` above
    # every amount and fee), so that the axis stays narrow enough to hold the payer too
    # (`_payer_axis`).
    apart = 1 + high + max(0, known["key"].max() or 0, owed["cents"].max() or 0)  # type: ignore[operator]

    def on_axis(cents: pl.Expr) -> pl.Expr:
        return (cents % unit) * apart + cents

    left = known.select(
        "pay",
        "payer",
        (on_axis(pl.col("key")) + low).alias("at"),
        (on_axis(pl.col("key")) + high).alias("end"),
    )
    # Stable: of invoices of one amount the first (``owed`` is in invoice order within an
    # amount) is met first, whatever the size of the frame.
    right = owed.select("inv", "payer", on_axis(pl.col("cents")).alias("cents")).sort(
        "payer", "cents", maintain_order=True
    )
    return _neighbours(left, right, "forward")


def _rounded_pairs(known: pl.DataFrame, owed: pl.DataFrame, cfg: MatchConfig) -> list[pl.DataFrame]:
    """A payment of whole units (a payer rounding the invoice's amount): every invoice of
    the payer that rounds to it and lies within ``rounding_tolerance`` of it (half a unit
    either way at most), not the nearest alone, which for a payer with many open
    invoices is often another one (or one not issued yet) a few pence nearer. Invoices
    of whole units are left to the equal-amount join, and an amount that more than
    ``2 * EQUAL_AMOUNT_REACH + 1`` invoices round to is skipped (the nearest-amount join
    still offers one of them)."""
    unit, half = 100, 50
    whole = known.filter(pl.col("key") % unit == 0).select("pay", "payer", "key")
    if cfg.rounding_tolerance <= 0 or whole.height == 0:
        return []
    pence = owed.filter(pl.col("cents") % unit != 0)
    reach = min(half, int(cfg.rounding_tolerance * unit))
    rounded = pl.concat(
        [
            pence.select(
                "inv", "payer", "cents", ((pl.col("cents") + half) // unit * unit).alias("key")
            ),
            # Half a unit exactly rounds either way.
            pence.filter(pl.col("cents") % unit == half).select(
                "inv", "payer", "cents", (pl.col("cents") - half).alias("key")
            ),
        ]
    ).filter((pl.col("cents") - pl.col("key")).abs() <= reach)
    rounded = rounded.join(whole.select("payer", "key").unique(), on=["payer", "key"], how="semi")
    few = pl.len().over("payer", "key") <= 2 * EQUAL_AMOUNT_REACH + 1
    return [whole.join(rounded.filter(few), on=["payer", "key"]).select("pay", "inv")]


def _converted_pairs(
    pays: pl.DataFrame, known: pl.DataFrame, owed: pl.DataFrame, cfg: MatchConfig
) -> list[pl.DataFrame]:
    """A receipt converted from another currency: the `NEIGHBOUR_REACH` nearest invoices
    on either side of its converted amount within ``fx_tolerance``. The day's rate is
    not the payer's bank's (a spread, a rate some days old), so the nearest invoice is
    not always the one paid; the date window and the other evidence decide."""
    converted = known.join(pays.filter(pl.col("p_fx")).select("pay"), on="pay", how="semi")
    if converted.height == 0:
        return []
    # A filter, not a semi join: `_neighbours` reads ``owed`` in its sorted order, which
    # a join does not promise to keep.
    owed = owed.filter(pl.col("payer").is_in(converted["payer"].unique().implode()))
    band = (pl.col("key").cast(pl.Float64) * float(cfg.fx_tolerance)).ceil().cast(pl.Int64)
    up = converted.select(
        "pay", "payer", pl.col("key").alias("at"), (pl.col("key") + band).alias("end")
    )
    down = converted.select(
        "pay", "payer", (pl.col("key") - 1).alias("at"), (pl.col("key") - band).alias("end")
    )
    return _neighbours(up, owed, "forward") + _neighbours(down, owed, "backward")


def _neighbours(
    left: pl.DataFrame, owed: pl.DataFrame, strategy: str, *, presorted: bool = False
) -> list[pl.DataFrame]:
    """(pay, inv) of the `NEIGHBOUR_REACH` invoices of the payer nearest to ``at`` in the
    direction of ``strategy`` ("forward": at or above it, "backward": at or below it),
    up to ``end``. ``left`` holds ``pay``, ``payer``, ``at`` and ``end``; ``owed`` holds
    ``inv``, ``payer`` and ``cents``, sorted by payer and cents; ``presorted`` says
    ``left`` is sorted by payer and ``at`` already.

    An as-of join meets one invoice per amount, and the next step starts past that
    amount: so every invoice of an amount met is paired too, where the payer has at
    most ``2 * EQUAL_AMOUNT_REACH + 1`` of it. Two open invoices of one amount (a
    customer ordering the same again) both fit a receipt less a fee, or converted, as
    well as either; which one it paid is for the dates and the other payments to
    decide, not for the order the join happens to meet them in.

    Payer and amount are one integer (`_payer_axis`) where their ranges allow it: an
    as-of join on one sorted column merges the two frames in one sweep, where one ``by``
    payer hashes every row into a group first (at millions of payers, that costs more
    per row the more payers there are). The invoice met is dropped when it is another
    payer's: the payer's own were all short of ``at`` (or past it, backward). Amounts
    too wide for the axis are joined ``by`` payer."""
    axis = _payer_axis(left, owed)
    forward = strategy == "forward"
    right = owed.select(
        "inv",
        pl.col("payer").alias("owner"),
        "cents",
        (axis(pl.col("cents")) if axis else pl.col("cents")).alias("axis"),
        *([] if axis else ["payer"]),
    )
    by: dict[str, str] = {} if axis else {"by": "payer"}
    order = ["axis"] if axis else ["payer", "axis"]
    within = pl.col("cents") <= pl.col("end") if forward else pl.col("cents") >= pl.col("end")
    step = pl.col("cents") + 1 if forward else pl.col("cents") - 1
    found, amounts = [], []
    for step_number in range(NEIGHBOUR_REACH):
        if left.height == 0:
            break
        placed = left.with_columns((axis(pl.col("at")) if axis else pl.col("at")).alias("axis"))
        near = (
            (placed if presorted and step_number == 0 else placed.sort(order))
            .join_asof(
                right,
                on="axis",
                strategy=strategy,  # type: ignore[arg-type]
                check_sortedness=False,
                **by,  # type: ignore[arg-type]
            )
            .filter((pl.col("owner") == pl.col("payer")) & within)
        )
        found.append(near.select("pay", "inv"))
        amounts.append(near.select("pay", "payer", "cents"))
        left = near.select("pay", "payer", step.alias("at"), "end")
    if amounts:
        # Counted before the join: a payer's hundreds of invoices of one amount (a
        # subscription) met by its hundreds of payments must not be paired all with all.
        few = right.filter(_run_lengths(owed) <= 2 * EQUAL_AMOUNT_REACH + 1)
        met = pl.concat(amounts)
        # On the axis, payer and amount are one column to join on, as for the as-of join.
        equal = (
            met.select("pay", axis(pl.col("cents")).alias("axis"))
            .unique()
            .join(few.select("inv", "axis"), on="axis")
            if axis
            else met.unique().join(
                few.select("inv", pl.col("owner").alias("payer"), "cents"), on=["payer", "cents"]
            )
        )
        found.append(equal.select("pay", "inv"))
    return found


def _run_lengths(owed: pl.DataFrame) -> pl.Series:
    """Per invoice of ``owed`` (sorted by ``payer`` and ``cents``), how many invoices its
    payer has of its amount: the length of its run of equal (payer, cents), counted in
    one pass over the sorted rows, not hashed into millions of (payer, cents) groups."""
    run = owed.select(pl.struct("payer", "cents").rle_id())
    return pl.Series(occurrences(run.to_series().to_numpy()))


def _payer_axis(left: pl.DataFrame, owed: pl.DataFrame) -> Callable[[pl.Expr], pl.Expr] | None:
    """`payer_amount_axis` for the amounts `_neighbours` looks at: from ``at``, one step
    either way, to ``owed``'s ``cents``."""
    if left.height == 0 or owed.height == 0:
        return None
    return payer_amount_axis(
        pl.concat(
            [
                left.select("payer", pl.col("at").alias("key")),
                owed.select("payer", pl.col("cents").alias("key")),
            ]
        ),
        margin=1,
    )


def payer_amount_axis(
    amounts: pl.DataFrame, margin: int = 0
) -> Callable[[pl.Expr], pl.Expr] | None:
    """An amount of a payer as one Int64 that orders as (``payer``, amount) does, for the
    amounts of ``amounts`` (``payer`` and ``key``) and up to ``margin`` beyond them;
    None where payers times amounts do not fit in it."""
    cp, cur = pl.col("payer") // (1 << 32), pl.col("payer") % (1 << 32)
    high_cp, high_cur, low, high = amounts.select(
        cp.max().alias("cp"),
        cur.max().alias("cur"),
        pl.col("key").min().alias("low"),
        pl.col("key").max().alias("high"),
    ).row(0)
    currencies = high_cur + 1
    packed = packing((high_cp + 1) * currencies, low - margin, high + margin)
    if packed is None:
        return None

    def axis(amount: pl.Expr) -> pl.Expr:
        return packed(cp * currencies + cur, amount)

    return axis


NEIGHBOUR_REACH = 4
"""How many invoices nearest to an uncertain amount (less a discount or a card fee, less
a round wire fee, converted) are looked at on each side it may lie."""


def one_payer_key(
    known: pl.DataFrame, exact: pl.DataFrame
) -> tuple[pl.DataFrame, pl.DataFrame, list[str]]:
    """Both frames with ``payer`` and ``key`` also as one integer ``payer_key`` where their
    ranges allow it (a join or group on one column hashes far faster than on two), and the
    columns to join on: ``payer_key``, or ``payer`` and ``key`` where they do not fit."""
    if known.height == 0 or exact.height == 0:
        return known, exact, ["payer", "key"]
    axis = payer_amount_axis(
        pl.concat([known.select("payer", "key"), exact.select("payer", "key")])
    )
    if axis is None:
        return known, exact, ["payer", "key"]
    payer_key = axis(pl.col("key")).alias("payer_key")
    return known.with_columns(payer_key), exact.with_columns(payer_key), ["payer_key"]


def _payer() -> pl.Expr:
    """``payer``: the counterparty code ``cp`` and currency code ``cur`` as one key."""
    return payer_code(pl.col("cp"), pl.col("cur"))


def payer_code(counterparty: pl.Expr, currency: pl.Expr) -> pl.Expr:
    """``payer``: a counterparty code and a currency code (UInt32 each) as one key."""
    return (counterparty.cast(pl.UInt64) * pl.lit(1 << 32, dtype=pl.UInt64) + currency).alias(
        "payer"
    )


def known_payer_amounts(pays: pl.DataFrame) -> pl.DataFrame:
    """Payments of known payers as ``pay``, ``cp``, ``cur`` and ``key`` (cents), by key:
    the left side of the amount joins."""
    return (
        pays.filter(pl.col("p_cp").is_not_null())
        .select(
            "pay",
            pl.col("p_cp").alias("cp"),
            pl.col("p_cur").alias("cur"),
            pl.col("cents").alias("key"),
        )
        .sort("key")
    )


def payer_invoices(invs: pl.DataFrame) -> pl.DataFrame:
    """Invoices under ``cp``/``cur`` names, once under their own counterparty and once
    more under their parent (who may pay for them) where they have one."""
    own = invs.with_columns(pl.col("i_cp").alias("cp"), pl.col("i_cur").alias("cur"))
    by_parent = own.filter(pl.col("i_parent").is_not_null()).with_columns(
        pl.col("i_parent").alias("cp")
    )
    return pl.concat([own, by_parent])


def unknown_payer_amount_pairs(pays: pl.DataFrame, invs: pl.DataFrame) -> pl.DataFrame:
    """(pay, inv) of exactly equal amount for payers not identified: only worth a look when
    the reference is one slip from the invoice number (checked later). Amounts shared by
    more than `AMOUNT_ONLY_FANOUT` open invoices of the whole book (``amount_peers``) are
    skipped: too common to mean anything.
    """
    unknown = pays.filter(pl.col("p_cp").is_null() & pl.col("ref_longest").is_not_null())
    rare = invs.filter(pl.col("amount_peers") <= AMOUNT_ONLY_FANOUT)
    return (
        unknown.select("pay", pl.col("p_cur").alias("i_cur"), "cents")
        .join(rare.select("inv", "i_cur", "cents"), on=["i_cur", "cents"])
        .select("pay", "inv", pl.lit(False).alias("via_ref"))
    )
