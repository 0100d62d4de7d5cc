"""`match_payments` owns its input schema: a frame without a column, or with one in the
wrong type, is refused at once with an error naming the frame and the column; a money
value that is no amount (not a number, infinite, too large for cents; a rate of zero or
less), with one naming the record and the column."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from payment_rows import PAYMENT_SCHEMA, TERMS_INVOICE_SCHEMA

from matcher.payments import (
    INVOICE_COLUMNS,
    PAYMENT_COLUMNS,
    MatchConfig,
    PaymentInputError,
    match_payments,
    nearest_candidates,
)


def payments() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "payment_id": ["P1"],
            "counterparty_id": [None],
            "amount": [Decimal("120.00")],
            "currency": ["GBP"],
            "date": [date(2026, 3, 9)],
            "reference": ["INV-0000042"],
        }
    )


def invoices() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "invoice_id": ["I42"],
            "counterparty_id": ["C1"],
            "number": ["INV-0000042"],
            "amount_open": [Decimal("120.00")],
            "currency": ["GBP"],
            "issue_date": [date(2026, 3, 2)],
            "due_date": [date(2026, 4, 1)],
        }
    )


def test_the_schema_constants_name_every_column_the_matcher_reads() -> None:
    assert [c.name for c in PAYMENT_COLUMNS] == payments().columns
    assert [c.name for c in INVOICE_COLUMNS] == invoices().columns
    assert match_payments(payments(), invoices())["invoice_id"].to_list() == ["I42"]


@pytest.mark.parametrize("column", [c.name for c in PAYMENT_COLUMNS])
def test_a_missing_payment_column_is_named(column: str) -> None:
    with pytest.raises(PaymentInputError, match=f"^payments: missing column '{column}'"):
        match_payments(payments().drop(column), invoices())


@pytest.mark.parametrize("column", [c.name for c in INVOICE_COLUMNS])
def test_a_missing_invoice_column_is_named(column: str) -> None:
    with pytest.raises(PaymentInputError, match=f"^invoices: missing column '{column}'"):
        match_payments(payments(), invoices().drop(column))


@pytest.mark.parametrize(
    ("frame", "column", "wrong", "expected"),
    [
        ("payments", "amount", pl.String, "Decimal, integer or float"),
        ("payments", "date", pl.String, "Date or Datetime"),
        ("invoices", "amount_open", pl.String, "Decimal, integer or float"),
        ("invoices", "invoice_id", pl.Int64, "String or Categorical"),
    ],
)
def test_a_mistyped_column_is_named_with_the_types_it_may_have(
    frame: str, column: str, wrong: type[pl.DataType], expected: str
) -> None:
    pays, invs = payments(), invoices()
    if frame == "payments":
        pays = pays.with_columns(pl.col(column).cast(pl.String).cast(wrong))
    else:
        invs = invs.with_columns(pl.col(column).cast(pl.String).cast(wrong, strict=False))
    with pytest.raises(PaymentInputError, match=f"^{frame}: column '{column}' is .*{expected}$"):
        match_payments(pays, invs)


def test_a_column_of_nulls_only_is_accepted_whatever_its_kind() -> None:
    result = match_payments(payments().with_columns(pl.lit(None).alias("reference")), invoices())
    assert result.is_empty()


NOT_AMOUNTS = [float("nan"), float("inf"), -float("inf"), 1e17]


@pytest.mark.parametrize("value", NOT_AMOUNTS)
def test_a_payment_whose_amount_is_no_amount_is_refused_by_name(value: float) -> None:
    frame = pl.concat([payments(), payments().with_columns(pl.lit("P2").alias("payment_id"))])
    frame = frame.with_columns(pl.Series("amount", [120.0, value]))
    with pytest.raises(PaymentInputError, match=r"^payments: payment_id 'P2': amount is .*, not a"):
        match_payments(frame, invoices())


@pytest.mark.parametrize("column", ["amount_open", "discount_amount"])
@pytest.mark.parametrize("value", NOT_AMOUNTS)
def test_an_invoice_whose_money_is_no_amount_is_refused_by_name(column: str, value: float) -> None:
    frame = invoices().with_columns(
        pl.Series("amount_open", [120.0]), pl.Series("discount_amount", [2.4])
    )
    frame = frame.with_columns(pl.Series(column, [value]))
    with pytest.raises(PaymentInputError, match=f"^invoices: invoice_id 'I42': {column} is "):
        match_payments(payments(), frame)


def test_an_integer_amount_too_large_for_cents_is_refused_not_wrapped() -> None:
    frame = invoices().with_columns(pl.Series("amount_open", [2**62], dtype=pl.Int64))
    with pytest.raises(PaymentInputError, match="amount_open is 4611686018427387904"):
        match_payments(payments(), frame)
    whole = invoices().with_columns(pl.Series("amount_open", [120], dtype=pl.Int64))
    assert match_payments(payments(), whole)["invoice_id"].to_list() == ["I42"]


@pytest.mark.parametrize("rate", [0.0, -1.2, float("nan"), float("inf")])
def test_an_exchange_rate_that_is_no_positive_amount_is_refused_by_name(rate: float) -> None:
    rates = pl.DataFrame(
        {"currency": ["EUR", "USD"], "date": [date(2026, 3, 9)] * 2, "rate": [1.17, rate]}
    )
    with pytest.raises(PaymentInputError, match=r"^rates: currency 'USD', date .*: rate is "):
        match_payments(payments(), invoices(), rates=rates)


def test_a_payment_without_an_amount_is_left_out_not_refused() -> None:
    frame = pl.concat([payments(), payments().with_columns(pl.lit("P2").alias("payment_id"))])
    frame = frame.with_columns(pl.Series("amount", [120.0, None]))
    assert match_payments(frame, invoices())["payment_id"].to_list() == ["P1"]


# Books nobody here wrote: any well-typed frames, with nulls where the contract allows or
# not, repeated ids, amounts of zero or less, references and numbers of odd text.
_TEXT = st.one_of(st.none(), st.text(alphabet="0123456789 -/INVPO#abcx.", max_size=20))
_PARTY = st.one_of(st.none(), st.sampled_from(["C1", "C2", "C3", "P"]))
_MONEY = st.one_of(st.none(), st.decimals(min_value=-100, max_value=5000, places=2))
_DAY = st.dates(min_value=date(2025, 1, 1), max_value=date(2026, 12, 31))


@st.composite
def odd_books(draw: st.DrawFn) -> tuple[pl.DataFrame, pl.DataFrame]:
    def column(values: st.SearchStrategy[Any], n: int) -> list[Any]:
        return [draw(values) for _ in range(n)]

    n, m = draw(st.integers(0, 12)), draw(st.integers(0, 12))
    ids = st.integers(0, 15)
    payments = {
        "payment_id": [f"P{i}" for i in column(ids, n)],
        "counterparty_id": column(_PARTY, n),
        "amount": column(_MONEY, n),
        "currency": column(st.sampled_from(["GBP", "EUR", "gbp"]), n),
        "date": column(_DAY, n),
        "reference": column(_TEXT, n),
    }
    invoices = {
        "invoice_id": [f"I{i}" for i in column(ids, m)],
        "counterparty_id": column(_PARTY, m),
        "number": column(_TEXT, m),
        "amount_open": column(_MONEY, m),
        "currency": column(st.sampled_from(["GBP", "EUR"]), m),
        "issue_date": column(_DAY, m),
        "due_date": column(_DAY, m),
        "parent_counterparty_id": column(_PARTY, m),
        "discount_amount": column(_MONEY, m),
        "discount_date": column(st.one_of(st.none(), _DAY), m),
        "terms_code": column(st.one_of(st.none(), st.sampled_from(["00", "01"])), m),
    }
    return (
        pl.DataFrame(payments, schema=PAYMENT_SCHEMA),
        pl.DataFrame(invoices, schema=TERMS_INVOICE_SCHEMA),
    )


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(book=odd_books(), size=st.sampled_from([1, 3]), converted=st.booleans())
def test_any_well_typed_book_is_matched_within_what_each_side_holds(
    book: tuple[pl.DataFrame, pl.DataFrame], size: int, converted: bool
) -> None:
    pays, invs = book
    rates = pl.DataFrame({"currency": ["EUR"], "date": [date(2025, 1, 1)], "rate": [1.17]})
    rates_given = rates if converted else None
    one = match_payments(pays, invs, MatchConfig(min_sure_matches=None), rates_given)
    batched = match_payments(
        pays, invs, MatchConfig(batch_payments=size, min_sure_matches=None), rates_given
    )
    keys = ["payment_id", "invoice_id"]
    assert batched.sort(keys).equals(one.sort(keys))
    assert set(one["payment_id"]) <= set(pays["payment_id"])
    assert set(one["invoice_id"]) <= set(invs["invoice_id"])
    # The first row of a repeated id is the one matched; amounts converted are in the
    # invoice's currency, so only a book in one currency is checked against the payment.
    held = pays.unique("payment_id", keep="first", maintain_order=True)
    spent = one.group_by("payment_id").agg(pl.col("allocated_amount").sum())
    if not converted:
        over = spent.join(held, on="payment_id").filter(
            pl.col("allocated_amount") > pl.col("amount")
        )
        assert over.is_empty()
    owed = invs.unique("invoice_id", keep="first", maintain_order=True)
    settled = one.group_by("invoice_id").agg(
        (pl.col("allocated_amount") + pl.col("write_off_amount").clip(lower_bound=0)).sum()
    )
    assert (
        settled.join(owed, on="invoice_id")
        .filter(pl.col("allocated_amount") > pl.col("amount_open"))
        .is_empty()
    )
    nearest_candidates(pays, invs, one, rates=rates_given)
