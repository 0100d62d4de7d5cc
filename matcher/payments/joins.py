"""First pass of the payment matcher: candidates found by joins.

Invoice numbers read from a payment's reference (exactly, inside free text, or one slip
away), and same-counterparty amounts that fit (equal, after a discount or fee, within
rounding or tolerance); each pair is scored from the evidence that fired. A payment
whose reference names several invoices that together fit its amount is a group.
"""

from __future__ import annotations

from decimal import Decimal

import polars as pl
from rapidfuzz.distance import OSA
from rapidfuzz.process import cpdist

from matcher.payments.amounts import TermsDiscount, amount_relation, amount_weight, scaled
from matcher.payments.candidates import (
    CANDIDATE_SCHEMA,
    group_candidates,
    rule_bit,
    rule_if,
    rule_named,
    rules_mask,
)
from matcher.payments.config import (
    AMOUNT_ONLY_FANOUT,
    EQUAL_AMOUNT_REACH,
    FITTING_RELATIONS,
    MatchConfig,
    ScoreWeights,
)


def first_pass_candidates(pays: pl.DataFrame, invs: pl.DataFrame, cfg: MatchConfig) -> pl.DataFrame:
    """Every join candidate, single pairs and reference groups, in `CANDIDATE_SCHEMA`."""
    pairs = _scored(_evidence(_candidate_pairs(pays, invs, cfg), cfg), cfg.weights)
    singles = _singles(pairs.filter(_kept()), cfg.weights)
    # Invoices named outside the date window, or numbers read as slips only as part of a
    # group, are too weak alone; several that sum to the amount are a group.
    groups = _reference_groups(pairs, cfg)
    return pl.concat(
        [
            singles.select(
                pl.concat_list("pay").alias("m_pay"),
                pl.concat_list("inv").alias("m_inv"),
                *[c for c in CANDIDATE_SCHEMA if c not in ("m_pay", "m_inv")],
            ),
            groups.select(CANDIDATE_SCHEMA.names()),
        ],
        how="vertical_relaxed",
    )


def _candidate_pairs(pays: pl.DataFrame, invs: pl.DataFrame, cfg: MatchConfig) -> pl.DataFrame:
    """(pay, inv) pairs worth a look, in one currency, with both sides' columns and
    ``via_ref`` (the payment's reference names the invoice's number)."""
    by_reference = (
        pays.select("pay", pl.col("ref_numbers").alias("num_key"))
        .explode("num_key")
        .drop_nulls("num_key")
        .join(invs.select("inv", "num_key").drop_nulls("num_key"), on="num_key")
        .select("pay", "inv", pl.lit(True).alias("via_ref"))
    )
    by_amount = _counterparty_amount_pairs(pays, invs, cfg).with_columns(
        pl.lit(False).alias("via_ref")
    )
    no_slip = pl.lit(False).alias("slip")
    pairs = (
        pl.concat(
            [
                by_reference.with_columns(no_slip),
                by_amount.with_columns(no_slip),
                _unknown_payer_amount_pairs(pays, invs).with_columns(no_slip),
                _mistyped_reference_pairs(pays, invs, by_reference),
            ],
            how="diagonal",
        )
        .group_by(pair_key())
        .agg(
            pl.col("via_ref").any(),
            (pl.col("slip") & pl.col("alone").fill_null(True)).any().alias("slip"),
            pl.col("slip").any().alias("group_slip"),
            pl.col("typed").min(),
        )
        .select(*pair_members(), pl.exclude("pair"))
    )
    # ``pay`` and ``inv`` are row numbers: both sides' columns are gathered, not joined.
    return pl.concat(
        [
            pairs,
            pays.drop("pay", "payment_id", "ref_numbers").gather(pairs["pay"]),
            invs.drop("inv", "invoice_id").rename({"cents": "cents_right"}).gather(pairs["inv"]),
        ],
        how="horizontal",
    ).filter(pl.col("p_cur") == pl.col("i_cur"))


