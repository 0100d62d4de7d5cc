"""Scoring matcher output against ground truth: precision, recall, F1 and wrong autos.

Each matcher adds its own ``evaluate_*`` function here; all of them return plain dicts of
numbers so the benchmarks can print them as ``name=value`` pairs.
"""

from __future__ import annotations

import polars as pl


def evaluate_payments(result: pl.DataFrame, truth: pl.DataFrame) -> dict[str, float | int]:
    """Compare `match_payments` output with truth, as (payment_id, invoice_id) pairs.

    Every output row counts as a prediction, auto or suggested. ``wrong_auto`` counts
    auto pairs that are not in the truth: the number that must stay at zero.
    """
    keys = ["payment_id", "invoice_id"]
    predicted = result.select(*keys, "status").unique(keys)
    expected = truth.select(keys).unique()
    correct = predicted.join(expected, on=keys, how="semi").height
    auto = predicted.filter(pl.col("status") == "auto")
    wrong_auto = auto.join(expected, on=keys, how="anti").height
    precision = correct / predicted.height if predicted.height else 1.0
    recall = correct / expected.height if expected.height else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "precision": round(precision, 5),
        "recall": round(recall, 5),
        "f1": round(f1, 5),
        "wrong_auto": wrong_auto,
        "auto": auto.height,
        "suggested": predicted.height - auto.height,
        "truth": expected.height,
    }
