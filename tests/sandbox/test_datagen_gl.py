"""The labelled GL generator: purchase lines with a consistent chart and realistic noise."""

from __future__ import annotations

import polars as pl

from sandbox.datagen.company import GL_CHART
from sandbox.datagen.gl import (
    CAPITALISATION_LIMIT,
    NOMINAL_TO_SAGE,
    SAGE_GL_ACCOUNTS,
    generate_gl_dataset,
    split_by_date,
)


def test_deterministic_per_seed() -> None:
    assert generate_gl_dataset(500, seed=1).lines.equals(generate_gl_dataset(500, seed=1).lines)
    assert not generate_gl_dataset(500, seed=1).lines.equals(generate_gl_dataset(500, seed=2).lines)


def test_columns_and_size() -> None:
    lines = generate_gl_dataset(1_000, seed=1).lines
    assert lines.columns == ["line_id", "date", "description", "counterparty", "amount",
                             "nominal_code", "gl_account"]  # fmt: skip
    assert lines.height == 1_000 and lines["line_id"].is_unique().all()
    assert lines["date"].is_sorted()


def test_chart_is_consistent_with_the_company_chart() -> None:
    kashflow_codes = {code for code, _, _ in GL_CHART}
    sage_accounts = {account for account, _, _ in SAGE_GL_ACCOUNTS}
    assert {nominal for _, _, nominal in SAGE_GL_ACCOUNTS} <= kashflow_codes
    assert set(NOMINAL_TO_SAGE) <= kashflow_codes
    assert set(NOMINAL_TO_SAGE.values()) <= sage_accounts
    lines = generate_gl_dataset(5_000, seed=2).lines
    assert set(lines["gl_account"].unique()) <= sage_accounts
    assert set(lines["nominal_code"].drop_nulls().unique()) <= kashflow_codes


def test_nominal_codes_are_a_noisy_hint() -> None:
    lines = generate_gl_dataset(5_000, seed=3).lines
    parent = {account: nominal for account, _, nominal in SAGE_GL_ACCOUNTS}
    agrees = lines.select(
        pl.col("nominal_code") == pl.col("gl_account").replace_strict(parent)
    ).to_series()
    assert 0.75 < agrees.mean() < 0.97  # type: ignore[operator]  # nulls aside
    assert (~agrees).sum() > 0.03 * lines.height  # the supplier's default or a wrong pick
    assert 0.03 < lines.select(pl.col("nominal_code").is_null().mean()).item() < 0.15


def test_computer_kit_is_capitalised_above_the_limit() -> None:
    lines = generate_gl_dataset(20_000, seed=4).lines
    kit = lines.filter(pl.col("gl_account").is_in(["0030-00", "7810-00"]))
    small = kit.filter(pl.col("amount") < CAPITALISATION_LIMIT)["gl_account"]
    assert (small == "7810-00").mean() > 0.8  # type: ignore[operator]
    big = kit.filter(pl.col("amount") >= CAPITALISATION_LIMIT)["gl_account"]
    assert (big == "0030-00").mean() > 0.8  # type: ignore[operator]


def test_descriptions_carry_realistic_noise() -> None:
    lines = generate_gl_dataset(5_000, seed=5).lines
    descriptions = lines["description"]
    assert (descriptions == descriptions.str.to_uppercase()).mean() > 0.1  # type: ignore[operator]
    assert descriptions.str.contains(r"inv \d+").any()
    assert descriptions.is_in(["Goods", "Services", "Monthly charge"]).any()
    assert lines["description"].n_unique() > 500


def test_split_by_date_keeps_history_before_recent() -> None:
    lines = generate_gl_dataset(1_000, seed=6).lines
    history, recent = split_by_date(lines, 0.8)
    assert history.height == 800 and recent.height == 200
    assert history["date"].max() <= recent["date"].min()  # type: ignore[operator]
