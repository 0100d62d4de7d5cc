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
        "terms_code",
        "discount_date",
        "discount_amount",
        "parent_counterparty_id",
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
    # A foreign receipt's truth is in its invoice's currency: it settles the invoice whole.
    foreign = per_payment["scenario"] == "foreign"
    home = per_payment.filter(~foreign)
    assert (home["amount"] <= home["amount_right"]).all()
    settled = truth.join(per_payment.filter(foreign).select("payment_id"), on="payment_id").join(
        dataset.invoices, on="invoice_id"
    )
    assert settled.height > 0 and (settled["amount"] == settled["amount_open"]).all()
    per_invoice = (
        truth.group_by("invoice_id")
        .agg(pl.col("amount").sum())
        .join(dataset.invoices, on="invoice_id")
    )
    assert (per_invoice["amount"] <= per_invoice["amount_open"]).all()
    pairs = truth.join(dataset.payments, on="payment_id").join(dataset.invoices, on="invoice_id")
    # The payer is the invoice's customer, or its parent; or unknown.
    assert (
        pairs["counterparty_id"].is_null()
        | (pairs["counterparty_id"] == pairs["counterparty_id_right"])
        | (pairs["counterparty_id"] == pairs["parent_counterparty_id"])
    ).all()
    # Only a foreign receipt is in another currency than its invoice.
    foreign = pairs["scenario"] == "foreign"
    assert (foreign | (pairs["currency"] == pairs["currency_right"])).all()
    assert (pairs.filter(foreign)["currency"] != pairs.filter(foreign)["currency_right"]).all()


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


def test_payments_as_customers_really_pay(dataset: PaymentDataset) -> None:
    pairs = dataset.truth.join(dataset.payments, on="payment_id").join(
        dataset.invoices, on="invoice_id"
    )

    def of(kind: str) -> pl.DataFrame:
        return pairs.filter(pl.col("scenario") == kind)

    # Terms discounts follow the invoice's own terms; about one in five is taken late.
    terms = of("terms_discount")
    assert (terms["amount"] == terms["amount_open"] - terms["discount_amount"]).all()
    late = (terms["date"] > terms["discount_date"]).mean()
    assert 0.1 < late < 0.35  # type: ignore[operator]
    # A deduction keeps back 3-35 %; a wire fee is a few pounds off the top.
    kept = of("deduction").select(
        1 - pl.col("amount").cast(pl.Float64) / pl.col("amount_open").cast(pl.Float64)
    )
    assert kept.to_series().is_between(0.02, 0.36).all()
    fee = of("bank_fee").select(pl.col("amount_open") - pl.col("amount")).to_series()
    fee = fee.cast(pl.Float64)
    assert fee.is_between(0, 60).all() and (fee > 0).mean() > 0.7  # type: ignore[operator]
    # Remittances name every invoice, at least one with a slip; statements name none.
    remitted = (
        of("remittance")
        .group_by("payment_id")
        .agg(pl.col("reference").first(), pl.col("number"), pl.len())
    )
    assert (remitted["len"] >= 2).all()
    named = remitted.select(
        pl.col("number").list.eval(pl.element().str.replace_all(r"\D", "")).alias("digits"),
        pl.col("reference").str.replace_all(r"\D", " ").alias("text"),
    )
    assert all(
        not all(d.lstrip("0") in text.split() or d in text for d in digits)
        for digits, text in named.iter_rows()
    )
    statements = of("statement")
    assert not statements["reference"].drop_nulls().str.contains("INV-").any()
    assert (statements.group_by("payment_id").len()["len"] >= 2).all()
    # A parent pays invoices of its subsidiaries, not its own.
    parent = of("parent")
    assert (parent["counterparty_id"] == parent["parent_counterparty_id"]).all()
    # Foreign receipts and the rates they were converted at.
    assert set(dataset.rates["currency"]) == {"EUR", "USD"}
    assert of("foreign").height > 0


def newer_than_an_unpaid_one(data: PaymentDataset) -> pl.DataFrame:
    """The statement payments of ``data`` that pay an invoice issued after one of their
    customer's never-paid invoices: not their oldest open items."""
    statements = data.payments.filter(pl.col("scenario") == "statement").select("payment_id")
    # The customer is the invoices' (a bank line may not name its payer).
    newest = (
        data.truth.join(statements, on="payment_id")
        .join(data.invoices.select("invoice_id", "counterparty_id", "issue_date"), on="invoice_id")
        .group_by("payment_id", "counterparty_id")
        .agg(pl.col("issue_date").max().alias("newest"))
    )
    unpaid = data.invoices.join(data.truth, on="invoice_id", how="anti")
    return (
        newest.join(unpaid.select("counterparty_id", "issue_date"), on="counterparty_id")
        .filter(pl.col("issue_date") < pl.col("newest"))
        .select("payment_id")
        .unique()
    )


