"""The anomaly scorer's explainable rules: duplicates, content, history and context, each
a condition, a strength and a plain-words reason."""

from __future__ import annotations

import polars as pl

from matcher.anomalies.config import AnomalyConfig

_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def _money(column: str) -> pl.Expr:
    return pl.col(column).round(2).cast(pl.Utf8)


Rule = tuple[pl.Expr, float, pl.Expr]
"""A rule: when it fires, its strength, and the reason it gives."""


def with_rules(frame: pl.DataFrame, config: AnomalyConfig) -> pl.DataFrame:
    """Each rule's strength (``_s_<name>``, 0 when it does not fire) and reason (``_r_``)."""
    rules = {
        **_duplicate_rules(config),
        **_content_rules(config),
        **_history_rules(config),
        **_context_rules(config),
    }
    return frame.with_columns(
        expr
        for name, (fired, strength, reason) in rules.items()
        for expr in (
            pl.when(fired.fill_null(False)).then(strength).otherwise(0.0).alias(f"_s_{name}"),
            pl.when(fired.fill_null(False)).then(reason).alias(f"_r_{name}"),
        )
    )


def _duplicate_rules(config: AnomalyConfig) -> dict[str, Rule]:
    """Entered twice: the same number, or the same content under another number."""
    return {
        "duplicate_number": (
            pl.col("number").is_not_null() & (pl.col("_number_rank") > 0),
            config.duplicate_number,
            pl.format(
                "Duplicate invoice number {} for {}: first entered as {}",
                "number",
                "counterparty_id",
                "_first_number",
            ),
        ),
        "duplicate_content": (
            (pl.col("_content_rank") > 0)
            & (pl.col("number").is_null() | (pl.col("number") != pl.col("_first_no"))),
            config.duplicate_content,
            pl.format(
                "Same counterparty {}, amount {} and date {} as {}",
                "counterparty_id",
                _money("gross_amount"),
                "date",
                "_first_content",
            ),
        ),
    }


def _content_rules(config: AnomalyConfig) -> dict[str, Rule]:
    """What a transaction says about itself: its VAT, quantities and dates."""
    expected_vat = (pl.col("net_amount") * pl.col("tax_rate") / 100.0).round(2)
    vat_gap = (pl.col("tax_amount") - expected_vat).abs()
    tolerance = config.vat_tolerance_per_line * pl.col("line_count").clip(lower_bound=1) + 1e-6
    return {
        "vat_mismatch": (
            pl.col("tax_amount").is_not_null()
            & pl.col("tax_rate").is_not_null()
            & (vat_gap > tolerance),
            config.vat_mismatch,
            pl.format(
                "VAT {} is not net {} × {}% = {}",
                _money("tax_amount"),
                _money("net_amount"),
                pl.col("tax_rate").round(2),
                expected_vat.cast(pl.Utf8),
            ),
        ),
        "negative_quantity": (
            pl.col("min_quantity") < 0,
            config.negative_quantity,
            pl.format("Negative quantity {} on a line", pl.col("min_quantity")),
        ),
        "outside_period": (
            (pl.col("date") < pl.col("period_start")) | (pl.col("date") > pl.col("period_end")),
            config.outside_period,
            pl.format(
                "Dated {}, outside its posting period {} to {}",
                "date",
                "period_start",
                "period_end",
            ),
        ),
        "due_before_issue": (
            pl.col("due_date") < pl.col("date"),
            config.due_before_issue,
            pl.format("Due {}, before its invoice date {}", "due_date", "date"),
        ),
    }


def _history_rules(config: AnomalyConfig) -> dict[str, Rule]:
    """Against the counterparty's history and habits: outliers, weekends, round amounts."""
    ratio = pl.col("_log_ratio").abs().exp()
    outlier = (
        (pl.col("_cp_count") >= config.min_history)
        & (ratio >= config.outlier_ratio)
        & (pl.col("_amount_z").abs() >= config.outlier_z)
    )
    direction = pl.when(pl.col("_log_ratio") > 0).then(pl.lit("×")).otherwise(pl.lit("÷"))
    return {
        "amount_outlier": (
            outlier,
            config.amount_outlier,
            pl.format(
                "Amount {} is {}{} this counterparty's median {} ({} transactions)",
                _money("net_amount"),
                direction,
                ratio.round(1),
                (pl.col("_cp_median").exp() - 1).round(2),
                "_cp_count",
            ),
        ),
        "weekend": (
            pl.col("_weekday") >= 6,
            config.weekend,
            pl.format(
                "Dated on a {}",
                pl.col("_weekday").replace_strict(
                    list(range(1, 8)), list(_WEEKDAYS), return_dtype=pl.Utf8
                ),
            ),
        ),
        "round_amount": (
            (pl.col("_round") > 0)
            & (pl.col("net_amount").abs() >= config.round_minimum)
            & (pl.col("_cp_round_share") < 0.5),
            config.round_amount,
            pl.format("Round amount {}, unusual for this counterparty", _money("net_amount")),
        ),
    }


def _context_rules(config: AnomalyConfig) -> dict[str, Rule]:
    """Weak signals of the counterparty's context, each normal enough alone."""
    return {
        "recent_bank_change": (
            pl.col("_days_since_bank_change").is_between(0, config.recent_bank_change_days),
            config.recent_bank_change,
            pl.format(
                "Bank details of {} changed {} days before this invoice",
                "counterparty_id",
                "_days_since_bank_change",
            ),
        ),
        "under_approval_threshold": (
            pl.col("_under_threshold") > 0,
            config.under_approval_threshold,
            pl.format(
                "Gross {} is just under the approval threshold {}",
                _money("gross_amount"),
                pl.lit(config.approval_threshold).round(2),
            ),
        ),
        "first_invoice_large": (
            (pl.col("_prior_count") == 0)
            & (pl.col("net_amount").abs() >= config.first_invoice_amount),
            config.first_invoice_large,
            pl.format(
                "First invoice from {} and a large one: {}", "counterparty_id", _money("net_amount")
            ),
        ),
        "unusual_nominal": (
            pl.col("_nominal_rarity") >= 1.0,
            config.unusual_nominal,
            pl.format(
                "Nominal {} is used nowhere else in {}'s {} transactions",
                "nominal_code",
                "counterparty_id",
                "_cp_count",
            ),
        ),
    }
