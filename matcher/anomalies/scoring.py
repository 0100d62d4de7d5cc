"""`score_transactions`: features, rules and the forest combined as independent evidence
into one score per transaction, with its reasons strongest first."""

from __future__ import annotations

import polars as pl

from matcher.anomalies.config import RULE_NAMES, AnomalyConfig
from matcher.anomalies.features import complete, in_entry_order, with_context, with_history
from matcher.anomalies.forest import with_forest
from matcher.anomalies.rules import with_rules


def score_transactions(df: pl.DataFrame, config: AnomalyConfig | None = None) -> pl.DataFrame:
    """`df` with `anomaly_score`, `is_anomaly`, `reasons` and `rules` added."""
    config = config or AnomalyConfig()
    missing = {"transaction_id", "counterparty_id", "date", "net_amount"} - set(df.columns)
    if missing:
        raise ValueError(f"transactions lack required columns {sorted(missing)}")
    frame = complete(df).with_row_index("_row")
    frame = with_history(frame, config)
    frame = with_context(in_entry_order(frame), config)
    frame = with_rules(frame, config)
    frame = with_forest(frame, config)
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
        .list.eval(
            # Equal strengths keep the signals' order, so reasons and rules list alike.
            pl.element().sort_by(
                pl.element().struct.field("s"), descending=True, maintain_order=True
            )
        )
        .list.eval(pl.element().struct.field("l"))
    )
