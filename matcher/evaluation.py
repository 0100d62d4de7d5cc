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

    Where ``truth`` has a ``review`` column, its true rows are pairs no one could tell
    from the data (a payment to put on account and ask about): they are neither required
    nor, when found, counted; any other pair proposed for such a payment is wrong as
    usual. ``review`` says how many truth pairs were set aside.
    """
    keys = ["payment_id", "invoice_id"]
    if "review" not in truth.columns:
        return _score_pairs(result, truth, keys, auto_precision=False) | {"review": 0}
    review = truth.filter(pl.col("review")).select(keys)
    return _score_pairs(
        result.join(review, on=keys, how="anti"),
        truth.filter(~pl.col("review")),
        keys,
        auto_precision=False,
    ) | {"review": review.unique().height}


def evaluate_links(result: pl.DataFrame, truth: pl.DataFrame) -> dict[str, float | int]:
    """Compare `link_masters` output with truth, as (left_id, right_id) pairs.

    Every output row counts as a predicted link, auto or suggested; ``auto_precision``
    and ``wrong_auto`` judge the auto links alone.
    """
    return _score_pairs(result, truth, ["left_id", "right_id"], auto_precision=True)


def evaluate_gl(
    suggestions: pl.DataFrame, truth: pl.DataFrame, k: int = 3
) -> dict[str, float | int]:
    """Top-1 and top-k accuracy of `GLSuggester.suggest` output against true accounts.

    `truth` has `line` (the position passed to `suggest`) and `gl_account`; a line with no
    suggestion counts as wrong. ``calibration_error`` is the expected calibration error of
    the top-1 probability over ten equal-width bins (`gl_reliability`).
    """
    expected = _gl_truth(truth)
    joined = suggestions.filter(pl.col("rank") <= k).join(expected, on="line")
    hits = joined.filter(pl.col("gl_account") == pl.col("_true"))
    top1 = hits.filter(pl.col("rank") == 1).height / expected.height if expected.height else 1.0
    topk = hits["line"].n_unique() / expected.height if expected.height else 1.0
    bins = gl_reliability(suggestions, truth)
    scored = int(bins["lines"].sum())
    ece = (
        float((bins["lines"] * (bins["accuracy"] - bins["confidence"]).abs()).sum() / scored)
        if scored
        else 0.0
    )
    return {
        "top1": round(top1, 5),
        f"top{k}": round(topk, 5),
        "calibration_error": round(ece, 5),
        "lines": expected.height,
    }


def gl_reliability(suggestions: pl.DataFrame, truth: pl.DataFrame) -> pl.DataFrame:
    """The reliability diagram of the top-1 probability: one row per non-empty tenth of
    [0, 1] (`bin` 0-9, 9 holding 1.0) with its `lines`, their mean `confidence` (the
    probability given) and `accuracy` (the share whose top account is right).

    A bin whose accuracy is above its confidence is under-confident, below it
    over-confident; `evaluate_gl`'s calibration error is their gap weighted by lines.
    """
    first = (
        suggestions.filter(pl.col("rank") == 1)
        .join(_gl_truth(truth), on="line")
        .with_columns(
            (pl.col("gl_account") == pl.col("_true")).cast(pl.Float64).alias("_hit"),
            (pl.col("probability") * 10).floor().clip(0, 9).cast(pl.Int32).alias("bin"),
        )
    )
    return (
        first.group_by("bin")
        .agg(
            pl.len().cast(pl.Int64).alias("lines"),
            pl.col("probability").mean().alias("confidence"),
            pl.col("_hit").mean().alias("accuracy"),
        )
        .sort("bin")
    )


def _gl_truth(truth: pl.DataFrame) -> pl.DataFrame:
    return truth.select(pl.col("line").cast(pl.UInt32), pl.col("gl_account").alias("_true"))


def evaluate_anomalies(scored: pl.DataFrame, truth: pl.DataFrame) -> dict[str, float | int]:
    """Precision and recall of `score_transactions` flags against `transaction_id` truth.

    `truth` has `transaction_id`, `is_anomaly` and optionally `kind`; ``recall_<kind>``
    is the share of each injected kind that was flagged.
    """
    joined = scored.select("transaction_id", pl.col("is_anomaly").alias("_flagged")).join(
        truth, on="transaction_id"
    )
    flagged = joined.filter(pl.col("_flagged"))
    actual = joined.filter(pl.col("is_anomaly"))
    hits = flagged.filter(pl.col("is_anomaly")).height
    metrics = _precision_recall_f1(hits, flagged.height, actual.height) | {
        "flagged": flagged.height,
        "anomalies": actual.height,
    }
    if "kind" in truth.columns:
        by_kind = actual.group_by("kind").agg(pl.col("_flagged").mean()).sort("kind")
        for kind, share in by_kind.iter_rows():
            metrics[f"recall_{kind}"] = round(float(share), 5)
    return metrics


def _score_pairs(
    result: pl.DataFrame, truth: pl.DataFrame, keys: list[str], *, auto_precision: bool
) -> dict[str, float | int]:
    """Scores of predicted pairs (`keys` plus `status`) against true pairs (`keys`): every
    output row is a prediction; `wrong_auto` counts auto pairs not in the truth, and
    `auto_precision` (when asked for) judges the auto pairs alone."""
    # A pair given twice counts once, as auto if either time it was: a wrong auto is
    # never hidden behind a suggestion of the same pair.
    predicted = (
        result.select(*keys, "status")
        .sort(*keys, pl.col("status") != "auto")
        .unique(keys, keep="first", maintain_order=True)
    )
    expected = truth.select(keys).unique()
    correct = predicted.join(expected, on=keys, how="semi").height
    auto = predicted.filter(pl.col("status") == "auto")
    wrong_auto = auto.join(expected, on=keys, how="anti").height
    scores = _precision_recall_f1(correct, predicted.height, expected.height)
    if auto_precision:
        scores["auto_precision"] = round(1 - wrong_auto / auto.height, 5) if auto.height else 1.0
    return scores | {
        "wrong_auto": wrong_auto,
        "auto": auto.height,
        "suggested": predicted.height - auto.height,
        "truth": expected.height,
    }


def _precision_recall_f1(hits: int, predicted: int, actual: int) -> dict[str, float | int]:
    """Precision, recall and F1 (to 5 places) of `hits` among `predicted` predictions and
    `actual` true cases; with nothing predicted (or nothing to find) the score is 1.0."""
    precision = hits / predicted if predicted else 1.0
    recall = hits / actual if actual else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": round(precision, 5), "recall": round(recall, 5), "f1": round(f1, 5)}
