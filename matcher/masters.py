"""Link the same customer, supplier or product across KashFlow and Sage 100.

`link_masters(left, right, config)` normalises both frames, forms candidate pairs by
blocking (shared tax number, email, email domain, phone, postcode, code, rare name
words and word pairs, name prefixes), scores each pair as weighted evidence — every
field that agrees adds log-odds, every field that disagrees takes some away, a missing
field says nothing — and keeps a one-to-one assignment (Hungarian within each connected
group of candidates). A link is `auto` when its score clears `auto_threshold` and no
competing candidate comes within `ambiguity_margin`; otherwise `suggested` for review.

Input columns (both frames; all but `id` and `name` optional, extra columns ignored):
    id          str   the record key in its system (KashFlow Code, Sage CustomerNo ...)
    name        str   organisation name or item description
    email, phone, postcode, address, city, country, tax_number   str
    code        str   item code, compared loosely (products: KashFlow Code vs ItemCode)
Output columns, one row per linked pair, best first:
    left_id, right_id  str
    score              f64 in [0, 1]: the evidence as a probability-like figure
    status             str "auto" | "suggested"
    margin             f64 the score minus the best competing candidate of either record
    evidence           str the fields that agreed (=) or disagreed (≠), e.g. "name 0.96, email="
`KASHFLOW_COLUMNS` and `SAGE100_COLUMNS` rename native columns to this contract.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import polars as pl
from rapidfuzz import fuzz, process
from scipy.optimize import linear_sum_assignment
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from matcher.normalise import DEFAULT_PHONE_REGION, FREE_EMAIL_DOMAINS, normalised

KASHFLOW_COLUMNS: dict[str, str] = {
    "Code": "id",
    "Name": "name",
    "Email": "email",
    "TelephoneNumber": "phone",
    "Postcode": "postcode",
    "VatNumber": "tax_number",
    "VATNumber": "tax_number",
}
"""KashFlow customer/supplier/product field -> contract column (use with `strict=False`)."""

SAGE100_COLUMNS: dict[str, str] = {
    "CustomerNo": "id",
    "VendorNo": "id",
    "ItemCode": "id",
    "CustomerName": "name",
    "VendorName": "name",
    "ItemCodeDesc": "name",
    "EmailAddress": "email",
    "TelephoneNo": "phone",
    "AddressLine1": "address",
    "City": "city",
    "ZipCode": "postcode",
    "CountryCode": "country",
    "TaxExemptNo": "tax_number",
}
"""Sage 100 AR_Customer/AP_Vendor/CI_Item column -> contract column (`strict=False`)."""

OPTIONAL_COLUMNS = ("email", "phone", "postcode", "address", "city", "country", "tax_number")


@dataclass(frozen=True)
class EvidenceWeights:
    """Log-odds each field adds when it agrees, or takes away when it disagrees."""

    bias: float = -2.5
    name_pivot: float = 0.86
    """Name similarity that is neutral evidence; above it adds, below it subtracts."""
    name_slope: float = 25.0
    name_max: float = 3.5
    name_min: float = -8.0
    unique_name: float = 1.0
    """Extra when the exact normalised name occurs once on each side."""
    name_frequency: float = 1.5
    """Taken per natural-log unit of how often an agreeing name occurs on either side."""
    numbers_differ: float = -5.0
    """The numbers in the names differ (180cm vs 160cm, Unit 4 vs Unit 5)."""
    tax_agree: float = 6.0
    tax_differ: float = -4.0
    email_agree: float = 4.0
    domain_agree: float = 2.5
    domain_differ: float = -1.5
    phone_agree: float = 3.0
    phone_differ: float = -0.5
    postcode_agree: float = 3.0
    district_agree: float = 0.5
    postcode_differ: float = -2.0
    address_agree: float = 1.0
    address_differ: float = -0.5
    city_agree: float = 0.3
    city_differ: float = -1.0
    code_agree: float = 5.0
    code_differ: float = -0.5


@dataclass(frozen=True)
class MasterConfig:
    """Thresholds, blocking limits and evidence weights for `link_masters`."""

    auto_threshold: float = 0.97
    suggest_threshold: float = 0.5
    ambiguity_margin: float = 0.1
    max_block_pairs: int = 2_500
    """Blocks whose |left| x |right| exceeds this are too common to say anything; skipped."""
    name_prefix_length: int = 4
    phone_region: str = DEFAULT_PHONE_REGION
    """Where phone numbers written without a country code are read first (ISO 3166)."""
    weights: EvidenceWeights = field(default_factory=EvidenceWeights)


def link_masters(
    left: pl.DataFrame, right: pl.DataFrame, config: MasterConfig | None = None
) -> pl.DataFrame:
    """One-to-one links between `left` and `right` records with score and status."""
    config = config or MasterConfig()
    for side, frame in (("left", left), ("right", right)):
        missing = {"id", "name"} - set(frame.columns)
        if missing:
            raise ValueError(f"{side} frame lacks required columns {sorted(missing)}")
    lhs, rhs = prepare(left, config.phone_region), prepare(right, config.phone_region)
    pairs = candidate_pairs(lhs, rhs, config)
    scored = score_pairs(lhs, rhs, pairs, config)
    return assign(scored, config)


def prepare(frame: pl.DataFrame, phone_region: str = DEFAULT_PHONE_REGION) -> pl.DataFrame:
    """The normalised comparison fields of `frame`, one row per record, indexed by `row`."""
    columns = {column: _text(frame, column) for column in ("name", *OPTIONAL_COLUMNS, "code")}
    email = normalised(columns["email"], "normalise_email")
    domain = normalised(columns["email"], "email_domain")
    prepared = pl.DataFrame(
        {
            "row": np.arange(frame.height, dtype=np.int64),
            "id": frame["id"].cast(pl.Utf8),
            "name": normalised(columns["name"], "normalise_name"),
            "numbers": normalised(columns["name"], "name_numbers"),
            "email": email,
            "domain": domain,
            "phone": normalised(columns["phone"], "normalise_phone", region=phone_region),
            "postcode": normalised(columns["postcode"], "normalise_postcode"),
            "district": normalised(columns["postcode"], "postcode_district"),
            "address": normalised(columns["address"], "normalise_address"),
            "city": normalised(columns["city"], "clean_text"),
            "tax": normalised(columns["tax_number"], "normalise_tax_number"),
            "code": normalised(columns["code"], "normalise_code"),
        }
    )
    return prepared.with_columns(
        pl.when(pl.col("domain").is_in(list(FREE_EMAIL_DOMAINS)))
        .then(pl.lit(""))
        .otherwise(pl.col("domain"))
        .alias("domain"),
        pl.col("phone").str.slice(-9).alias("phone"),
        pl.len().over("name").alias("name_count"),
    )


def _text(frame: pl.DataFrame, column: str) -> pl.Series:
    if column in frame.columns:
        return frame[column].cast(pl.Utf8).rename(column)
    return pl.Series(column, [None] * frame.height, dtype=pl.Utf8)


def _blocking_keys(prepared: pl.DataFrame, prefix_length: int) -> pl.DataFrame:
    """`row, key` for every blocking key of every record (keys are namespaced by field)."""
    exact = [
        prepared.filter(pl.col(field_name) != "").select(
            "row", (pl.lit(f"{field_name}:") + pl.col(field_name)).alias("key")
        )
        for field_name in ("tax", "email", "domain", "phone", "postcode", "code", "name")
    ]
    tokens = prepared.select("row", pl.col("name").str.split(" ").alias("tokens"))
    words = (
        tokens.explode("tokens")
        .filter(pl.col("tokens").str.len_chars() >= 3)
        .select("row", (pl.lit("word:") + pl.col("tokens")).alias("key"))
    )
    word_pairs = (
        tokens.with_columns(pl.col("tokens").list.slice(1).alias("next"))
        .with_columns(pl.col("tokens").list.head(pl.col("next").list.len()))
        .explode("tokens", "next")
        .filter(pl.col("next").is_not_null())
        .select("row", (pl.lit("pair:") + pl.col("tokens") + " " + pl.col("next")).alias("key"))
    )
    skeleton = tokens.select(
        "row",
        (
            pl.lit("skeleton:")
            + pl.col("tokens").list.eval(pl.element().str.slice(0, 3)).list.join("")
        ).alias("key"),
    )
    prefix = prepared.select(
        "row",
        (
            pl.lit("prefix:") + pl.col("name").str.replace_all(" ", "").str.slice(0, prefix_length)
        ).alias("key"),
    ).filter(pl.col("key") != "prefix:")
    return pl.concat([*exact, words, word_pairs, skeleton, prefix]).unique()


def candidate_pairs(lhs: pl.DataFrame, rhs: pl.DataFrame, config: MasterConfig) -> pl.DataFrame:
    """Distinct `left_row, right_row` pairs that share at least one usable blocking key."""
    left_keys = _blocking_keys(lhs, config.name_prefix_length)
    right_keys = _blocking_keys(rhs, config.name_prefix_length)
    sizes = (
        left_keys.group_by("key")
        .len("left_size")
        .join(right_keys.group_by("key").len("right_size"), on="key")
        .filter(pl.col("left_size") * pl.col("right_size") <= config.max_block_pairs)
    )
    return (
        left_keys.join(sizes.select("key"), on="key")
        .rename({"row": "left_row"})
        .join(right_keys.rename({"row": "right_row"}), on="key")
        .select("left_row", "right_row")
        .unique()
        .sort("left_row", "right_row")
    )


def score_pairs(
    lhs: pl.DataFrame, rhs: pl.DataFrame, pairs: pl.DataFrame, config: MasterConfig
) -> pl.DataFrame:
    """`pairs` with field comparisons, `logit`, `score` and a readable `evidence`."""
    w = config.weights
    joined = pairs.join(lhs, left_on="left_row", right_on="row").join(
        rhs, left_on="right_row", right_on="row", suffix="_r"
    )
    left_names, right_names = joined["name"].to_list(), joined["name_r"].to_list()
    name_sim = (
        np.maximum(
            process.cpdist(left_names, right_names, scorer=fuzz.ratio, workers=-1),
            process.cpdist(left_names, right_names, scorer=fuzz.token_sort_ratio, workers=-1),
        )
        / 100.0
    )
    address_sim = (
        process.cpdist(
            joined["address"].to_list(), joined["address_r"].to_list(), scorer=fuzz.ratio
        )
        / 100.0
    )
    joined = joined.with_columns(
        pl.Series("name_sim", name_sim, dtype=pl.Float64),
        pl.Series("address_sim", address_sim, dtype=pl.Float64),
    )

    def present(column: str) -> pl.Expr:
        return (pl.col(column) != "") & (pl.col(f"{column}_r") != "")

    def compare(column: str, agree: float, differ: float) -> pl.Expr:
        same = pl.col(column) == pl.col(f"{column}_r")
        return (
            pl.when(~present(column))
            .then(0.0)
            .when(same)
            .then(agree)
            .otherwise(differ)
            .alias(f"w_{column}")
        )

    exact_name = (pl.col("name") == pl.col("name_r")) & (pl.col("name") != "")
    frequency = pl.max_horizontal("name_count", "name_count_r").cast(pl.Float64)
    name_weight = (
        ((pl.col("name_sim") - w.name_pivot) * w.name_slope).clip(w.name_min, w.name_max)
        + pl.when(exact_name & (frequency == 1)).then(w.unique_name).otherwise(0.0)
        - pl.when(pl.col("name_sim") >= 0.95)
        .then(frequency.log() * w.name_frequency)
        .otherwise(0.0)
    ).alias("w_name")
    email_weight = (
        pl.when(present("email") & (pl.col("email") == pl.col("email_r")))
        .then(w.email_agree)
        .when(present("domain") & (pl.col("domain") == pl.col("domain_r")))
        .then(w.domain_agree)
        .when(present("domain"))
        .then(w.domain_differ)
        .otherwise(0.0)
        .alias("w_email")
    )
    postcode_weight = (
        pl.when(~present("postcode"))
        .then(0.0)
        .when(pl.col("postcode") == pl.col("postcode_r"))
        .then(w.postcode_agree)
        .when(pl.col("district") == pl.col("district_r"))
        .then(w.district_agree)
        .otherwise(w.postcode_differ)
        .alias("w_postcode")
    )
    address_weight = (
        pl.when(~present("address"))
        .then(0.0)
        .when(pl.col("address_sim") >= 0.9)
        .then(w.address_agree)
        .when(pl.col("address_sim") < 0.6)
        .then(w.address_differ)
        .otherwise(0.0)
        .alias("w_address")
    )
    numbers_weight = (
        pl.when(present("numbers") & (pl.col("numbers") != pl.col("numbers_r")))
        .then(w.numbers_differ)
        .otherwise(0.0)
        .alias("w_numbers")
    )
    weights = [
        name_weight,
        numbers_weight,
        compare("tax", w.tax_agree, w.tax_differ),
        email_weight,
        compare("phone", w.phone_agree, w.phone_differ),
        postcode_weight,
        address_weight,
        compare("city", w.city_agree, w.city_differ),
        compare("code", w.code_agree, w.code_differ),
    ]
    scored = joined.with_columns(weights)
    weight_columns = [c for c in scored.columns if c.startswith("w_")]
    scored = scored.with_columns(
        (pl.lit(w.bias) + pl.sum_horizontal(weight_columns)).alias("logit")
    ).with_columns((1.0 / (1.0 + (-pl.col("logit")).exp())).alias("score"))
    return scored.with_columns(_evidence(weight_columns).alias("evidence")).select(
        "left_row",
        "right_row",
        pl.col("id").alias("left_id"),
        pl.col("id_r").alias("right_id"),
        "logit",
        "score",
        "evidence",
    )


def _evidence(weight_columns: list[str]) -> pl.Expr:
    parts = [pl.format("name {}", pl.col("name_sim").round(2))]
    for column in weight_columns:
        if column == "w_name":
            continue
        label = column.removeprefix("w_")
        parts.append(
            pl.when(pl.col(column) > 0)
            .then(pl.lit(f"{label}="))
            .when(pl.col(column) < 0)
            .then(pl.lit(f"{label}≠"))
            .otherwise(pl.lit(None))
        )
    return pl.concat_str(parts, separator=", ", ignore_nulls=True)


def assign(scored: pl.DataFrame, config: MasterConfig) -> pl.DataFrame:
    """The one-to-one links among `scored` pairs above the suggestion threshold."""
    empty = pl.DataFrame(
        schema={
            "left_id": pl.Utf8,
            "right_id": pl.Utf8,
            "score": pl.Float64,
            "status": pl.Utf8,
            "margin": pl.Float64,
            "evidence": pl.Utf8,
        }
    )
    edges = scored.filter(pl.col("score") >= config.suggest_threshold)
    if edges.is_empty():
        return empty
    threshold = min(max(config.suggest_threshold, 1e-9), 1 - 1e-9)
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
            pl.when(
                (pl.col("score") >= config.auto_threshold)
                & (pl.col("margin") >= config.ambiguity_margin)
            )
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
