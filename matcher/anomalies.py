"""Flag transactions that look wrong, each with a score and the reasons in plain words.

`score_transactions(df, config)` runs explainable rules — duplicate invoice number per
counterparty, the same counterparty + amount + date under another number, VAT that is
not net x rate, negative quantities, a date outside the posting period, a due date
before the invoice date, an amount far from the counterparty's history, weekend
postings and round amounts (the last two only as weak signals) — and the counterparty's
context as weak signals too: bank details changed in the last month, gross just under the
approval threshold, a first invoice that is large, a nominal used nowhere else in its
history. None of those flags alone. An IsolationForest over the context (log amount, log
amount against the counterparty's median, recency of a bank-details change, just under
the threshold, size of a first invoice, rarity of the nominal for this counterparty)
finds the combinations that no single rule describes. Each fired rule and the forest
give a score in [0, 1]; they combine as independent evidence, `1 - prod(1 - s_i)`, into
`anomaly_score`. `AnomalyConfig(use_rules=False)` scores with the forest alone (at full
strength) and `isolation_weight=0` with the rules alone, to measure what each adds.

Input columns (extra columns are kept):
    transaction_id   str    required; ties in entry order are broken by it, T9 before T10
    counterparty_id  str    required
    date             date   required: invoice (posting) date
    net_amount       f64    required
    number           str    optional: invoice number (duplicate-number rule)
    due_date         date   optional (due-before-issue rule)
    tax_amount       f64    optional, with tax_rate (VAT rule)
    tax_rate         f64    optional: percent, 20 = 20%
    gross_amount     f64    optional: net + tax when absent (duplicate-content rule)
    line_count       i64    optional
    min_quantity     f64    optional: the smallest line quantity (negative-quantity rule)
    period_start, period_end   date   optional: the period the row was posted in
    nominal_code     str    optional: the nominal (expense) account posted to
    bank_details_changed  date  optional: when the counterparty's bank details last
                            changed, on or before the invoice date
Added columns:
    anomaly_score    f64    in [0, 1]
    is_anomaly       bool   anomaly_score >= config.threshold
    reasons          list[str]  one human sentence per signal, strongest first
    rules            list[str]  the names of the signals that fired
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl
from sklearn.ensemble import IsolationForest

RULE_NAMES = (
    "duplicate_number",
    "duplicate_content",
    "vat_mismatch",
    "negative_quantity",
    "outside_period",
    "due_before_issue",
    "amount_outlier",
    "weekend",
    "round_amount",
    "recent_bank_change",
    "under_approval_threshold",
    "first_invoice_large",
    "unusual_nominal",
    "isolation_forest",
)
_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


@dataclass(frozen=True)
class AnomalyConfig:
    """Rule strengths, tolerances and the forest's settings."""

    threshold: float = 0.5
    duplicate_number: float = 0.95
    duplicate_content: float = 0.9
    vat_mismatch: float = 0.9
    vat_tolerance_per_line: float = 0.01
    """Per-line rounding lets VAT differ from net x rate by this much per line."""
    negative_quantity: float = 0.85
    outside_period: float = 0.85
    due_before_issue: float = 0.8
    amount_outlier: float = 0.75
    outlier_ratio: float = 8.0
    """An amount is an outlier at this multiple of (or fraction of) the median ..."""
    outlier_z: float = 4.0
    """... and this many robust standard deviations from it."""
    min_history: int = 5
    """Transactions a counterparty needs before its history is compared against."""
    weekend: float = 0.15
    round_amount: float = 0.1
    round_unit: float = 100.0
    round_minimum: float = 1_000.0
    isolation_weight: float = 0.45
    """The forest's strength at `isolation_ceiling` and above."""
    isolation_floor: float = 0.57
    """Isolation scores (about 0.5 for ordinary rows) below this add nothing ..."""
    isolation_ceiling: float = 0.65
    """... and from here on add `isolation_weight`; linear in between."""
    approval_threshold: float = 5_000.0
    """Gross amount from which an invoice needs a second approver ..."""
    approval_margin: float = 0.05
    """... and the share below it that counts as just under."""
    recent_bank_change_days: int = 30
    """A bank-details change this recent counts as recent."""
    recent_bank_change: float = 0.2
    under_approval_threshold: float = 0.15
    first_invoice_large: float = 0.2
    first_invoice_amount: float = 5_000.0
    """A counterparty's first invoice from this net amount counts as large."""
    unusual_nominal: float = 0.15
    use_rules: bool = True
    """False scores with the forest alone (at full strength): the model without the rules."""
    isolation_trees: int = 200
    isolation_min_rows: int = 200
    """Below this many transactions the forest has too little to learn from: not run."""
    random_state: int = 0


