"""The anomaly scorer's IsolationForest over the counterparty context: a strength in
[0, 1] per transaction and the feature that stands out most."""

from __future__ import annotations

import numpy as np
import polars as pl
from sklearn.ensemble import IsolationForest

from matcher.anomalies.config import AnomalyConfig

FOREST_FEATURES = {
    "_log_amount": "amount",
    "_log_ratio": "amount against this counterparty's median",
    "_bank_recency": "recent change of bank details",
    "_under_threshold": "amount just under the approval threshold",
    "_first_invoice_amount": "amount of a first invoice from this counterparty",
    "_nominal_rarity": "nominal unusual for this counterparty",
}


def with_forest(frame: pl.DataFrame, config: AnomalyConfig) -> pl.DataFrame:
    """The IsolationForest's strength: 0 up to `isolation_floor`, `isolation_weight` from
    `isolation_ceiling`, linear in between."""
    features = frame.select(
        pl.col(name).cast(pl.Float64).fill_null(0.0).fill_nan(0.0) for name in FOREST_FEATURES
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
    names = list(FOREST_FEATURES.values())
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
