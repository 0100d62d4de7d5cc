"""`match_payments` owns its input schema: a frame without a column, or with one in the
wrong type, is refused at once with an error naming the frame and the column; a money
value that is no amount (not a number, infinite, too large for cents; a rate of zero or
less), with one naming the record and the column."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import polars as pl
import pytest

from matcher.payments import (
    INVOICE_COLUMNS,
    PAYMENT_COLUMNS,
    PaymentInputError,
    match_payments,
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