@pytest.mark.parametrize("seed", [3, 4])
def test_statement_payers_paying_their_oldest_items_pay_nothing_newer_than_an_unpaid_one(
    seed: int,
) -> None:
    everyone = generate_payment_dataset(20_000, seed=seed, noise=PaymentNoise(oldest_items=1.0))
    statements = everyone.payments.filter(pl.col("scenario") == "statement")
    assert statements.height > 300
    assert newer_than_an_unpaid_one(everyone).height == 0
    # Each pays its invoices whole, each invoice once, all issued by the payment day.
    pairs = everyone.truth.join(statements, on="payment_id").join(
        everyone.invoices, on="invoice_id"
    )
    assert pairs["invoice_id"].is_unique().all()
    assert (pairs["issue_date"] <= pairs["date"]).all()
    totals = pairs.group_by("payment_id").agg(
        pl.col("amount_open").sum().alias("owed"), pl.col("amount_right").first().alias("paid")
    )
    assert (totals["owed"] == totals["paid"]).all()
    # Those who pick their invoices often leave older ones unpaid.
    pickers = generate_payment_dataset(20_000, seed=seed, noise=PaymentNoise(oldest_items=0.0))
    assert newer_than_an_unpaid_one(pickers).height > 20


def test_written_and_read_back(dataset: PaymentDataset, tmp_path: Path) -> None:
    dataset.write(tmp_path / "set")
    again = read_payment_dataset(tmp_path / "set")
    assert again.truth.equals(dataset.truth)
    assert again.payments.equals(dataset.payments)
    assert again.rates.equals(dataset.rates)
    dataset.write_truth(tmp_path / "truth.csv")
    assert pl.read_csv(tmp_path / "truth.csv").height == dataset.truth.height


def test_a_lone_payment_for_no_invoice_still_makes_a_data_set() -> None:
    only_noise = PaymentNoise(scenario=(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1), unpaid_invoices=0)
    dataset = generate_payment_dataset(1, seed=4, noise=only_noise)
    assert dataset.payments["scenario"].to_list() == ["noise"]
    assert dataset.invoices.height == 0
    assert dataset.truth.height == 0


def test_only_payments_nothing_can_place_are_marked_for_review(
    dataset: PaymentDataset,
) -> None:
    pairs = dataset.truth.join(dataset.payments, on="payment_id").join(
        dataset.invoices, on="invoice_id"
    )
    review = pairs.filter("review")
    assert review.height > 0
    # Their references name none of their invoices ...
    digits = pl.col("number").str.replace_all(r"\D", "").str.strip_chars_start("0")
    named = pl.col("reference").fill_null("").str.contains(digits, literal=True)
    assert not review.select(named.any()).item()
    # ... and either nobody is known to have paid, or the payer chose the amount.
    chosen = pl.col("scenario").is_in(["partial", "over", "deduction"])
    assert review.select((pl.col("counterparty_id").is_null() | chosen).all()).item()
    # Remittances, fees, discounts and foreign receipts of known payers are all to be found,
    # and so is any payment whose reference names its invoice.
    kept = pairs.filter(~pl.col("review"))
    assert kept.filter(pl.col("counterparty_id").is_not_null() & ~chosen).height == (
        pairs.filter(pl.col("counterparty_id").is_not_null() & ~chosen).height
    )
    assert pairs.filter(named & pl.col("review")).is_empty()
    # Few: a payment in twenty at most.
    assert review["payment_id"].n_unique() < 0.05 * dataset.payments.height


def test_paying_the_oldest_items_changes_nothing_but_which_statement_pays_what() -> None:
    picked = generate_payment_dataset(5_000, seed=3, noise=PaymentNoise(oldest_items=0.0))
    oldest = generate_payment_dataset(5_000, seed=3, noise=PaymentNoise(oldest_items=0.6))
    assert oldest.invoices.equals(picked.invoices)
    assert oldest.payments.drop("amount").equals(picked.payments.drop("amount"))
    changed = oldest.payments.filter(oldest.payments["amount"] != picked.payments["amount"])
    assert changed.height > 0 and set(changed["scenario"]) == {"statement"}
    statements = picked.payments.filter(pl.col("scenario") == "statement").select("payment_id")
    assert oldest.truth.join(statements, on="payment_id", how="anti").equals(
        picked.truth.join(statements, on="payment_id", how="anti")
    )
