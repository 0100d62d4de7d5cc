"""One-to-one links from scored candidate pairs, with status and margin.

Within each connected group of candidates (records joined by any candidate pair) the
links are a maximum-weight assignment (Hungarian) of log-odds above the suggestion
threshold; a group too large for it is solved greedily, best pair first. A link is
`auto` when its probability clears `auto_threshold` and no competing candidate of either
record comes within `ambiguity_margin`; otherwise `suggested`.
"""

from __future__ import annotations

import math

import numpy as np
import polars as pl
from scipy.optimize import linear_sum_assignment
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

LINK_COLUMNS = ("left_id", "right_id", "score", "status", "margin", "evidence")
"""The first columns of every link, in order; the pairs' other columns follow them."""


def assign(
    scored: pl.DataFrame,
    *,
    suggest_threshold: float,
    auto_threshold: float,
    ambiguity_margin: float,
) -> pl.DataFrame:
    """The one-to-one links among `scored` pairs (`left_row`, `right_row`, `left_id`,
    `right_id`, `logit`, `score`, `evidence` and any others) above `suggest_threshold`."""
    hidden = (*LINK_COLUMNS, "left_row", "right_row", "logit")
    extra = [c for c in scored.columns if c not in hidden]
    schema = {"status": pl.Utf8, "margin": pl.Float64} | dict(scored.schema)
    empty = pl.DataFrame(schema={c: schema[c] for c in (*LINK_COLUMNS, *extra)})
    edges = scored.filter(pl.col("score") >= suggest_threshold)
    if edges.is_empty():
        return empty
    threshold = min(max(suggest_threshold, 1e-9), 1 - 1e-9)
    chosen = _one_to_one(edges, math.log(threshold / (1 - threshold)))
    best_left = scored.group_by("left_row").agg(_best_two().alias("left_top"))
    best_right = scored.group_by("right_row").agg(_best_two().alias("right_top"))
    links = (
        chosen.join(best_left, on="left_row")
        .join(best_right, on="right_row")
        .with_columns(
            pl.max_horizontal(
                _runner_up(pl.col("left_top")), _runner_up(pl.col("right_top"))
            ).alias("runner_up")
        )
        .with_columns((pl.col("score") - pl.col("runner_up")).alias("margin"))
        .with_columns(
            pl.when((pl.col("score") >= auto_threshold) & (pl.col("margin") >= ambiguity_margin))
            .then(pl.lit("auto"))
            .otherwise(pl.lit("suggested"))
            .alias("status")
        )
    )
    return links.select(empty.columns).sort("score", "left_id", descending=[True, False])


def _best_two() -> pl.Expr:
    """A record's two best candidate scores, best first."""
    return pl.col("score").sort(descending=True).head(2)


def _runner_up(top: pl.Expr) -> pl.Expr:
    """The second-best score of a record's candidates (0 if it has just one)."""
    return top.list.get(1, null_on_oob=True).fill_null(0.0)


def _one_to_one(edges: pl.DataFrame, threshold_logit: float) -> pl.DataFrame:
    """Maximum-weight one-to-one choice of `edges`, solved per connected group."""
    left_rows = edges["left_row"].to_numpy()
    right_rows = edges["right_row"].to_numpy()
    left_index = {row: i for i, row in enumerate(np.unique(left_rows))}
    right_index = {row: i for i, row in enumerate(np.unique(right_rows))}
    n_left = len(left_index)
    a = np.array([left_index[row] for row in left_rows])
    b = np.array([right_index[row] for row in right_rows]) + n_left
    size = n_left + len(right_index)
    graph = coo_matrix((np.ones(len(a)), (a, b)), shape=(size, size))
    _, labels = connected_components(graph, directed=False)
    edges = edges.with_columns(pl.Series("group", labels[a]))
    group_sizes = edges.group_by("group").len("edges")
    edges = edges.join(group_sizes, on="group")
    single = edges.filter(pl.col("edges") == 1)
    chosen: list[pl.DataFrame] = [single]
    for _, group in edges.filter(pl.col("edges") > 1).group_by("group"):
        chosen.append(_assign_group(group, threshold_logit))
    return pl.concat(chosen).drop("group", "edges")


def _assign_group(group: pl.DataFrame, threshold_logit: float) -> pl.DataFrame:
    rows = group["left_row"].unique().sort().to_list()
    cols = group["right_row"].unique().sort().to_list()
    if len(rows) * len(cols) > 250_000:
        return _greedy(group)
    row_at = {row: i for i, row in enumerate(rows)}
    col_at = {col: j for j, col in enumerate(cols)}
    # A link is worth its log-odds above the threshold; no link is worth nothing.
    benefit = np.zeros((len(rows), len(cols)))
    for left_row, right_row, logit in group.select("left_row", "right_row", "logit").iter_rows():
        benefit[row_at[left_row], col_at[right_row]] = logit - threshold_logit + 1e-6
    picked_rows, picked_cols = linear_sum_assignment(benefit, maximize=True)
    keep = {
        (rows[i], cols[j]) for i, j in zip(picked_rows, picked_cols, strict=True) if benefit[i, j]
    }
    mask = [
        (left_row, right_row) in keep
        for left_row, right_row in group.select("left_row", "right_row").iter_rows()
    ]
    return group.filter(pl.Series(mask))


def _greedy(group: pl.DataFrame) -> pl.DataFrame:
    used_left: set[int] = set()
    used_right: set[int] = set()
    mask = []
    ordered = group.sort("logit", "left_id", "right_id", descending=[True, False, False])
    for left_row, right_row in ordered.select("left_row", "right_row").iter_rows():
        take = left_row not in used_left and right_row not in used_right
        if take:
            used_left.add(left_row)
            used_right.add(right_row)
        mask.append(take)
    return ordered.filter(pl.Series(mask))
