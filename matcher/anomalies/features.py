"""Per-transaction features of the anomaly scorer: optional columns completed, the
counterparty's amount history, entry order, and the context (bank details, approval
threshold, first invoice, nominal) the context rules and the forest read."""

from __future__ import annotations

import polars as pl

from matcher.anomalies.config import AnomalyConfig

_TYPES: dict[str, type[pl.DataType]] = {
    **dict.fromkeys(("number", "nominal_code"), pl.Utf8),
    **dict.fromkeys(("date", "due_date", "period_start", "period_end"), pl.Date),
    "bank_details_changed": pl.Date,
    **dict.fromkeys(("tax_amount", "tax_rate", "gross_amount", "min_quantity"), pl.Float64),
    "line_count": pl.Int64,
}
"""The type each column a rule reads has, where the frame gives it none."""


def complete(df: pl.DataFrame) -> pl.DataFrame:
    """Optional columns filled in as 'unknown' so each rule can test for itself; a column
    of nulls only (dtype Null: it carries no type) takes the type its rules read."""
    frame = df.with_columns(
        pl.col("transaction_id").cast(pl.Utf8),
        pl.col("counterparty_id").cast(pl.Utf8),
        pl.col("net_amount").cast(pl.Float64),
    )
    frame = frame.with_columns(
        pl.col(name).cast(dtype)
        for name, dtype in _TYPES.items()
        if frame.schema.get(name) == pl.Null
    )
    # Absent optional columns: unknown (nulls of their type; a line count of 1, below).
    frame = frame.with_columns(
        pl.lit(None, dtype=dtype).alias(name)
        for name, dtype in _TYPES.items()
        if name not in frame.columns and name not in ("date", "gross_amount")
    )
    if "gross_amount" not in frame.columns:
        frame = frame.with_columns(
            (pl.col("net_amount") + pl.col("tax_amount").fill_null(0.0)).alias("gross_amount")
        )
    return frame.with_columns(
        pl.col("line_count").cast(pl.Int64).fill_null(1),
        pl.col("gross_amount").cast(pl.Float64).round(2),
        # Entry order: date, then transaction id in natural order (T9 before T10).
        pl.col("transaction_id").str.len_chars().alias("_id_length"),
    )


def with_history(frame: pl.DataFrame, config: AnomalyConfig) -> pl.DataFrame:
    """Per-counterparty median and robust spread of log amount, and the derived features."""
    log_amount = pl.col("net_amount").abs().log1p()
    return (
        frame.with_columns(log_amount.alias("_log_amount"))
        .with_columns(
            pl.col("_log_amount").median().over("counterparty_id").alias("_cp_median"),
            pl.len().over("counterparty_id").alias("_cp_count"),
            ((pl.col("net_amount") % config.round_unit == 0) & (pl.col("net_amount") != 0))
            .cast(pl.Float64)
            .alias("_round"),
        )
        .with_columns(
            (
                (pl.col("_log_amount") - pl.col("_cp_median"))
                .abs()
                .median()
                .over("counterparty_id")
                * 1.4826
            )
            .clip(lower_bound=0.05)
            .alias("_cp_spread"),
            pl.col("_round").mean().over("counterparty_id").alias("_cp_round_share"),
        )
        .with_columns(
            pl.when(pl.col("_cp_count") >= config.min_history)
            .then((pl.col("_log_amount") - pl.col("_cp_median")) / pl.col("_cp_spread"))
            .otherwise(0.0)
            .alias("_amount_z"),
            pl.when(pl.col("_cp_count") >= config.min_history)
            .then(pl.col("_log_amount") - pl.col("_cp_median"))
            .otherwise(0.0)
            .alias("_log_ratio"),
            pl.col("date").dt.weekday().alias("_weekday"),  # 1 = Monday
        )
    )


def in_entry_order(frame: pl.DataFrame) -> pl.DataFrame:
    """Rows in entry order (``frame`` holds its ``_row``), with the first of each number
    and of each content (same counterparty, amount and date), and each row's rank among
    them."""
    # The row breaks the last tie: of two entries of one id on one day, the first given.
    return frame.sort("date", "_id_length", "transaction_id", "_row").with_columns(
        pl.col("transaction_id").first().over("counterparty_id", "number").alias("_first_number"),
        pl.int_range(pl.len()).over("counterparty_id", "number").alias("_number_rank"),
        pl.col("transaction_id")
        .first()
        .over("counterparty_id", "gross_amount", "date")
        .alias("_first_content"),
        pl.col("number").first().over("counterparty_id", "gross_amount", "date").alias("_first_no"),
        pl.int_range(pl.len())
        .over("counterparty_id", "gross_amount", "date")
        .alias("_content_rank"),
    )


def with_context(frame: pl.DataFrame, config: AnomalyConfig) -> pl.DataFrame:
    """Where a row stands in its counterparty's history (rows in entry order): earlier
    invoices, days since the bank details changed, the approval threshold, the nominal."""
    threshold = config.approval_threshold
    days = (pl.col("date") - pl.col("bank_details_changed")).dt.total_days()
    return frame.with_columns(
        pl.int_range(pl.len()).over("counterparty_id").alias("_prior_count"),
        days.alias("_days_since_bank_change"),
        (1.0 - days / (3.0 * config.recent_bank_change_days))
        .clip(0.0, 1.0)
        .fill_null(0.0)
        .alias("_bank_recency"),
        pl.col("gross_amount")
        .is_between(threshold * (1 - config.approval_margin), threshold, closed="left")
        .cast(pl.Float64)
        .alias("_under_threshold"),
        pl.when(pl.col("nominal_code").is_not_null() & (pl.col("_cp_count") >= config.min_history))
        .then(
            1.0
            - (pl.len().over("counterparty_id", "nominal_code") - 1)
            / (pl.col("_cp_count") - 1).clip(lower_bound=1)
        )
        .otherwise(0.0)
        .alias("_nominal_rarity"),
    ).with_columns(
        pl.when(pl.col("_prior_count") == 0)
        .then(pl.col("_log_amount"))
        .otherwise(0.0)
        .alias("_first_invoice_amount")
    )
