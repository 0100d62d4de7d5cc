"""The labelled anomaly generator: normal business with injected anomalies and the truth."""

from __future__ import annotations

import polars as pl

from sandbox.datagen.anomalies import ANOMALY_KINDS, APPROVAL_THRESHOLD, generate_anomaly_dataset


def test_deterministic_per_seed() -> None:
    first, again = generate_anomaly_dataset(2_000, seed=1), generate_anomaly_dataset(2_000, seed=1)
    assert first.transactions.equals(again.transactions) and first.truth.equals(again.truth)
    assert not first.transactions.equals(generate_anomaly_dataset(2_000, seed=2).transactions)


def test_size_rate_and_every_kind() -> None:
    data = generate_anomaly_dataset(10_000, seed=1, anomaly_rate=0.03)
    assert data.transactions.height == 10_000
    assert data.transactions["transaction_id"].is_unique().all()
    assert data.truth["is_anomaly"].sum() == 300
    assert set(data.truth["kind"].drop_nulls().unique()) == set(ANOMALY_KINDS)


def _normal(seed: int = 2) -> pl.DataFrame:
    data = generate_anomaly_dataset(10_000, seed=seed)
    return data.transactions.join(data.truth, on="transaction_id").filter(~pl.col("is_anomaly"))


def test_normal_rows_obey_the_rules_up_to_rounding() -> None:
    normal = _normal()
    gap = (normal["tax_amount"] - (normal["net_amount"] * normal["tax_rate"] / 100).round(2)).abs()
    assert (gap <= 0.01 * normal["line_count"] + 1e-9).all()
    assert (normal["min_quantity"] > 0).all()
    assert (normal["due_date"] >= normal["date"]).all()
    assert normal["date"].is_between(normal["period_start"], normal["period_end"]).all()


def test_normal_business_has_its_own_irregularities() -> None:
    normal = _normal()
    assert (normal["date"].dt.weekday() >= 6).any()  # some weekend postings
    assert normal.filter(pl.col("net_amount") % 10 == 0).height > 50  # recurring round bills
    same_day_twice = normal.group_by("counterparty_id", "gross_amount", "date").len()
    assert (
        same_day_twice.select(pl.col("len").max()).item() >= 2
    )  # now and then the same order twice a day


def test_injected_anomalies_are_what_their_kind_says() -> None:
    data = generate_anomaly_dataset(10_000, seed=3)
    rows = data.transactions.join(data.truth, on="transaction_id")
    negative = rows.filter(pl.col("kind") == "negative_quantity")
    assert (negative["min_quantity"] < 0).all()
    early = rows.filter(pl.col("kind") == "due_before_issue")
    assert (early["due_date"] < early["date"]).all()
    outside = rows.filter(pl.col("kind") == "outside_period")
    assert (~outside["date"].is_between(outside["period_start"], outside["period_end"])).all()
    duplicates = rows.filter(pl.col("kind") == "duplicate_number")
    originals = rows.filter(~pl.col("is_anomaly")).select("counterparty_id", "number")
    assert duplicates.join(originals, on=["counterparty_id", "number"]).height >= duplicates.height


def test_contextual_anomalies_are_what_their_kind_says_and_normal_rows_do_each_alone() -> None:
    data = generate_anomaly_dataset(10_000, seed=3)
    rows = data.transactions.join(data.truth, on="transaction_id")
    normal = rows.filter(~pl.col("is_anomaly"))
    changed = rows.filter(pl.col("kind") == "bank_change_large")
    assert ((changed["date"] - changed["bank_details_changed"]).dt.total_days() <= 14).all()
    assert normal["bank_details_changed"].is_not_null().any()  # real changes happen too
    under = rows.filter(pl.col("kind") == "under_approval_threshold")["gross_amount"]
    assert under.is_between(0.95 * APPROVAL_THRESHOLD, APPROVAL_THRESHOLD).all()
    new = rows.filter(pl.col("kind") == "new_supplier_large")
    assert new.join(normal, on="counterparty_id").is_empty()
    nominal = rows.filter(pl.col("kind") == "unusual_nominal")
    assert nominal.join(normal, on=["counterparty_id", "nominal_code"]).is_empty()
    one_off = normal.group_by("counterparty_id", "nominal_code").len().filter(pl.col("len") == 1)
    assert one_off.height > 0  # one-off nominals are normal business too
