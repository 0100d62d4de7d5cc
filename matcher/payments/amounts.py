"""Amount evidence: how a payment's amount relates to an invoice's open amount (exact,
rounding, early-payment discount, fee deducted, within tolerance, partial, over), and
what each relation adds to a score. All in integer cents.
"""

from __future__ import annotations

from decimal import Decimal

import polars as pl

from matcher.payments.config import AMOUNT_RELATIONS, MatchConfig, ScoreWeights


def scaled(cents: pl.Expr, rate: Decimal) -> pl.Expr:
    """``cents * (1 - rate)`` rounded half up, in integers (rate to 1/100000)."""
    keep = 100_000 - int((rate * 100_000).to_integral_value())
    return (cents * keep + 50_000) // 100_000


def amount_relation(
    paid: pl.Expr, owed: pl.Expr, pay_day: pl.Expr, issue_day: pl.Expr, cfg: MatchConfig
) -> pl.Expr:
    """Which amount rule explains ``paid`` against ``owed`` (first that applies)."""
    diff = paid - owed
    rounding = int(cfg.rounding_tolerance * 100)
    discount = pl.lit(False)
    for rate, days in cfg.early_payment_discounts:
        discount = discount | (
            ((paid - scaled(owed, rate)).abs() <= 1) & (pay_day <= issue_day + days)
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


def amount_weight(relation: pl.Expr, w: ScoreWeights) -> pl.Expr:
    expr = pl.lit(0.0)
    for name in AMOUNT_RELATIONS:
        expr = pl.when(relation == name).then(pl.lit(getattr(w, name))).otherwise(expr)
    return expr
