"""Link the same customer, supplier or product across KashFlow and Sage 100.

`link_masters(left, right, config)` normalises both frames, forms candidate pairs by
several blocking passes (`blocking`), grades each field of each pair into comparison
levels (`comparisons`), learns Fellegi–Sunter m and u probabilities of every level by EM
on these very pairs (`fellegi_sunter`), and keeps a one-to-one assignment of the pairs
by match probability (`assignment`). A link is `auto` when its probability clears
`auto_threshold` and no competing candidate comes within `ambiguity_margin`; otherwise
`suggested` for review.

Input columns (both frames; all but `id` and `name` optional, extra columns ignored):
    id          str   the record key in its system (KashFlow Code, Sage CustomerNo ...);
                      unique (a repeated one keeps its first row)
    name        str   organisation or person name, or item description ("t/a" names too)
    email, phone, postcode, address, city, country, tax_number   str
    code        str   item or account code, compared loosely
    birth_date  str   for people: a date of birth (any format; its digits are compared)
Output columns, one row per linked pair, best first:
    left_id, right_id  str
    score              f64 in [0, 1]: the posterior match probability
    status             str "auto" | "suggested"
    margin             f64 the score minus the best competing candidate of either record
    evidence           str the name similarity and the fields that agreed (=) or
                       disagreed (≠), e.g. "name 0.96, email=, phone≠"
    match_weight       f64 log2 of the posterior odds: prior plus every field's weight
    weight_<field>     f64 that field's contribution in bits (log2 m/u of its level;
                       0 when missing), one column per field of `COMPARISONS`
`KASHFLOW_COLUMNS` and `SAGE100_COLUMNS` rename native columns to this contract.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from matcher.masters.all_pairs import all_pair_counts
from matcher.masters.assignment import LINK_COLUMNS, assign
from matcher.masters.blocking import candidate_pairs, pairs_completeness
from matcher.masters.comparisons import COMPARISONS, comparison_levels, name_similarity
from matcher.masters.fellegi_sunter import FellegiSunterModel, estimate, starting_model
from matcher.masters.fields import prepare
from matcher.normalise import DEFAULT_PHONE_REGION

__all__ = [
    "COMPARISONS",
    "KASHFLOW_COLUMNS",
    "LINK_COLUMNS",
    "SAGE100_COLUMNS",
    "FellegiSunterModel",
    "MasterConfig",
    "MasterLinkage",
    "link_masters",
    "linkage",
    "pairs_completeness",
]

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


@dataclass(frozen=True)
class MasterConfig:
    """Thresholds, blocking bounds and how the weights are learnt, for `link_masters`."""

    auto_threshold: float = 0.97
    suggest_threshold: float = 0.5
    ambiguity_margin: float = 0.1
    max_block_pairs: int = 2_500
    """A blocking key shared by more left x right pairs than this is too common; dropped."""
    window: int = 4
    """Sorted-neighbourhood window: each record meets this many neighbours in name order."""
    learn_weights: bool = True
    """Fit m and u by EM on the candidate pairs; False keeps the starting values."""
    min_pairs_to_learn: int = 200
    """With fewer candidate pairs than this, EM has too little to go on: starting values."""
    pseudo_pairs: float = 100.0
    """How many pairs' worth of belief the starting m and u carry against the data."""
    sample_pairs: int = 40_000
    """Random pairs drawn to learn how all pairs compare (all of them when fewer)."""
    seed: int = 0
    max_name_frequency_bits: float = 8.0
    """The most an exact name shared by many records loses (term-frequency adjustment)."""
    phone_region: str = DEFAULT_PHONE_REGION
    """Where phone numbers written without a country code are read first (ISO 3166)."""


@dataclass(frozen=True)
class MasterLinkage:
    """Everything one linking run found: the links, and what they were found from."""

    links: pl.DataFrame
    left: pl.DataFrame
    """The prepared left records (`prepare`), indexed by `row`."""
    right: pl.DataFrame
    candidates: pl.DataFrame
    """`left_row, right_row` of every candidate pair the blocking passes produced."""
    model: FellegiSunterModel


def link_masters(
    left: pl.DataFrame, right: pl.DataFrame, config: MasterConfig | None = None
) -> pl.DataFrame:
    """One-to-one links between `left` and `right` records with score and status."""
    return linkage(left, right, config).links