def pair_key() -> pl.Expr:
    """``pair``: a (``pay``, ``inv``) pair of row numbers as one integer, which groups and
    deduplicates faster than the two columns do."""
    return (pl.col("pay").cast(pl.UInt64) * (1 << 32) + pl.col("inv").cast(pl.UInt64)).alias("pair")


def pair_members() -> tuple[pl.Expr, pl.Expr]:
    """``pay`` and ``inv`` read back from `pair_key`."""
    return (
        (pl.col("pair") // (1 << 32)).cast(pl.UInt32).alias("pay"),
        (pl.col("pair") % (1 << 32)).cast(pl.UInt32).alias("inv"),
    )


def _evidence(pairs: pl.DataFrame, cfg: MatchConfig) -> pl.DataFrame:
    """Pairs with what speaks for them: reference exact or fuzzy, same or unknown
    counterparty, in the date window, and how the amounts relate (``fits`` when they do)."""
    pairs = _fuzzy_reference(pairs)
    window = pl.col("p_day").is_between(
        pl.col("issue_day") - cfg.days_before_issue, pl.col("due_day") + cfg.days_after_due
    )
    via_parent = (pl.col("p_cp") == pl.col("i_parent")) & (pl.col("p_cp") != pl.col("i_cp"))
    return pairs.with_columns(
        (pl.col("via_ref") & (pl.col("ref_norm") == pl.col("num_norm"))).alias("ref_exact"),
        ((pl.col("p_cp") == pl.col("i_cp")) | via_parent).fill_null(False).alias("same_cp"),
        via_parent.fill_null(False).alias("via_parent"),
        pl.col("p_cp").is_null().alias("cp_unknown"),
        window.alias("in_window"),
        (pl.col("p_day") >= pl.col("issue_day") - cfg.days_before_issue).alias("issued"),
        amount_relation(
            pl.col("cents"),
            pl.col("cents_right"),
            pl.col("p_day"),
            pl.col("issue_day"),
            cfg,
            TermsDiscount(pl.col("disc_cents"), pl.col("disc_day")),
            pl.col("p_fx"),
        ).alias("relation"),
    ).with_columns(pl.col("relation").is_in(FITTING_RELATIONS).alias("fits"))


def _kept() -> pl.Expr:
    """Which pairs have enough evidence to be candidates at all. A pair found by its
    amount alone needs an invoice issued by the payment's date (``issued``: up to
    ``days_before_issue`` after it): nothing else says the payment was meant for it."""
    compatible = pl.col("same_cp") | pl.col("cp_unknown")
    keep = (
        (
            pl.col("via_ref")
            & compatible
            & (pl.col("fits") | pl.col("same_cp") | pl.col("in_window"))
        )
        | (
            ~pl.col("via_ref")
            & pl.col("fits")
            & (
                (pl.col("same_cp") & pl.col("issued"))
                | (pl.col("cp_unknown") & pl.col("ref_fuzzy") & pl.col("in_window"))
            )
        )
        | (~pl.col("via_ref") & pl.col("same_cp") & pl.col("ref_fuzzy") & pl.col("in_window"))
        | (pl.col("same_cp") & (pl.col("relation") == "discount_after_date") & pl.col("in_window"))
    )
    return keep


def _scored(pairs: pl.DataFrame, w: ScoreWeights) -> pl.DataFrame:
    """Pairs with their ``score`` (the weights of the evidence that fired) and ``rules``."""
    ref_weight = (
        pl.when(pl.col("ref_exact"))
        .then(w.reference_exact)
        .when(pl.col("via_ref"))
        .then(w.reference_in_text)
        .when(pl.col("ref_fuzzy"))
        .then(w.reference_fuzzy)
        .otherwise(0.0)
    )
    cp_weight = (
        pl.when(pl.col("same_cp"))
        .then(w.same_counterparty)
        .when(pl.col("cp_unknown"))
        .then(w.counterparty_unknown)
        .otherwise(0.0)
    )
    score = (
        ref_weight
        + cp_weight
        + amount_weight(pl.col("relation"), w)
        + pl.when(pl.col("in_window")).then(w.date_window).otherwise(0.0)
    ).clip(0.0, 1.0)
    rules = rules_mask(
        rule_if(pl.col("ref_exact"), "reference_exact"),
        rule_if(pl.col("via_ref") & ~pl.col("ref_exact"), "reference_in_text"),
        rule_if(pl.col("ref_fuzzy"), "reference_fuzzy"),
        rule_if(pl.col("same_cp") & ~pl.col("via_parent"), "same_counterparty"),
        rule_if(pl.col("via_parent"), "parent_counterparty"),
        rule_if(pl.col("cp_unknown"), "counterparty_unknown"),
        rule_named(pl.col("relation")),
        rule_if(pl.col("in_window"), "date_window"),
    )
    return pairs.with_columns(score=score, rules=rules)


def _singles(pairs: pl.DataFrame, w: ScoreWeights) -> pl.DataFrame:
    """Scored pairs as one-to-one candidates, with their score as a rival and tie-breakers.

    As a rival, a reference one slip from the number, with an amount that fits, counts
    as much as an exact reference: the slip may as well be in the other reference.
    """
    rival_score = (
        pl.when(pl.col("ref_fuzzy") & pl.col("fits"))
        .then(pl.col("score") + (w.reference_exact - w.reference_fuzzy))
        .otherwise(pl.col("score"))
    )
    return pairs.select(
        "pay",
        "inv",
        "score",
        rival_score.alias("rival_score"),
        "fits",
        "rules",
        pl.col("issue_day").alias("tb_newest"),
        pl.col("issue_day").cast(pl.Int64).alias("tb_sum"),
        pl.col("p_day").alias("tb_pay_day"),
    )


def _counterparty_amount_pairs(
    pays: pl.DataFrame, invs: pl.DataFrame, cfg: MatchConfig
) -> pl.DataFrame:
    """(pay, inv) of the same counterparty whose amounts may fit, without any reference.

    One equi-join finds every invoice whose open amount, or open amount less a fixed
    bank charge, equals the payment (so equal invoices are all seen and tie); one
    nearest-amount as-of join per rate (none, each discount, each card fee) finds the
    closest other invoice of that counterparty, within a cent of the rate's amount.
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
    known, exact, keys = _one_payer_key(known, exact)
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
    rates: list[tuple[Decimal | None, int | None]] = [(None, None)]
    rates += [(rate, 1) for rate, _ in cfg.early_payment_discounts]
    rates += [(rate, 1) for rate in cfg.card_fee_rates]
    # Scaling keeps amounts in order, so one sort serves every rate (equally near
    # invoices: the smaller open amount, then the first invoice).
    owed = base.select("inv", "payer", "cents").sort("payer", "cents", "inv")
    for rate, tolerance in rates:
        key = pl.col("cents") if rate is None else scaled(pl.col("cents"), rate)
        right = owed.select("inv", "payer", key.alias("key"))
        joined = known.join_asof(
            right,
            on="key",
            by="payer",
            strategy="nearest",
            tolerance=tolerance,
            check_sortedness=False,
        )
        found.append(joined.drop_nulls("inv").select("pay", "inv"))
    # A wire fee off the top: the nearest invoice above the payment, by at most the fee.
    above = known.join_asof(
        owed.select("inv", "payer", pl.col("cents").alias("key")),
        on="key",
        by="payer",
        strategy="forward",
        tolerance=int(cfg.max_bank_fee * 100),
        check_sortedness=False,
    )
    found.append(above.drop_nulls("inv").select("pay", "inv"))
    return pl.concat(found).select(pair_key()).unique().select(*pair_members())


def _one_payer_key(
    known: pl.DataFrame, exact: pl.DataFrame
) -> tuple[pl.DataFrame, pl.DataFrame, list[str]]:
    """Both frames with ``payer`` and ``key`` also as one integer ``payer_key`` where their
    ranges allow it (a join or group on one column hashes far faster than on two), and the
    columns to join on: ``payer_key``, or ``payer`` and ``key`` where they do not fit."""
    if known.height == 0 or exact.height == 0:
        return known, exact, ["payer", "key"]
    both = pl.concat([known.select("payer", "key"), exact.select("payer", "key")])
    cp, cur = pl.col("payer") // (1 << 32), pl.col("payer") % (1 << 32)
    high_cp, high_cur, low_key, high_key = both.select(
        cp.max().alias("cp"),
        cur.max().alias("cur"),
        pl.col("key").min().alias("low"),
        pl.col("key").max().alias("high"),
    ).row(0)
    currencies, span = high_cur + 1, high_key - low_key + 1
    if (high_cp + 1) * currencies * span >= 1 << 63:
        return known, exact, ["payer", "key"]
    payer_key = ((cp * currencies + cur).cast(pl.Int64) * span + (pl.col("key") - low_key)).alias(
        "payer_key"
    )
    return known.with_columns(payer_key), exact.with_columns(payer_key), ["payer_key"]


def _payer() -> pl.Expr:
    """``payer``: the counterparty code ``cp`` and currency code ``cur`` as one key."""
    return (pl.col("cp").cast(pl.UInt64) * pl.lit(1 << 32, dtype=pl.UInt64) + pl.col("cur")).alias(
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


def _unknown_payer_amount_pairs(pays: pl.DataFrame, invs: pl.DataFrame) -> pl.DataFrame:
    """(pay, inv) of exactly equal amount for payers not identified: only worth a look when
    the reference is one slip from the invoice number (checked later). Amounts shared by
    more than `AMOUNT_ONLY_FANOUT` open invoices are skipped: too common to mean anything.
    """
    unknown = pays.filter(pl.col("p_cp").is_null() & pl.col("ref_longest").is_not_null())
    common = (
        invs.group_by("i_cur", "cents")
        .len()
        .filter(pl.col("len") <= AMOUNT_ONLY_FANOUT)
        .drop("len")
    )
    return (
        unknown.select("pay", pl.col("p_cur").alias("i_cur"), "cents")
        .join(common, on=["i_cur", "cents"])
        .join(invs.select("inv", "i_cur", "cents"), on=["i_cur", "cents"])
        .select("pay", "inv", pl.lit(False).alias("via_ref"))
    )


def _mistyped_reference_pairs(
    pays: pl.DataFrame, invs: pl.DataFrame, by_reference: pl.DataFrame
) -> pl.DataFrame:
    """(pay, inv) of the same payer whose numbers are one slip apart, for every number of
    a reference that names none of that payer's invoices: a partial payment with a
    mistyped number, or a remittance listing several invoices with slips in some.
    Candidates share a one-deletion variant of their keys (which every substitution and
    transposition does); those one slip apart are marked ``slip``, with the number
    ``typed``. A payer not identified whose reference names invoices of one group (a
    customer, or a parent and its subsidiaries) more than of any other is taken to be
    that group, for this search alone (`_named_group`)."""
    payer = payer_invoices(invs).select("inv", "cp", "num_key")
    guessed = _named_group(pays, invs, by_reference)
    known = pl.concat(
        [
            pays.filter(pl.col("p_cp").is_not_null()).with_columns(pl.lit(False).alias("guess")),
            pays.join(guessed, on="pay")
            .with_columns(pl.col("cp").alias("p_cp"), pl.lit(True).alias("guess"))
            .select(*pays.columns, "guess"),
        ]
    )
    named = (
        by_reference.join(known.select("pay", pl.col("p_cp").alias("cp")), on="pay")
        .join(payer, on=["inv", "cp"])
        .select("pay", pl.col("num_key").alias("key"))
    )
    # A reference naming some of the payer's invoices: its other numbers may be slips;
    # one naming none: its longest number may be, and its other numbers only as part of
    # a group (alone they are more likely bank noise): ``alone`` says which. A guessed
    # payer's slips count only as part of a group.
    some = known.join(named.select("pay").unique(), on="pay", how="semi")
    none = known.join(some.select("pay"), on="pay", how="anti")
    typed = (
        pl.concat(
            [
                some.select(
                    "pay",
                    pl.col("p_cp").alias("cp"),
                    pl.col("ref_numbers").alias("key"),
                    (~pl.col("guess")).alias("alone"),
                ).explode("key"),
                none.select(
                    "pay",
                    pl.col("p_cp").alias("cp"),
                    pl.col("ref_numbers").alias("key"),
                    "ref_longest",
                )
                .explode("key")
                .select(
                    "pay", "cp", "key", (pl.col("key") == pl.col("ref_longest")).alias("alone")
                ),
            ]
        )
        .filter(pl.col("key").str.len_chars() >= 3)
        .join(named, on=["pay", "key"], how="anti")
        .unique(["pay", "key"], keep="first", maintain_order=True)
    )
    numbers = payer.filter(pl.col("num_key").str.len_chars() >= 3).select(
        "inv", "cp", pl.col("num_key").alias("key")
    )
    # One slip apart means the same length (a digit mistyped, two swapped) or one more
    # (a digit dropped): only the payer's numbers of such a length can meet a typed one.
    length = pl.col("key").str.len_chars().alias("length")
    typed_lengths = typed.select("cp", length)
    reachable = pl.concat(
        [typed_lengths, typed_lengths.with_columns(pl.col("length") + 1)]
    ).unique()
    numbers = (
        numbers.with_columns(length).join(reachable, on=["cp", "length"], how="semi").drop("length")
    )
    near = (
        _deletion_variants(typed.with_columns(pl.col("key").alias("typed")), "pay", "typed")
        .join(_deletion_variants(numbers, "inv", "key"), on=["cp", "variant"])
        .select("pay", "inv", "typed", "key")
        .unique()
        .join(typed.select("pay", pl.col("key").alias("typed"), "alone"), on=["pay", "typed"])
    )
    distance = cpdist(
        near["typed"].to_list(), near["key"].to_list(), scorer=OSA.distance, workers=-1
    )
    return (
        near.with_columns(pl.Series("distance", distance, dtype=pl.Int64))
        .filter(pl.col("distance") == 1)
        .sort("pay", "inv", "alone", "typed", descending=[False, False, True, False])
        .select(
            "pay",
            "inv",
            pl.lit(False).alias("via_ref"),
            pl.lit(True).alias("slip"),
            "typed",
            "alone",
        )
        .unique(["pay", "inv"], keep="first", maintain_order=True)
    )


def _named_group(
    pays: pl.DataFrame, invs: pl.DataFrame, by_reference: pl.DataFrame
) -> pl.DataFrame:
    """``pay``, ``cp``: for a payer not identified, the group (a parent and its
    subsidiaries, or one customer) of which its reference names at least two invoices
    and more than of any other group, as a clerk reads a remittance: the numbers naming
    other customers' invoices are then more likely slips."""
    counts = (
        by_reference.join(pays.filter(pl.col("p_cp").is_null()).select("pay"), on="pay")
        .join(invs.select("inv", pl.coalesce("i_parent", "i_cp").alias("cp")), on="inv")
        .group_by("pay", "cp")
        .len()
    )
    return (
        counts.filter(pl.col("len") == pl.col("len").max().over("pay"))
        .filter((pl.len().over("pay") == 1) & (pl.col("len") >= 2))
        .select("pay", "cp")
    )


def _deletion_variants(frame: pl.DataFrame, idx: str, keep: str) -> pl.DataFrame:
    """Each key as it is and with one character removed, at every position (one row
    each). Two keys one substitution or transposition apart share a variant with one
    character removed; a key one character short of another (a digit dropped, or a
    zero of the padding lost in a swap: "0000171" for "0001071") is itself a variant
    of the longer one."""
    return (
        frame.with_columns(pl.int_ranges(-1, pl.col("key").str.len_chars()).alias("at"))
        .explode("at")
        .select(
            idx,
            "cp",
            keep,
            pl.when(pl.col("at") < 0)
            .then(pl.col("key"))
            .otherwise(
                pl.col("key").str.slice(0, pl.col("at").clip(0))
                + pl.col("key").str.slice(pl.col("at") + 1)
            )
            .alias("variant"),
        )
    )


def _fuzzy_reference(pairs: pl.DataFrame) -> pl.DataFrame:
    """Mark pairs whose reference number is one slip away from the invoice number."""
    typed = pairs["ref_longest"].fill_null("").to_list()
    numbers = pairs["num_key"].fill_null("").to_list()
    distance = cpdist(typed, numbers, scorer=OSA.distance, workers=-1)
    long_enough = (pl.col("ref_longest").str.len_chars() >= 3) & (
        pl.col("num_key").str.len_chars() >= 3
    )
    return (
        pairs.with_columns(pl.Series("distance", distance, dtype=pl.Int64))
        .with_columns(
            (
                ~pl.col("via_ref")
                & (((pl.col("distance") == 1) & long_enough.fill_null(False)) | pl.col("slip"))
            ).alias("ref_fuzzy")
        )
        .drop("distance")
    )


MAX_READINGS = 64
"""Most ways one reference's slips are read (each slipped number as one of the payer's
invoices it is one slip from, or as none) that are tried against the amount."""


def _reading_combinations(referenced: pl.DataFrame) -> pl.DataFrame:
    """``pay``, ``combo``, ``inv``: every way of reading a reference's numbers as invoices.

    Each number names one invoice: one of those whose number it is (usually there is
    one), or, for a number one slip from some of the payer's invoices, one of them or
    none (it may be noise, or the slip may have hit the wrong invoice; a number naming
    one invoice exactly and one slip from others may be any of them). A reference with
    more than `MAX_READINGS` readings is read with its exact numbers only."""
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
    options = (
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
    # A reading names at most one invoice per number: a group needs two numbers or more.
    several = pl.len().over("pay") >= 2
    readings = pl.col("option").list.len().product().over("pay")
    options = options.filter(several)
    options = options.filter((readings <= MAX_READINGS) | ~pl.col("may_be_none"))
    options = options.filter((readings <= MAX_READINGS) & several)
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
            combos.join(step, on="pay", how="left")
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


GROUP_FITTING_RELATIONS = tuple(r for r in FITTING_RELATIONS if r != "bank_fee")
"""How several invoices' sum may fit one payment: not short by a wire fee, which a slip
naming a wrong invoice of similar amount would look like."""


def _reference_groups(pairs: pl.DataFrame, cfg: MatchConfig) -> pl.DataFrame:
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
    # A payer not identified needs the date window for a number read one slip away, not
    # for one named outright: several named invoices summing to the amount are evidence
    # enough, however late the payment.
    referenced = pairs.filter(
        named
        & (pl.col("same_cp") | (pl.col("cp_unknown") & (pl.col("in_window") | pl.col("via_ref"))))
    )
    members = (
        _reading_combinations(referenced)
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
            pl.col("same_cp").all(),
            pl.col("via_parent").any(),
            pl.col("in_window").all(),
            pl.col("i_cp").n_unique().alias("n_cp"),
            pl.coalesce("i_parent", "i_cp").n_unique().alias("n_groups"),
        )
        .filter(
            (pl.col("m_inv").list.len() >= 2)
            & ((pl.col("n_cp") == 1) | pl.col("same_cp") | (pl.col("n_groups") == 1))
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
