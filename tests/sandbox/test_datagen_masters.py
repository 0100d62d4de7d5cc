"""The labelled master generator: two noisy views of the same entities and their links."""

from __future__ import annotations

import polars as pl
import pytest

from matcher.normalise import normalise_name
from sandbox.datagen.masters import generate_master_dataset

KINDS = ["customer", "supplier", "product"]


@pytest.mark.parametrize("kind", KINDS)
def test_same_seed_same_data_other_seed_other_data(kind: str) -> None:
    first = generate_master_dataset(200, seed=1, kind=kind)  # type: ignore[arg-type]
    again = generate_master_dataset(200, seed=1, kind=kind)  # type: ignore[arg-type]
    other = generate_master_dataset(200, seed=2, kind=kind)  # type: ignore[arg-type]
    assert first.left.equals(again.left) and first.right.equals(again.right)
    assert first.truth.equals(again.truth)
    assert not first.left.equals(other.left)


@pytest.mark.parametrize("kind", KINDS)
def test_truth_links_records_that_exist_once_on_each_side(kind: str) -> None:
    data = generate_master_dataset(1_000, seed=3, kind=kind)  # type: ignore[arg-type]
    assert data.left["id"].is_unique().all() and data.right["id"].is_unique().all()
    assert data.truth["left_id"].is_in(data.left["id"].implode()).all()
    assert data.truth["right_id"].is_in(data.right["id"].implode()).all()
    assert data.truth["left_id"].is_unique().all() and data.truth["right_id"].is_unique().all()
    # Some entities are held by one system only.
    assert data.left.height - data.truth.height >= 10
    assert data.right.height - data.truth.height >= 10


def test_organisation_frames_follow_the_link_masters_contract() -> None:
    data = generate_master_dataset(100, seed=1, kind="customer")
    expected = ["id", "name", "email", "phone", "address", "city", "postcode", "country",
                "tax_number"]  # fmt: skip
    assert data.left.columns == expected and data.right.columns == expected
    products = generate_master_dataset(100, seed=1, kind="product")
    assert products.left.columns == ["id", "code", "name"]


def test_sage_view_is_noisy_the_way_rekeying_is() -> None:
    data = generate_master_dataset(2_000, seed=4, kind="customer")
    pairs = data.truth.join(data.left, left_on="left_id", right_on="id").join(
        data.right, left_on="right_id", right_on="id", suffix="_r"
    )
    share = lambda expr: pairs.select(expr.mean()).item()  # noqa: E731
    assert 0.3 < share(pl.col("name") != pl.col("name_r")) < 0.9
    assert 0.05 < share(pl.col("email_r").is_null() & pl.col("email").is_not_null()) < 0.4
    assert 0.3 < share(pl.col("phone") != pl.col("phone_r")) < 0.9
    assert share(pl.col("name_r") == pl.col("name_r").str.to_uppercase()) > 0.15
    assert share(pl.col("name").str.contains("Ltd") & pl.col("name_r").str.contains("Limited")) > 0
    # ... yet the same entity: mostly the same name once normalised.
    same = pairs.select(
        pl.col("name").map_elements(normalise_name, return_dtype=pl.Utf8)
        == pl.col("name_r").map_elements(normalise_name, return_dtype=pl.Utf8)
    ).to_series()
    assert same.mean() > 0.7  # type: ignore[operator]


def test_hard_negatives_distinct_entities_with_close_names() -> None:
    data = generate_master_dataset(2_000, seed=5, kind="customer")
    names = data.left.select(pl.col("name").map_elements(normalise_name, return_dtype=pl.Utf8))
    assert names.to_series().is_duplicated().sum() >= 20
    products = generate_master_dataset(2_000, seed=5, kind="product")
    stems = products.left["name"].str.replace(r" \S+$", "")
    assert stems.is_duplicated().sum() >= 100  # sizes, colours and packs of one item


def test_sage_item_descriptions_fit_their_column() -> None:
    data = generate_master_dataset(1_000, seed=6, kind="product")
    assert (
        data.right.select(pl.col("name").str.len_chars().max()).item() <= 30
    )  # CI_Item.ItemCodeDesc varchar(30)
    assert (data.right["code"] != data.right["code"].str.to_uppercase()).any()