def score_transactions(df: pl.DataFrame, config: AnomalyConfig | None = None) -> pl.DataFrame:
    """`df` with `anomaly_score`, `is_anomaly`, `reasons` and `rules` added."""
    config = config or AnomalyConfig()
    missing = {"transaction_id", "counterparty_id", "date", "net_amount"} - set(df.columns)
    if missing:
        raise ValueError(f"transactions lack required columns {sorted(missing)}")
    frame = _complete(df).with_row_index("_row")
    frame = _with_history(frame, config)
    frame = _with_rules(frame, config)
    frame = _with_forest(frame, config)
    signals = list(RULE_NAMES) if config.use_rules else ["isolation_forest"]
    strength = [pl.col(f"_s_{name}") for name in signals]
    combined = 1.0 - pl.fold(pl.lit(1.0), lambda acc, s: acc * (1.0 - s), strength)
    reasons = [pl.col(f"_r_{name}") for name in signals]
    scored = frame.with_columns(
        combined.clip(0.0, 1.0).alias("anomaly_score"),
        _ordered(strength, reasons).alias("reasons"),
        _ordered(strength, [pl.lit(name) for name in signals]).alias("rules"),
    ).with_columns((pl.col("anomaly_score") >= config.threshold).alias("is_anomaly"))
    return scored.sort("_row").select(
        *df.columns, "anomaly_score", "is_anomaly", "reasons", "rules"
    )


def _ordered(strengths: list[pl.Expr], labels: list[pl.Expr]) -> pl.Expr:
    """Labels of the signals that fired (strength > 0), strongest first."""
    pairs = [
        pl.when(s > 0).then(pl.struct(s.alias("s"), label.cast(pl.Utf8).alias("l")))
        for s, label in zip(strengths, labels, strict=True)
    ]
    return (
        pl.concat_list(pairs)
        .list.drop_nulls()
        .list.eval(pl.element().sort_by(pl.element().struct.field("s"), descending=True))
        .list.eval(pl.element().struct.field("l"))
    )


