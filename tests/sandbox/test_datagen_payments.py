"""The labelled payment generator: its shape, its truth, its noise, its determinism."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from sandbox.datagen import PaymentDataset, generate_payment_dataset, read_payment_dataset
from sandbox.datagen.payments import SCENARIOS, PaymentNoise


@pytest.fixture(scope="module")
def dataset() -> PaymentDataset:
    return generate_payment_dataset(5_000, seed=3)


def test_exactly_the_requested_number_of_payments(dataset: PaymentDataset) -> None:
    assert dataset.payments.height == 5_000
    assert dataset.payments["payment_id"].is_unique().all()
    assert dataset.invoices["invoice_id"].is_unique().all()
    assert generate_payment_dataset(1, seed=0).payments.height == 1


def test_frames_follow_the_matcher_contract(dataset: PaymentDataset) -> None:
    assert dataset.payments.schema["amount"] == pl.Decimal(38, 2)
    assert dataset.payments.schema["date"] == pl.Date
    assert {"payment_id", "counterparty_id", "currency", "reference"} <= set(
        dataset.payments.columns
    )
    assert dataset.invoices.columns == [
        "invoice_id",
        "counterparty_id",
        "number",
        "amount_open",
        "currency",
        "issue_date",
        "due_date",
    ]
    assert (dataset.invoices["due_date"] >= dataset.invoices["issue_date"]).all()
    assert (dataset.invoices["amount_open"] > 0).all()
    assert (dataset.payments["amount"] > 0).all()


def test_same_seed_same_data_other_seed_other_data() -> None:
    a = generate_payment_dataset(500, seed=9)
    b = generate_payment_dataset(500, seed=9)
    c = generate_payment_dataset(500, seed=10)
    assert a.payments.equals(b.payments) and a.invoices.equals(b.invoices)
    assert a.truth.equals(b.truth)
    assert not a.payments.equals(c.payments)


def test_truth_names_real_rows_and_never_more_money_than_there_is(
    dataset: PaymentDataset,
) -> None:
    truth = dataset.truth
    assert truth.join(dataset.payments, on="payment_id", how="anti").is_empty()
    assert truth.join(dataset.invoices, on="invoice_id", how="anti").is_empty()
    per_payment = (
        truth.group_by("payment_id")
        .agg(pl.col("amount").sum())
        .join(dataset.payments, on="payment_id")
    )
    assert (per_payment["amount"] <= per_payment["amount_right"]).all()
    per_invoice = (
        truth.group_by("invoice_id")
        .agg(pl.col("amount").sum())
        .join(dataset.invoices, on="invoice_id")
    )
    assert (per_invoice["amount"] <= per_invoice["amount_open"]).all()
    pairs = truth.join(dataset.payments, on="payment_id").join(dataset.invoices, on="invoice_id")
    assert (
        pairs["counterparty_id"].is_null()
        | (pairs["counterparty_id"] == pairs["counterparty_id_right"])
    ).all()
    assert (pairs["currency"] == pairs["currency_right"]).all()


def test_every_kind_of_noise_is_present(dataset: PaymentDataset) -> None:
    payments = dataset.payments
    assert set(payments["scenario"]) == set(SCENARIOS)
    references = payments["reference"].drop_nulls()
    assert references.str.contains(r"thanks$").any()
    assert references.str.starts_with("Inv ").any()
    assert references.str.contains(r"^\d{7}$").any()
    assert references.str.starts_with("BACS ").any()
    assert payments["reference"].null_count() > 0
    assert 0.03 < payments["counterparty_id"].null_count() / payments.height < 0.15
    # Split: one invoice, several payments; combined: one payment, several invoices.
    assert (dataset.truth.group_by("invoice_id").len()["len"] > 1).any()
    assert (dataset.truth.group_by("payment_id").len()["len"] > 1).any()
    # Noise payments and unpaid invoices have no truth.
    assert payments.join(dataset.truth, on="payment_id", how="anti").height > 0
    assert dataset.invoices.join(dataset.truth, on="invoice_id", how="anti").height > 0
    # Look-alike invoices: same customer, same amount.
    assert dataset.invoices.select("counterparty_id", "amount_open").is_duplicated().any()


def test_fees_discounts_and_rounding_change_the_amount(dataset: PaymentDataset) -> None:
    owed = dataset.truth.join(dataset.invoices, on="invoice_id").join(
        dataset.payments, on="payment_id"
    )
    for scenario in ("card_fee", "bank_charge", "discount"):
        rows = owed.filter(pl.col("scenario") == scenario)
        # (a bank charge is only taken from invoices well above it)
        assert (rows["amount_right"] < rows["amount_open"]).mean() > 0.75  # type: ignore[operator]
    over = owed.filter(pl.col("scenario") == "over")
    assert (over["amount_right"] > over["amount_open"]).all()


def test_written_and_read_back(dataset: PaymentDataset, tmp_path: Path) -> None:
    dataset.write(tmp_path / "set")
    again = read_payment_dataset(tmp_path / "set")
    assert again.truth.equals(dataset.truth)
    assert again.payments.equals(dataset.payments)
    dataset.write_truth(tmp_path / "truth.csv")
    assert pl.read_csv(tmp_path / "truth.csv").height == dataset.truth.height


def test_a_lone_payment_for_no_invoice_still_makes_a_data_set() -> None:
    only_noise = PaymentNoise(scenario=(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1), unpaid_invoices=0)
    dataset = generate_payment_dataset(1, seed=4, noise=only_noise)
    assert dataset.payments["scenario"].to_list() == ["noise"]
    assert dataset.invoices.height == 0
    assert dataset.truth.height == 0
