"""Amount evidence: how a payment's amount relates to an invoice's open amount (exact,
rounding, converted from another currency, the discount of the invoice's terms or a
configured one, fee deducted, within tolerance, a wire fee off the top, partial, over),
and what each relation adds to a score. All in integer cents.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import polars as pl

from matcher.payments.config import AMOUNT_RELATIONS, MatchConfig, ScoreWeights


def scaled(cents: pl.Expr, rate: Decimal) -> pl.Expr:
    """``cents * (1 - rate)`` rounded half up, in integers (rate to 1/100000)."""
    keep = 100_000 - int((rate * 100_000).to_integral_value())
    return (cents * keep + 50_000) // 100_000


@dataclass(frozen=True)
class TermsDiscount:
    """The discount an invoice's terms offer: its amount in cents and the last day (as
    day numbers) it may be taken; both null where the terms offer none."""

    cents: pl.Expr
    last_day: pl.Expr


def amount_relation(
    paid: pl.Expr,
    owed: pl.Expr,
    pay_day: pl.Expr,
    issue_day: pl.Expr,
    cfg: MatchConfig,
    terms: TermsDiscount | None = None,
    converted: pl.Expr | None = None,
) -> pl.Expr:
    """Which amount rule explains ``paid`` against ``owed`` (first that applies).

    ``terms`` is the invoice's own discount (amount and last day) where it has one;
    ``converted`` says the payment was converted from another currency, so it fits
    within ``fx_tolerance``. A shortfall that is exactly a discount taken too late is
    never a fee: the terms' own discount taken late is ``discount_after_date`` (it does
    not fit: the rest stays open), a configured one is partial."""
    diff = paid - owed
    rounding = int(cfg.rounding_tolerance * 100)
    discount = pl.lit(False)
    late_discount = pl.lit(False)
    for rate, days in cfg.early_payment_discounts:
        at_rate = (paid - scaled(owed, rate)).abs() <= 1
        discount = discount | (at_rate & (pay_day <= issue_day + days))
        late_discount = late_discount | at_rate
    by_terms = pl.lit(False)
    late_terms = pl.lit(False)
    if terms is not None:
        at_terms = ((paid - (owed - terms.cents)).abs() <= 1).fill_null(False)
        by_terms = at_terms & (pay_day <= terms.last_day + cfg.discount_grace_days).fill_null(False)
        late_discount = late_discount | at_terms
        late_terms = at_terms & ~by_terms
    fx = pl.lit(False)
    if converted is not None:
        fx = converted & (
            diff.abs().cast(pl.Float64) <= owed.cast(pl.Float64) * float(cfg.fx_tolerance)
        )
    shortfall = owed - paid
    wire_fee = (
        (shortfall >= int(cfg.min_bank_fee * 100))
        & (shortfall <= int(cfg.max_bank_fee * 100))
        & (shortfall * 10 <= owed)
        & (shortfall % int(cfg.bank_fee_unit * 100) == 0)
        & ~late_discount
    )
    fee = pl.lit(False)
    for rate in cfg.card_fee_rates:
        fee = fee | ((paid - scaled(owed, rate)).abs() <= 1)
    if cfg.bank_charges:
        fee = fee | (owed - paid).is_in([int(c * 100) for c in cfg.bank_charges])
    # Within tolerance means within both: the absolute amount and the share of the invoice.
    tolerance = pl.min_horizontal(
        pl.lit(int(cfg.tolerance_abs * 100)),
        (owed.cast(pl.Float64) * float(cfg.tolerance_pct)).floor().cast(pl.Int64),
    )
    # Rounding is a payer paying whole units, or two systems a penny or two apart: 14.70
    # against 15.00 is a discount or a fee (read below), or nothing, not a rounding.
    rounded = (paid % 100 == 0) | (diff.abs() <= int(cfg.rounding_pennies * 100))
    if converted is not None:
        rounded = rounded | converted
    rounding_ok = (diff.abs() <= rounding) & (diff.abs() * 20 <= owed) & rounded
    return (
        pl.when(diff == 0)
        .then(pl.lit("amount_exact"))
        .when(rounding_ok)
        .then(pl.lit("amount_rounding"))
        .when(fx)
        .then(pl.lit("exchange_rate"))
        .when(by_terms)
        .then(pl.lit("terms_discount"))
        .when(discount)
        .then(pl.lit("early_payment_discount"))
        .when(fee)
        .then(pl.lit("fee_deducted"))
        .when(diff.abs() <= tolerance)
        .then(pl.lit("amount_within_tolerance"))
        .when(wire_fee)
        .then(pl.lit("bank_fee"))
        .when(late_terms)
        .then(pl.lit("discount_after_date"))
        .when(diff < 0)
        .then(pl.lit("partial_payment"))
        .otherwise(pl.lit("over_payment"))
    )


def amount_weight(relation: pl.Expr, w: ScoreWeights) -> pl.Expr:
    expr = pl.lit(0.0)
    for name in AMOUNT_RELATIONS:
        expr = pl.when(relation == name).then(pl.lit(getattr(w, name))).otherwise(expr)
    return expr