def linkage(
    left: pl.DataFrame, right: pl.DataFrame, config: MasterConfig | None = None
) -> MasterLinkage:
    """`link_masters` with its workings: prepared records, candidates and fitted model."""
    config = config or MasterConfig()
    for side, frame in (("left", left), ("right", right)):
        missing = {"id", "name"} - set(frame.columns)
        if missing:
            raise ValueError(f"{side} frame lacks required columns {sorted(missing)}")
    # Ids are expected unique: a repeated one keeps its first row (as `match_payments`
    # does), so that a link stays one-to-one by id, not only by row.
    left, right = (frame.unique("id", keep="first", maintain_order=True) for frame in (left, right))
    lhs, rhs = prepare(left, config.phone_region), prepare(right, config.phone_region)
    pairs = candidate_pairs(lhs, rhs, max_block_pairs=config.max_block_pairs, window=config.window)
    # The pairs with both records, in the pairs' order (an inner join keeps none unless
    # asked); each pair's levels and rows below are read from this one frame.
    joined = pairs.join(lhs, left_on="left_row", right_on="row", maintain_order="left").join(
        rhs, left_on="right_row", right_on="row", suffix="_r", maintain_order="left"
    )
    similarity = name_similarity(joined)
    levels = comparison_levels(joined, similarity)
    model = starting_model(lhs.height, rhs.height)
    left_rows, right_rows = joined["left_row"].to_numpy(), joined["right_row"].to_numpy()
    if config.learn_weights and pairs.height >= config.min_pairs_to_learn:
        width = model.m.shape[1]
        counts = all_pair_counts(
            lhs, rhs, pairs, levels, width, config.sample_pairs, seed=config.seed
        )
        model = estimate(
            levels, left_rows, right_rows, counts, model, pseudo_pairs=config.pseudo_pairs
        )
    name_tf = _name_frequency_bits(lhs, rhs, joined, config)
    scored = _scored(joined, levels, similarity, model, name_tf)
    links = assign(
        scored,
        suggest_threshold=config.suggest_threshold,
        auto_threshold=config.auto_threshold,
        ambiguity_margin=config.ambiguity_margin,
    )
    return MasterLinkage(links, lhs, rhs, pairs, model)


def _name_frequency_bits(
    lhs: pl.DataFrame, rhs: pl.DataFrame, joined: pl.DataFrame, config: MasterConfig
) -> np.ndarray:
    """Per pair, the term-frequency adjustment of an exact name: log2(Σc² / (N·c)), where
    c counts the records of both sides bearing the name, so a name borne by many says less."""
    names = pl.concat([lhs["name"], rhs["name"]])
    names = names.filter(names != "")
    counts = names.value_counts(name="name_count")
    if counts.is_empty():
        return np.zeros(joined.height)
    expected = float((counts["name_count"].cast(pl.Float64) ** 2).sum()) / names.len()
    frequency = joined.select("name").join(counts, on="name", how="left", maintain_order="left")
    bits = np.log2(expected / frequency["name_count"].fill_null(1).cast(pl.Float64).to_numpy())
    return np.clip(bits, -config.max_name_frequency_bits, 1.0)


def _scored(
    joined: pl.DataFrame,
    levels: np.ndarray,
    similarity: np.ndarray,
    model: FellegiSunterModel,
    name_tf: np.ndarray,
) -> pl.DataFrame:
    """Pairs with their weights per field, `match_weight`, `logit`, `score` and `evidence`."""
    weights = model.field_weights(levels)
    name_column = [c.field for c in COMPARISONS].index("name")
    exact_name = levels[:, name_column] == len(COMPARISONS[name_column].levels) - 1
    weights[:, name_column] += np.where(exact_name, name_tf, 0.0)
    bayes_bits = weights.sum(axis=1)
    match_weight = model.prior_weight() + bayes_bits
    score = np.clip(
        model.posterior(bayes_bits, joined["left_row"].to_numpy(), joined["right_row"].to_numpy()),
        1e-12,
        1 - 1e-12,
    )
    logit = np.log(score / (1 - score))
    columns = {
        f"weight_{comparison.field}": np.round(weights[:, f], 9)
        for f, comparison in enumerate(COMPARISONS)
    }
    frame = joined.select("left_row", "right_row", pl.col("id").alias("left_id"),
                          pl.col("id_r").alias("right_id")).with_columns(
        pl.Series("logit", logit),
        pl.Series("score", np.round(score, 12)),
        pl.Series("name_similarity", similarity),
        pl.Series("match_weight", np.round(match_weight, 9)),
        *(pl.Series(name, values) for name, values in columns.items()),
    )  # fmt: skip
    return frame.with_columns(_evidence().alias("evidence")).drop("name_similarity")


def _evidence() -> pl.Expr:
    parts = [pl.format("name {}", pl.col("name_similarity").round(2))]
    for comparison in COMPARISONS:
        if comparison.field == "name":
            continue
        weight = pl.col(f"weight_{comparison.field}")
        parts.append(
            pl.when(weight > 0)
            .then(pl.lit(f"{comparison.field}="))
            .when(weight < 0)
            .then(pl.lit(f"{comparison.field}≠"))
            .otherwise(pl.lit(None))
        )
    return pl.concat_str(parts, separator=", ", ignore_nulls=True)
