"""Pairing payments with open invoices: which payment settles which invoice, and how sure.

`match_payments(payments, invoices, config)` takes two polars frames:

payments
    ``payment_id`` str, ``counterparty_id`` str (nullable: an unidentified bank line),
    ``amount`` Decimal, float or int (money units, not cents), ``currency`` str,
    ``date`` date, ``reference`` str (free text, nullable).
invoices
    ``invoice_id`` str, ``counterparty_id`` str, ``number`` str, ``amount_open``
    Decimal/float/int, ``currency`` str, ``issue_date`` date, ``due_date`` date.

Extra columns are ignored. Invoices with nothing open and payments of zero or less
are left out; ids are expected unique (a repeated id keeps its first row). Money is
handled as integer cents (Int64) inside, so the sums are exact; currencies are assumed
to have two decimals (a 0-decimal currency still works, its amounts carry ".00").
Payments and invoices only pair within one currency.

The result has one row per allocation:

``match_id`` str (one per match group; a group may hold several payments or
invoices), ``payment_id``, ``invoice_id``, ``allocated_amount`` Decimal(38, 2) (the
cash of the payment applied to the invoice; never more than the payment or the open
amount), ``write_off_amount`` Decimal(38, 2) (extra: signed difference to write off when
the group settles the invoice for less — fee, discount, rounding — or the payment
exceeds it within tolerance), ``score`` float in [0, 1], ``status`` "auto" or
"suggested", ``rules`` list[str] (which rules fired). Unmatched payments and invoices
do not appear.

How it works: vectorised polars joins find candidates (invoice numbers read from the
reference, exactly, inside free text or one slip away; same counterparty and an amount
that fits exactly, after a discount, after a fee, within rounding or tolerance), each
candidate is scored from the rules that fired (`ScoreWeights`), and the candidates are
allocated best first (oldest invoice first on equal scores), never spending a payment
or an invoice twice (`matcher.allocation`). What is left is searched per counterparty
with a bounded subset-sum: one payment for several invoices, several payments for one
invoice or for the remaining balance of a partly paid one; join candidates weaker than
such a group compete with the groups there. A match is "auto" only when its score
reaches ``auto_threshold``, no rival candidate for any of its payments or invoices
scores within ``ambiguity_margin`` of it (so a tie is never auto), and it was allocated
in full as scored. Anything else is "suggested", for review.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

import polars as pl
from rapidfuzz.distance import OSA
from rapidfuzz.process import cpdist

from matcher.allocation import Allocations, Candidates, allocate
from matcher.references import (
    longest_reference_number,
    normalised,
    number_key,
    reference_numbers,
)

AMOUNT_RELATIONS = (
    "amount_exact",
    "amount_rounding",
    "early_payment_discount",
    "fee_deducted",
    "amount_within_tolerance",
    "partial_payment",
    "over_payment",
)
"""How a payment's amount relates to an invoice's open amount, best first."""

RULES = (
    "reference_exact",
    "reference_in_text",
    "reference_fuzzy",
    "same_counterparty",
    "counterparty_unknown",
    *AMOUNT_RELATIONS,
    "date_window",
    "combined_payment",
    "split_payment",
    "subset_sum",
    "remaining_balance",
    "ambiguous",
)
"""Every rule name that can appear in the ``rules`` column."""

FITTING_RELATIONS = AMOUNT_RELATIONS[:5]
AMOUNT_ONLY_FANOUT = 20
EQUAL_AMOUNT_REACH = 3


@dataclass(frozen=True)
class ScoreWeights:
    """How much each kind of evidence adds to a score (the best case sums to 1)."""

    reference_exact: float = 0.45
    reference_in_text: float = 0.40
    reference_fuzzy: float = 0.25
    same_counterparty: float = 0.25
    counterparty_unknown: float = 0.15
    amount_exact: float = 0.25
    amount_rounding: float = 0.23
    early_payment_discount: float = 0.22
    fee_deducted: float = 0.22
    amount_within_tolerance: float = 0.15
    partial_payment: float = 0.05
    over_payment: float = 0.05
    date_window: float = 0.05


@dataclass(frozen=True)
class MatchConfig:
    """Tolerances and thresholds of the payment matcher; the defaults suit GBP trade.

    An amount *fits* an invoice when it is equal; within ``rounding_tolerance`` (and 5 %);
    the open amount less an early-payment discount (rate, days after issue) paid in
    time; less a card fee rate or a fixed bank charge; or within both ``tolerance_abs``
    and ``tolerance_pct`` of the open amount. The difference is suggested as a
    write-off. Anything else with a matching reference is a partial or an over-payment.

    A payment counts as in the *date window* of an invoice from ``days_before_issue``
    before its issue date to ``days_after_due`` after its due date. Candidates scoring
    under ``suggest_threshold`` are dropped; ``auto_threshold`` and ``ambiguity_margin``
    decide auto (see the module). Subset-sum groups hold up to ``max_subset_size`` items
    drawn from ``subset_pool`` candidates per target, and from at most
    ``max_leftovers_per_counterparty`` leftovers per counterparty and side.
    """

    tolerance_abs: Decimal = Decimal("5.00")
    tolerance_pct: Decimal = Decimal("0.005")
    rounding_tolerance: Decimal = Decimal("0.50")
    days_before_issue: int = 7
    days_after_due: int = 120
    early_payment_discounts: tuple[tuple[Decimal, int], ...] = ((Decimal("0.02"), 10),)
    card_fee_rates: tuple[Decimal, ...] = (Decimal("0.015"), Decimal("0.025"))
    bank_charges: tuple[Decimal, ...] = (
        Decimal("5.00"),
        Decimal("7.50"),
        Decimal("10.00"),
        Decimal("15.00"),
        Decimal("25.00"),
    )
    auto_threshold: float = 0.9
    suggest_threshold: float = 0.4
    ambiguity_margin: float = 0.05
    max_subset_size: int = 4
    subset_pool: int = 12
    max_leftovers_per_counterparty: int = 300
    weights: ScoreWeights = field(default_factory=ScoreWeights)


OUTPUT_SCHEMA = pl.Schema(
    {
        "match_id": pl.String(),
        "payment_id": pl.String(),
        "invoice_id": pl.String(),
        "allocated_amount": pl.Decimal(38, 2),
        "write_off_amount": pl.Decimal(38, 2),
        "score": pl.Float64(),
        "status": pl.String(),
        "rules": pl.List(pl.String()),
    }
)


def match_payments(
    payments: pl.DataFrame, invoices: pl.DataFrame, config: MatchConfig | None = None
) -> pl.DataFrame:
    """Allocate payments to open invoices; one output row per allocation (see module doc)."""
    cfg = config or MatchConfig()
    pays = _prepare_payments(payments)
    invs = _prepare_invoices(invoices)
    if pays.height == 0 or invs.height == 0:
        return pl.DataFrame(schema=OUTPUT_SCHEMA)
    payment_amount = pays["cents"].to_list()
    invoice_amount = invs["cents"].to_list()
    payment_left = list(payment_amount)
    invoice_left = list(invoice_amount)

    # Candidates found by joins go first, except those weaker than an exact subset-sum
    # group could be: those wait and compete with the groups on the leftovers.
    w = cfg.weights
    candidates = _first_pass(pays, invs, cfg)
    strong = pl.col("score") >= w.same_counterparty + w.amount_exact + w.date_window - 1e-9
    first, first_members = _rank(candidates.filter(strong), cfg, offset=0)
    first_done = _allocate_ranked(
        first, first_members, payment_left, invoice_left, payment_amount, invoice_amount
    )
    # What is left: untouched payments, and invoices untouched or partly paid (their
    # remaining balance is a target too). The allocation baseline becomes "now".
    payment_now = list(payment_left)
    invoice_now = list(invoice_left)
    untouched_pay = pl.Series([a == b for a, b in zip(payment_now, payment_amount, strict=True)])
    untouched_inv = pl.Series([a == b for a, b in zip(invoice_now, invoice_amount, strict=True)])
    remaining = pl.Series("remaining", invoice_now, dtype=pl.Int64)
    waiting = _untouched_only(candidates.filter(~strong), untouched_pay, untouched_inv)
    grouped = _subset_candidates(pays, invs.with_columns(remaining), cfg, untouched_pay)
    second, second_members = _rank(
        pl.concat([waiting, grouped.select(CANDIDATE_SCHEMA.names()).cast(CANDIDATE_SCHEMA)]),
        cfg,
        offset=first.height,
    )
    second_done = _allocate_ranked(
        second, second_members, payment_left, invoice_left, payment_now, invoice_now
    )
    return _result(pays, invs, cfg, [(first, first_done), (second, second_done)])


# ----------------------------------------------------------------------------- inputs


def _cents(frame: pl.DataFrame, column: str) -> pl.Expr:
    dtype = frame.schema[column]
    col = pl.col(column)
    if isinstance(dtype, pl.Decimal):
        return (col.cast(pl.Decimal(38, 2)) * 100).cast(pl.Int64)
    if dtype.is_integer():
        return col.cast(pl.Int64) * 100
    return (col.cast(pl.Float64) * 100).round(0).cast(pl.Int64)


def _prepare_payments(payments: pl.DataFrame) -> pl.DataFrame:
    """Payments sorted by id (so results do not depend on row order), amounts in cents."""
    return (
        payments.select(
            pl.col("payment_id").cast(pl.String),
            pl.col("counterparty_id").cast(pl.String).alias("p_cp"),
            _cents(payments, "amount").alias("cents"),
            pl.col("currency").cast(pl.String).str.to_uppercase().alias("p_cur"),
            pl.col("date").cast(pl.Date).cast(pl.Int32).alias("p_day"),
            pl.col("reference").cast(pl.String),
        )
        .filter(pl.col("cents") > 0)
        .unique("payment_id", keep="first", maintain_order=True)
        .sort("payment_id")
        .with_columns(
            normalised(pl.col("reference")).alias("ref_norm"),
            reference_numbers(pl.col("reference")).alias("ref_numbers"),
            longest_reference_number(pl.col("reference")).alias("ref_longest"),
        )
        .drop("reference")
        .with_row_index("pay")
    )


def _prepare_invoices(invoices: pl.DataFrame) -> pl.DataFrame:
    """Open invoices sorted by id, amounts in cents, numbers reduced to keys."""
    return (
        invoices.select(
            pl.col("invoice_id").cast(pl.String),
            pl.col("counterparty_id").cast(pl.String).alias("i_cp"),
            pl.col("number").cast(pl.String),
            _cents(invoices, "amount_open").alias("cents"),
            pl.col("currency").cast(pl.String).str.to_uppercase().alias("i_cur"),
            pl.col("issue_date").cast(pl.Date).cast(pl.Int32).alias("issue_day"),
            pl.col("due_date").cast(pl.Date).cast(pl.Int32).alias("due_day"),
        )
        .filter(pl.col("cents") > 0)
        .unique("invoice_id", keep="first", maintain_order=True)
        .sort("invoice_id")
        .with_columns(
            normalised(pl.col("number")).alias("num_norm"),
            number_key(pl.col("number")).alias("num_key"),
        )
        .drop("number")
        .with_row_index("inv")
    )


# ------------------------------------------------------------------ amount evidence


def _scaled(cents: pl.Expr, rate: Decimal) -> pl.Expr:
    """``cents * (1 - rate)`` rounded half up, in integers (rate to 1/100000)."""
    keep = 100_000 - int((rate * 100_000).to_integral_value())
    return (cents * keep + 50_000) // 100_000


def _amount_relation(
    paid: pl.Expr, owed: pl.Expr, pay_day: pl.Expr, issue_day: pl.Expr, cfg: MatchConfig
) -> pl.Expr:
    """Which amount rule explains ``paid`` against ``owed`` (first that applies)."""
    diff = paid - owed
    rounding = int(cfg.rounding_tolerance * 100)
    discount = pl.lit(False)
    for rate, days in cfg.early_payment_discounts:
        discount = discount | (
            ((paid - _scaled(owed, rate)).abs() <= 1) & (pay_day <= issue_day + days)
        )
    fee = pl.lit(False)
    for rate in cfg.card_fee_rates:
        fee = fee | ((paid - _scaled(owed, rate)).abs() <= 1)
    if cfg.bank_charges:
        fee = fee | (owed - paid).is_in([int(c * 100) for c in cfg.bank_charges])
    # Within tolerance means within both: the absolute amount and the share of the invoice.
    tolerance = pl.min_horizontal(
        pl.lit(int(cfg.tolerance_abs * 100)),
        (owed.cast(pl.Float64) * float(cfg.tolerance_pct)).floor().cast(pl.Int64),
    )
    rounding_ok = (diff.abs() <= rounding) & (diff.abs() * 20 <= owed)
    return (
        pl.when(diff == 0)
        .then(pl.lit("amount_exact"))
        .when(rounding_ok)
        .then(pl.lit("amount_rounding"))
        .when(discount)
        .then(pl.lit("early_payment_discount"))
        .when(fee)
        .then(pl.lit("fee_deducted"))
        .when(diff.abs() <= tolerance)
        .then(pl.lit("amount_within_tolerance"))
        .when(diff < 0)
        .then(pl.lit("partial_payment"))
        .otherwise(pl.lit("over_payment"))
    )


def _amount_weight(relation: pl.Expr, w: ScoreWeights) -> pl.Expr:
    expr = pl.lit(0.0)
    for name in AMOUNT_RELATIONS:
        expr = pl.when(relation == name).then(pl.lit(getattr(w, name))).otherwise(expr)
    return expr


# --------------------------------------------------------------- first pass: joins


def _first_pass_candidates(
    pays: pl.DataFrame, invs: pl.DataFrame, cfg: MatchConfig
) -> tuple[pl.DataFrame, pl.DataFrame]:
    w = cfg.weights
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
    pairs = (
        pl.concat(
            [
                by_reference,
                by_amount,
                _unknown_payer_amount_pairs(pays, invs),
                _mistyped_reference_pairs(pays, invs, by_reference),
            ]
        )
        .group_by("pay", "inv")
        .agg(pl.col("via_ref").any())
        .join(pays.drop("payment_id", "ref_numbers"), on="pay")
        .join(invs.drop("invoice_id"), on="inv")
        .filter(pl.col("p_cur") == pl.col("i_cur"))
    )
    pairs = _fuzzy_reference(pairs)
    window = pl.col("p_day").is_between(
        pl.col("issue_day") - cfg.days_before_issue, pl.col("due_day") + cfg.days_after_due
    )
    pairs = pairs.with_columns(
        (pl.col("via_ref") & (pl.col("ref_norm") == pl.col("num_norm"))).alias("ref_exact"),
        (pl.col("p_cp") == pl.col("i_cp")).fill_null(False).alias("same_cp"),
        pl.col("p_cp").is_null().alias("cp_unknown"),
        window.alias("in_window"),
        _amount_relation(
            pl.col("cents"), pl.col("cents_right"), pl.col("p_day"), pl.col("issue_day"), cfg
        ).alias("relation"),
    ).with_columns(pl.col("relation").is_in(FITTING_RELATIONS).alias("fits"))
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
                pl.col("same_cp")
                | (pl.col("cp_unknown") & pl.col("ref_fuzzy") & pl.col("in_window"))
            )
        )
        | (~pl.col("via_ref") & pl.col("same_cp") & pl.col("ref_fuzzy") & pl.col("in_window"))
    )
    pairs = pairs.filter(keep)

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
        + _amount_weight(pl.col("relation"), w)
        + pl.when(pl.col("in_window")).then(w.date_window).otherwise(0.0)
    ).clip(0.0, 1.0)
    rules = pl.concat_list(
        pl.when(pl.col("ref_exact")).then(pl.lit("reference_exact")),
        pl.when(pl.col("via_ref") & ~pl.col("ref_exact")).then(pl.lit("reference_in_text")),
        pl.when(pl.col("ref_fuzzy")).then(pl.lit("reference_fuzzy")),
        pl.when(pl.col("same_cp")).then(pl.lit("same_counterparty")),
        pl.when(pl.col("cp_unknown")).then(pl.lit("counterparty_unknown")),
        pl.col("relation"),
        pl.when(pl.col("in_window")).then(pl.lit("date_window")),
    ).list.drop_nulls()
    pairs = pairs.with_columns(score=score, rules=rules)

    # As a rival, a reference one slip from the number, with an amount that fits, counts
    # as much as an exact reference: the slip may as well be in the other reference.
    rival_score = (
        pl.when(pl.col("ref_fuzzy") & pl.col("fits"))
        .then(pl.col("score") + (w.reference_exact - w.reference_fuzzy))
        .otherwise(pl.col("score"))
    )
    singles = pairs.select(
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
    return singles, _reference_groups(pairs, cfg)


def _counterparty_amount_pairs(
    pays: pl.DataFrame, invs: pl.DataFrame, cfg: MatchConfig
) -> pl.DataFrame:
    """(pay, inv) of the same counterparty whose amounts may fit, without any reference.

    One equi-join finds every invoice whose open amount, or open amount less a fixed
    bank charge, equals the payment (so equal invoices are all seen and tie); one
    nearest-amount as-of join per rate (none, each discount, each card fee) finds the
    closest other invoice of that counterparty, within a cent of the rate's amount.
    """
    known = (
        pays.filter(pl.col("p_cp").is_not_null())
        .select(
            "pay",
            pl.col("p_cp").alias("cp"),
            pl.col("p_cur").alias("cur"),
            pl.col("cents").alias("key"),
        )
        .sort("key")
    )
    base = invs.select(
        "inv", pl.col("i_cp").alias("cp"), pl.col("i_cur").alias("cur"), "cents", "issue_day"
    )
    charges = [0, *(int(charge * 100) for charge in cfg.bank_charges)]
    exact = pl.concat(
        [
            base.select("inv", "cp", "cur", (pl.col("cents") - c).alias("key"), "issue_day")
            for c in charges
        ]
    )
    # Many equal amounts of one counterparty (a subscription) would pair every payment with
    # every invoice: there, the n-th payment of an amount (by date) meets the invoices of
    # that amount ranked n - EQUAL_AMOUNT_REACH .. n + EQUAL_AMOUNT_REACH (oldest first).
    # They still tie, so none of them is auto, and oldest-first is kept.
    keys = ["cp", "cur", "key"]
    exact = exact.with_columns(pl.len().over(keys).alias("n"))
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
    for rate, tolerance in rates:
        key = pl.col("cents") if rate is None else _scaled(pl.col("cents"), rate)
        right = base.select("inv", "cp", "cur", key.alias("key")).sort("key")
        joined = known.join_asof(
            right,
            on="key",
            by=["cp", "cur"],
            strategy="nearest",
            tolerance=tolerance,
            check_sortedness=False,
        )
        found.append(joined.drop_nulls("inv").select("pay", "inv"))
    return pl.concat(found).unique()


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
    """(pay, inv) of the same counterparty whose numbers may be one slip apart, for payments
    whose reference names none of that counterparty's invoices: a partial payment with a
    mistyped number has no other way in. Candidates share a one-deletion variant of
    their keys (which every substitution and transposition does); the exact distance
    is checked later."""
    named = (
        by_reference.join(pays.select("pay", "p_cp"), on="pay")
        .join(invs.select("inv", "i_cp"), on="inv")
        .filter(pl.col("p_cp") == pl.col("i_cp"))
        .select("pay")
        .unique()
    )
    typed = (
        pays.filter(pl.col("p_cp").is_not_null() & (pl.col("ref_longest").str.len_chars() >= 3))
        .join(named, on="pay", how="anti")
        .select("pay", pl.col("p_cp").alias("cp"), pl.col("ref_longest").alias("key"))
    )
    numbers = invs.filter(pl.col("num_key").str.len_chars() >= 3).select(
        "inv", pl.col("i_cp").alias("cp"), pl.col("num_key").alias("key")
    )
    numbers = numbers.join(typed.select("cp").unique(), on="cp", how="semi")
    return (
        _deletion_variants(typed, "pay")
        .join(_deletion_variants(numbers, "inv"), on=["cp", "variant"])
        .select("pay", "inv", pl.lit(False).alias("via_ref"))
        .unique()
    )


def _deletion_variants(frame: pl.DataFrame, idx: str) -> pl.DataFrame:
    """Each key with one character removed, at every position (one row each)."""
    return (
        frame.with_columns(pl.int_ranges(pl.col("key").str.len_chars()).alias("at"))
        .explode("at")
        .select(
            idx,
            "cp",
            (
                pl.col("key").str.slice(0, pl.col("at")) + pl.col("key").str.slice(pl.col("at") + 1)
            ).alias("variant"),
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
            (~pl.col("via_ref") & (pl.col("distance") == 1) & long_enough.fill_null(False)).alias(
                "ref_fuzzy"
            )
        )
        .drop("distance")
    )


def _reference_groups(pairs: pl.DataFrame, cfg: MatchConfig) -> pl.DataFrame:
    """One payment whose reference names several invoices that together fit its amount."""
    w = cfg.weights
    referenced = pairs.filter(
        pl.col("via_ref") & (pl.col("same_cp") | (pl.col("cp_unknown") & pl.col("in_window")))
    ).sort("pay", "issue_day", "inv")
    groups = (
        referenced.group_by("pay")
        .agg(
            pl.col("inv").alias("m_inv"),
            pl.col("cents_right").sum().alias("owed"),
            pl.col("cents").first().alias("paid"),
            pl.col("p_day").first(),
            pl.col("issue_day").min().alias("oldest"),
            pl.col("issue_day").max().alias("tb_newest"),
            pl.col("issue_day").cast(pl.Int64).sum().alias("tb_sum"),
            pl.col("ref_exact").all(),
            pl.col("same_cp").all(),
            pl.col("in_window").all(),
            pl.col("i_cp").n_unique().alias("n_cp"),
        )
        .filter((pl.col("m_inv").list.len() >= 2) & (pl.col("n_cp") == 1))
        .with_columns(
            _amount_relation(
                pl.col("paid"), pl.col("owed"), pl.col("p_day"), pl.col("oldest"), cfg
            ).alias("relation")
        )
        .filter(pl.col("relation").is_in(FITTING_RELATIONS))
    )
    score = (
        pl.when(pl.col("ref_exact")).then(w.reference_exact).otherwise(w.reference_in_text)
        + pl.when(pl.col("same_cp")).then(w.same_counterparty).otherwise(w.counterparty_unknown)
        + _amount_weight(pl.col("relation"), w)
        + pl.when(pl.col("in_window")).then(w.date_window).otherwise(0.0)
    ).clip(0.0, 1.0)
    rules = pl.concat_list(
        pl.when(pl.col("ref_exact"))
        .then(pl.lit("reference_exact"))
        .otherwise(pl.lit("reference_in_text")),
        pl.when(pl.col("same_cp"))
        .then(pl.lit("same_counterparty"))
        .otherwise(pl.lit("counterparty_unknown")),
        pl.col("relation"),
        pl.when(pl.col("in_window")).then(pl.lit("date_window")),
        pl.lit("combined_payment"),
    ).list.drop_nulls()
    return groups.select(
        pl.col("pay").repeat_by(pl.col("m_inv").list.len()).alias("m_pay"),
        "m_inv",
        score.alias("score"),
        score.alias("rival_score"),
        pl.lit(True).alias("fits"),
        rules.alias("rules"),
        "tb_newest",
        "tb_sum",
        pl.col("p_day").alias("tb_pay_day"),
    )


# ----------------------------------------------------------- second pass: subset-sum


def _subset_candidates(
    pays: pl.DataFrame,
    invs: pl.DataFrame,
    cfg: MatchConfig,
    untouched_pay: pl.Series,
) -> pl.DataFrame:
    """Leftovers of one counterparty whose sums fit exactly: several of its open invoices
    for one payment, or several of its payments for one invoice (or for what is left of
    a partly paid one).

    Bounded: each target (a payment, or an invoice's remaining balance) looks at most at
    ``subset_pool`` items of its counterparty and currency inside the date window (the
    most recent invoices before the payment; the first payments after the invoice),
    groups hold at most ``max_subset_size`` items, a group is dropped as soon as its sum
    passes the target, and a counterparty's leftovers are capped at the most recent
    ``max_leftovers_per_counterparty`` per side. Equal sums tie, and rank oldest
    invoices first.
    """
    w = cfg.weights
    lp = pays.filter(untouched_pay & pays["p_cp"].is_not_null()).select(
        "pay",
        pl.col("p_cp").alias("cp"),
        pl.col("p_cur").alias("cur"),
        "cents",
        "p_day",
        "ref_numbers",
    )
    li = invs.filter(pl.col("remaining") > 0).select(
        "inv",
        pl.col("i_cp").alias("cp"),
        pl.col("i_cur").alias("cur"),
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
    in_window = pl.col("p_day").is_between(
        pl.col("issue_day") - cfg.days_before_issue, pl.col("due_day") + cfg.days_after_due
    )
    # One payment, several invoices: the most recent eligible invoices before it.
    invoice_pool = (
        lp.select("pay", "cp", "cur", pl.col("cents").alias("target"), "p_day")
        .join(li.select("inv", "cp", "cur", "cents", "issue_day", "due_day"), on=["cp", "cur"])
        .filter(in_window & (pl.col("cents") < pl.col("target")))
        .sort("pay", "issue_day", "inv", descending=[False, True, True])
        .with_columns(pl.int_range(pl.len()).over("pay").alias("rank"))
        .filter(pl.col("rank") < cfg.subset_pool)
        .select(
            pl.col("pay").alias("target_id"), "target", pl.col("inv").alias("item"), "cents", "rank"
        )
    )
    # Several payments, one invoice (or its remaining balance): the first payments after it.
    payment_pool = (
        li.select("inv", "cp", "cur", pl.col("cents").alias("target"), "issue_day", "due_day")
        .join(lp.select("pay", "cp", "cur", "cents", "p_day"), on=["cp", "cur"])
        .filter(in_window & (pl.col("cents") <= pl.col("target")))
        .sort("inv", "p_day", "pay")
        .with_columns(pl.int_range(pl.len()).over("inv").alias("rank"))
        .filter(pl.col("rank") < cfg.subset_pool)
        .select(
            pl.col("inv").alias("target_id"), "target", pl.col("pay").alias("item"), "cents", "rank"
        )
    )
    combos = [
        _subset_sums(invoice_pool, cfg.max_subset_size, min_size=2).select(
            pl.col("target_id").repeat_by(pl.col("members").list.len()).alias("m_pay"),
            pl.col("members").alias("m_inv"),
            pl.lit("combined_payment").alias("kind"),
        ),
        _subset_sums(payment_pool, cfg.max_subset_size, min_size=1).select(
            pl.col("members").alias("m_pay"),
            pl.col("target_id").repeat_by(pl.col("members").list.len()).alias("m_inv"),
            pl.when(pl.col("members").list.len() > 1)
            .then(pl.lit("split_payment"))
            .otherwise(pl.lit("remaining_balance"))
            .alias("kind"),
        ),
    ]
    groups = pl.concat(combos).with_row_index("group")
    members = (
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
    return groups.join(members, on="group").select(
        "m_pay",
        "m_inv",
        score.alias("score"),
        score.alias("rival_score"),
        pl.lit(True).alias("fits"),
        rules.alias("rules"),
        "tb_newest",
        "tb_sum",
        "tb_pay_day",
    )


def _subset_sums(pool: pl.DataFrame, max_size: int, min_size: int) -> pl.DataFrame:
    """Groups of min_size..max_size pool items (in rank order) summing exactly to their
    target: level-wise self-joins, each pruned to sums not past the target."""
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
    for _ in range(2, max_size + 1):
        level = (
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
        found.append(level)
        if level.height == 0:
            break
    return pl.concat(found).filter(pl.col("total") == pl.col("target"))


# ------------------------------------------------------------------ ranking and output


CANDIDATE_SCHEMA = pl.Schema(
    {
        "m_pay": pl.List(pl.UInt32()),
        "m_inv": pl.List(pl.UInt32()),
        "score": pl.Float64(),
        "fits": pl.Boolean(),
        "rules": pl.List(pl.String()),
        "tb_newest": pl.Int32(),
        "tb_sum": pl.Int64(),
        "tb_pay_day": pl.Int32(),
        "rival_score": pl.Float64(),
    }
)


def _rank(
    candidates: pl.DataFrame, cfg: MatchConfig, offset: int
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Best first (oldest invoices first on equal scores), numbered from ``offset``; with
    each candidate's ``ambiguous`` flag: a rival for one of its payments or invoices
    scores (as a rival: ``rival_score``) within ``ambiguity_margin`` of it. Returns
    (candidates, members)."""
    ranked = (
        candidates.cast(CANDIDATE_SCHEMA)
        .filter(pl.col("score") >= cfg.suggest_threshold)
        .with_columns(
            pl.col("m_pay").list.len().alias("n_members"),
            # Rows are numbered in id order, so the smallest number is the smallest id.
            pl.col("m_pay").list.min().alias("first_pay"),
            pl.col("m_inv").list.min().alias("first_inv"),
        )
        .sort(
            [
                "score",
                "tb_newest",
                "tb_sum",
                "tb_pay_day",
                "first_pay",
                "first_inv",
                "n_members",
                "m_pay",
                "m_inv",
            ],
            descending=[True, False, False, False, False, False, False, False, False],
        )
        .with_row_index("cand", offset=offset)
    )
    members = ranked.select("cand", "score", "rival_score", "m_pay", "m_inv").explode(
        "m_pay", "m_inv"
    )
    flags = []
    for side in ("m_pay", "m_inv"):
        per_side = members.select("cand", "score", "rival_score", side).unique(["cand", side])
        best = per_side.group_by(side).agg(
            pl.col("rival_score").max().alias("best"),
            pl.col("cand").sort_by("rival_score", descending=True).first().alias("best_cand"),
            pl.col("rival_score").top_k(2).min().alias("second"),
            pl.len().alias("n"),
        )
        rival = (
            pl.when(pl.col("n") == 1)
            .then(None)
            .when(pl.col("cand") == pl.col("best_cand"))
            .then(pl.col("second"))
            .otherwise(pl.col("best"))
        )
        flags.append(
            per_side.join(best, on=side).select(
                "cand",
                (rival >= pl.col("score") - cfg.ambiguity_margin).fill_null(False).alias("amb"),
            )
        )
    ambiguous = pl.concat(flags).group_by("cand").agg(pl.col("amb").any().alias("ambiguous"))
    ranked = ranked.join(ambiguous, on="cand", how="left").sort("cand")
    return ranked, members.select(
        "cand", pl.col("m_pay").alias("pay"), pl.col("m_inv").alias("inv")
    )


def _allocate_ranked(
    ranked: pl.DataFrame,
    members: pl.DataFrame,
    payment_left: list[int],
    invoice_left: list[int],
    payment_amount: list[int],
    invoice_amount: list[int],
) -> Allocations:
    """Allocate one pass. A one-to-one candidate whose payment and invoice appear in no
    other candidate cannot conflict with anything: those are settled at once, the rest
    go through `allocate` best first."""
    alone = (
        members.with_columns(
            pl.col("cand").n_unique().over("pay").alias("n_pay"),
            pl.col("cand").n_unique().over("inv").alias("n_inv"),
            pl.len().over("cand").alias("n_members"),
        )
        .filter((pl.col("n_pay") == 1) & (pl.col("n_inv") == 1) & (pl.col("n_members") == 1))
        .select("cand", "pay", "inv")
        .join(ranked.select("cand", "fits"), on="cand")
    )
    amounts = alone.with_columns(
        pl.Series(payment_amount, dtype=pl.Int64).gather(alone["pay"]).alias("paid"),
        pl.Series(invoice_amount, dtype=pl.Int64).gather(alone["inv"]).alias("owed"),
    ).with_columns(
        pl.min_horizontal("paid", "owed").alias("cents"),
        pl.when("fits").then(pl.col("owed") - pl.col("paid")).otherwise(0).alias("write_off"),
    )
    pays, invs, cents = amounts["pay"].to_list(), amounts["inv"].to_list(), amounts["cents"]
    pay_after = pl.when("fits").then(0).otherwise(pl.col("paid") - pl.col("cents"))
    inv_after = pl.when("fits").then(0).otherwise(pl.col("owed") - pl.col("cents"))
    after = amounts.select(pay_after.alias("pay_after"), inv_after.alias("inv_after"))
    for pay, left in zip(pays, after["pay_after"].to_list(), strict=True):
        payment_left[pay] = left
    for inv, left in zip(invs, after["inv_after"].to_list(), strict=True):
        invoice_left[inv] = left
    done = Allocations(
        candidate=amounts["cand"].to_list(),
        payment=pays,
        invoice=invs,
        cents=cents.to_list(),
        write_off_cents=amounts["write_off"].to_list(),
        complete=[True] * amounts.height,
    )
    settled = pl.col("cand").is_in(alone["cand"].implode())
    contested = ranked.filter(~settled)
    contested_members = members.filter(~settled)
    start = [0]
    for size in contested["n_members"].to_list():
        start.append(start[-1] + size)
    rest = allocate(
        Candidates(
            candidate=contested["cand"].to_list(),
            fits=contested["fits"].to_list(),
            start=start,
            member_payment=contested_members["pay"].to_list(),
            member_invoice=contested_members["inv"].to_list(),
        ),
        payment_left,
        invoice_left,
        payment_amount,
        invoice_amount,
    )
    for column in ("candidate", "payment", "invoice", "cents", "write_off_cents", "complete"):
        getattr(done, column).extend(getattr(rest, column))
    return done


def _first_pass(pays: pl.DataFrame, invs: pl.DataFrame, cfg: MatchConfig) -> pl.DataFrame:
    singles, groups = _first_pass_candidates(pays, invs, cfg)
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


def _untouched_only(
    candidates: pl.DataFrame, untouched_pay: pl.Series, untouched_inv: pl.Series
) -> pl.DataFrame:
    """The candidates none of whose payments or invoices has been allocated yet."""
    numbered = candidates.cast(CANDIDATE_SCHEMA).with_row_index("row")
    pay_free = pl.DataFrame(
        {"m_pay": pl.int_range(untouched_pay.len(), eager=True), "ok": untouched_pay}
    )
    inv_free = pl.DataFrame(
        {"m_inv": pl.int_range(untouched_inv.len(), eager=True), "ok": untouched_inv}
    )
    members = numbered.select("row", "m_pay", "m_inv").explode("m_pay", "m_inv")
    free = (
        pl.concat(
            [
                members.join(pay_free.cast({"m_pay": pl.UInt32}), on="m_pay").select("row", "ok"),
                members.join(inv_free.cast({"m_inv": pl.UInt32}), on="m_inv").select("row", "ok"),
            ]
        )
        .group_by("row")
        .agg(pl.col("ok").all())
        .filter("ok")
    )
    return numbered.join(free.select("row"), on="row", how="semi").drop("row")


def _decimal(cents: pl.Expr) -> pl.Expr:
    return cents.cast(pl.Decimal(38, 2)) / 100


def _result(
    pays: pl.DataFrame,
    invs: pl.DataFrame,
    cfg: MatchConfig,
    passes: list[tuple[pl.DataFrame, Allocations]],
) -> pl.DataFrame:
    frames = []
    for ranked, done in passes:
        rows = pl.DataFrame(
            {
                "cand": pl.Series(done.candidate, dtype=pl.UInt32),
                "pay": pl.Series(done.payment, dtype=pl.UInt32),
                "inv": pl.Series(done.invoice, dtype=pl.UInt32),
                "cents": pl.Series(done.cents, dtype=pl.Int64),
                "write_off": pl.Series(done.write_off_cents, dtype=pl.Int64),
                "complete": pl.Series(done.complete, dtype=pl.Boolean),
            }
        )
        frames.append(
            rows.join(
                ranked.select("cand", "score", "rules", "ambiguous", "first_pay", "first_inv"),
                on="cand",
            )
        )
    rows = pl.concat(frames)
    if rows.height == 0:
        return pl.DataFrame(schema=OUTPUT_SCHEMA)
    payment_ids = pays.select("pay", "payment_id")
    invoice_ids = invs.select("inv", "invoice_id")
    rows = (
        rows.with_columns(
            pl.col("complete").all().over("cand").alias("complete"),
            (pl.col("pay").n_unique().over("inv") > 1).alias("split"),
            (pl.col("inv").n_unique().over("pay") > 1).alias("combined"),
        )
        .sort("first_pay", "first_inv", "pay", "inv")
        .join(payment_ids, on="pay", maintain_order="left")
        .join(invoice_ids, on="inv", maintain_order="left")
        .join(
            payment_ids.rename({"pay": "first_pay", "payment_id": "first_pid"}),
            on="first_pay",
            maintain_order="left",
        )
        .join(
            invoice_ids.rename({"inv": "first_inv", "invoice_id": "first_iid"}),
            on="first_inv",
            maintain_order="left",
        )
    )
    auto = (pl.col("score") >= cfg.auto_threshold) & ~pl.col("ambiguous") & pl.col("complete")
    extra = pl.concat_list(
        pl.when(pl.col("split") & ~pl.col("rules").list.contains("split_payment")).then(
            pl.lit("split_payment")
        ),
        pl.when(pl.col("combined") & ~pl.col("rules").list.contains("combined_payment")).then(
            pl.lit("combined_payment")
        ),
        pl.when(pl.col("ambiguous")).then(pl.lit("ambiguous")),
    ).list.drop_nulls()
    return rows.select(
        pl.format("{}~{}", "first_pid", "first_iid").alias("match_id"),
        "payment_id",
        "invoice_id",
        _decimal(pl.col("cents")).alias("allocated_amount"),
        _decimal(pl.col("write_off")).alias("write_off_amount"),
        pl.col("score").round(4),
        pl.when(auto).then(pl.lit("auto")).otherwise(pl.lit("suggested")).alias("status"),
        pl.col("rules").list.concat(extra).alias("rules"),
    ).cast(OUTPUT_SCHEMA)
