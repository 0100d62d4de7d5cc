"""Rows of the payment matcher's input frames for the matcher's tests: a payment as a dict,
and the schemas of the payment and invoice frames, made from the columns the matcher says
it reads (the invoice's also with the optional terms, discount and parent columns)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import polars as pl

from matcher.payments import INVOICE_COLUMNS, OPTIONAL_INVOICE_COLUMNS, PAYMENT_COLUMNS, InputColumn

ISSUED = date(2026, 3, 2)
"""When the tests' invoices are issued unless they say otherwise."""

KIND_DTYPES = {"text": pl.String(), "money": pl.Decimal(38, 2), "date": pl.Date()}
"""The dtype the tests give each kind of column the matcher reads."""


def input_schema(*columns: tuple[InputColumn, ...]) -> pl.Schema:
    return pl.Schema(
        {column.name: KIND_DTYPES[column.kind] for group in columns for column in group}
    )


PAYMENT_SCHEMA = input_schema(PAYMENT_COLUMNS)
INVOICE_SCHEMA = input_schema(INVOICE_COLUMNS)
TERMS_INVOICE_SCHEMA = input_schema(INVOICE_COLUMNS, OPTIONAL_INVOICE_COLUMNS)
"""`INVOICE_SCHEMA` plus the optional columns the matcher reads when present."""


def payment(
    payment_id: str,
    amount: str,
    *,
    cp: str | None = "C1",
    reference: str | None = None,
    paid: date = ISSUED + timedelta(days=20),
    currency: str = "GBP",
) -> dict[str, object]:
    """A payment row, by default from counterparty C1 in pounds, 20 days after `ISSUED`."""
    return {
        "payment_id": payment_id,
        "counterparty_id": cp,
        "amount": Decimal(amount),
        "currency": currency,
        "date": paid,
        "reference": reference,
    }