def _complete(df: pl.DataFrame) -> pl.DataFrame:
    """Optional columns filled in as 'unknown' so each rule can test for itself."""
    frame = df.with_columns(
        pl.col("transaction_id").cast(pl.Utf8),
        pl.col("counterparty_id").cast(pl.Utf8),
        pl.col("net_amount").cast(pl.Float64),
    )
    defaults: dict[str, pl.Expr] = {
        "number": pl.lit(None, dtype=pl.Utf8),
        "due_date": pl.lit(None, dtype=pl.Date),
        "tax_amount": pl.lit(None, dtype=pl.Float64),
        "tax_rate": pl.lit(None, dtype=pl.Float64),
        "line_count": pl.lit(1, dtype=pl.Int64),
        "min_quantity": pl.lit(None, dtype=pl.Float64),
        "period_start": pl.lit(None, dtype=pl.Date),
        "period_end": pl.lit(None, dtype=pl.Date),
        "nominal_code": pl.lit(None, dtype=pl.Utf8),
        "bank_details_changed": pl.lit(None, dtype=pl.Date),
    }
    frame = frame.with_columns(
        expr.alias(name) for name, expr in defaults.items() if name not in frame.columns
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


def _with_history(frame: pl.DataFrame, config: AnomalyConfig) -> pl.DataFrame:
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


def _money(column: str) -> pl.Expr:
    return pl.col(column).round(2).cast(pl.Utf8)


Rule = tuple[pl.Expr, float, pl.Expr]
"""A rule: when it fires, its strength, and the reason it gives."""


def _with_rules(frame: pl.DataFrame, config: AnomalyConfig) -> pl.DataFrame:
    """Each rule's strength (``_s_<name>``, 0 when it does not fire) and reason (``_r_``)."""
    ordered = _with_context(_in_entry_order(frame), config)
    rules = {
        **_duplicate_rules(config),
        **_content_rules(config),
        **_history_rules(config),
        **_context_rules(config),
    }
    return ordered.with_columns(
        expr
        for name, (fired, strength, reason) in rules.items()
        for expr in (
            pl.when(fired.fill_null(False)).then(strength).otherwise(0.0).alias(f"_s_{name}"),
            pl.when(fired.fill_null(False)).then(reason).alias(f"_r_{name}"),
        )
    )


def _in_entry_order(frame: pl.DataFrame) -> pl.DataFrame:
    """Rows in entry order, with the first of each number and of each content (same
    counterparty, amount and date), and each row's rank among them."""
    return frame.sort("date", "_id_length", "transaction_id").with_columns(
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


def _with_context(frame: pl.DataFrame, config: AnomalyConfig) -> pl.DataFrame:
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


_FOREST_FEATURES = {
    "_log_amount": "amount",
    "_log_ratio": "amount against this counterparty's median",
    "_bank_recency": "recent change of bank details",
    "_under_threshold": "amount just under the approval threshold",
    "_first_invoice_amount": "amount of a first invoice from this counterparty",
    "_nominal_rarity": "nominal unusual for this counterparty",
}


def _with_forest(frame: pl.DataFrame, config: AnomalyConfig) -> pl.DataFrame:
    """The IsolationForest's strength: 0 up to `isolation_floor`, `isolation_weight` from
    `isolation_ceiling`, linear in between."""
    features = frame.select(
        pl.col(name).cast(pl.Float64).fill_null(0.0).fill_nan(0.0) for name in _FOREST_FEATURES
    ).to_numpy()
    if len(features) < max(config.isolation_min_rows, 2):
        return frame.with_columns(
            pl.lit(0.0).alias("_s_isolation_forest"),
            pl.lit(None, dtype=pl.Utf8).alias("_r_isolation_forest"),
        )
    forest = IsolationForest(
        n_estimators=config.isolation_trees,
        max_samples=min(256, len(features)),
        random_state=config.random_state,
    ).fit(features)
    isolation = -forest.score_samples(features)  # the paper's score: ~0.5 normal, -> 1 odd
    ramp = (isolation - config.isolation_floor) / max(
        config.isolation_ceiling - config.isolation_floor, 1e-9
    )
    strength = np.clip(ramp, 0.0, 1.0) * (config.isolation_weight if config.use_rules else 1.0)
    # Explain by the feature furthest from typical, in robust standard deviations.
    centre = np.median(features, axis=0)
    spread = np.median(np.abs(features - centre), axis=0) * 1.4826
    spread = np.where(spread > 0, spread, np.std(features, axis=0) + 1e-9)
    deviation = np.abs(features - centre) / spread
    names = list(_FOREST_FEATURES.values())
    furthest = [names[i] for i in deviation.argmax(axis=1)]
    return frame.with_columns(
        pl.Series("_s_isolation_forest", strength, dtype=pl.Float64),
        pl.Series("_isolation", isolation, dtype=pl.Float64),
        pl.Series("_furthest", furthest, dtype=pl.Utf8),
    ).with_columns(
        pl.when(pl.col("_s_isolation_forest") > 0)
        .then(
            pl.format(
                "Unusual combination of features (isolation score {}), most of all its {}",
                pl.col("_isolation").round(2),
                "_furthest",
            )
        )
        .alias("_r_isolation_forest")
    )
