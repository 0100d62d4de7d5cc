"""What `match_payments` reads: its input columns (checked on entry, so a wrong frame is
one clear error naming the column), and the frames it works on inside: amounts in
integer cents, rows in id order, references and invoice numbers reduced to keys.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import polars as pl

from matcher.references import (
    longest_reference_number,
    normalised,
    number_key,
    reference_numbers,
)

ColumnKind = Literal["text", "money", "date"]


@dataclass(frozen=True)
class InputColumn:
    """One column `match_payments` needs, and the kind of values it holds."""

    name: str
    kind: ColumnKind


PAYMENT_COLUMNS: tuple[InputColumn, ...] = (
    InputColumn("payment_id", "text"),
    InputColumn("counterparty_id", "text"),
    InputColumn("amount", "money"),
    InputColumn("currency", "text"),
    InputColumn("date", "date"),
    InputColumn("reference", "text"),
)
"""The payments frame. Nullable: ``counterparty_id`` (a null one is an unidentified bank
line) and ``reference`` (free text). ``amount`` is in money units, not cents. Extra
columns are ignored."""

INVOICE_COLUMNS: tuple[InputColumn, ...] = (
    InputColumn("invoice_id", "text"),
    InputColumn("counterparty_id", "text"),
    InputColumn("number", "text"),
    InputColumn("amount_open", "money"),
    InputColumn("currency", "text"),
    InputColumn("issue_date", "date"),
    InputColumn("due_date", "date"),
)
"""The invoices frame; ``amount_open`` is what is still owed. Nullable: ``counterparty_id``
(an invoice whose customer is not known: only a reference naming it reaches it). Extra
columns are ignored."""

OPTIONAL_INVOICE_COLUMNS: tuple[InputColumn, ...] = (
    InputColumn("discount_date", "date"),
    InputColumn("discount_amount", "money"),
    InputColumn("parent_counterparty_id", "text"),
    InputColumn("terms_code", "text"),
)
"""Invoice columns used when present (checked like the others): the early-payment
discount the invoice's terms offer and its last day (Sage 100's InvoiceDiscountDate and
DiscountAmt), the parent company that may pay for the counterparty, and the terms code
(named in explanations)."""

RATE_COLUMNS: tuple[InputColumn, ...] = (
    InputColumn("currency", "text"),
    InputColumn("date", "date"),
    InputColumn("rate", "money"),
)
"""The exchange rates frame: units of ``currency`` per one unit of the home currency,
from ``date`` on (the latest rate on or before a payment's date applies)."""

KIND_DTYPES: dict[ColumnKind, str] = {
    "text": "String or Categorical",
    "money": "Decimal, integer or float",
    "date": "Date or Datetime",
}


class PaymentInputError(ValueError):
    """A frame given to `match_payments` lacks a column or holds it in the wrong type."""


def check_columns(
    frame: pl.DataFrame, columns: tuple[InputColumn, ...], name: str, *, optional: bool = False
) -> None:
    """Raises `PaymentInputError` naming the first column `frame` lacks or mistypes
    (with ``optional``, a missing column is fine).

    A column of nulls only (dtype Null) is accepted for any kind: it carries no type.
    """
    for column in columns:
        if column.name not in frame.schema:
            if optional:
                continue
            raise PaymentInputError(
                f"{name}: missing column {column.name!r} ({KIND_DTYPES[column.kind]})"
            )
        dtype = frame.schema[column.name]
        if not _is_kind(dtype, column.kind):
            raise PaymentInputError(
                f"{name}: column {column.name!r} is {dtype}, expected {KIND_DTYPES[column.kind]}"
            )


def check_inputs(
    payments: pl.DataFrame, invoices: pl.DataFrame, rates: pl.DataFrame | None = None
) -> None:
    """`check_columns` and `check_amounts` of every frame `match_payments` reads."""
    check_columns(payments, PAYMENT_COLUMNS, "payments")
    check_columns(invoices, INVOICE_COLUMNS, "invoices")
    check_columns(invoices, OPTIONAL_INVOICE_COLUMNS, "invoices", optional=True)
    check_amounts(payments, PAYMENT_COLUMNS, "payments", ("payment_id",))
    invoice_money = INVOICE_COLUMNS + OPTIONAL_INVOICE_COLUMNS
    check_amounts(invoices, invoice_money, "invoices", ("invoice_id",))
    if rates is not None:
        check_columns(rates, RATE_COLUMNS, "rates")
        check_amounts(rates, RATE_COLUMNS, "rates", ("currency", "date"), positive=True)


def _is_kind(dtype: pl.DataType, kind: ColumnKind) -> bool:
    if dtype == pl.Null:
        return True
    if kind == "text":
        return dtype == pl.String or isinstance(dtype, pl.Categorical | pl.Enum)
    if kind == "money":
        return dtype.is_numeric()
    return dtype == pl.Date or isinstance(dtype, pl.Datetime)


def cents(frame: pl.DataFrame, column: str, *, strict: bool = True) -> pl.Expr:
    """``column`` of ``frame`` (money: decimal, integer or float units) as Int64 cents;
    not ``strict``, null where it is no amount (`check_amounts`)."""
    dtype = frame.schema[column]
    col = pl.col(column)
    if isinstance(dtype, pl.Decimal) or dtype.is_integer():
        # Through a decimal, so that an integer too large for Int64 cents is caught.
        return (col.cast(pl.Decimal(38, 2)) * 100).cast(pl.Int64, strict=strict)
    return (col.cast(pl.Float64) * 100).round(0).cast(pl.Int64, strict=strict)


def check_amounts(
    frame: pl.DataFrame,
    columns: tuple[InputColumn, ...],
    name: str,
    key: tuple[str, ...],
    *,
    positive: bool = False,
) -> None:
    """Raises `PaymentInputError` naming the first record (by its ``key`` columns) whose
    value in a money column of ``columns`` is no amount: not a number, infinite, or more
    than Int64 cents hold; with ``positive``, also zero or less. A null is no error (a
    payment or an invoice without an amount is left out). Call after `check_columns`."""
    for column in columns:
        if column.kind != "money" or frame.schema.get(column.name, pl.Null) == pl.Null:
            continue
        value = pl.col(column.name)
        wrong = value.is_not_null() & cents(frame, column.name, strict=False).is_null()
        if positive:
            wrong = wrong | (value <= 0)
        bad = frame.filter(wrong)
        if bad.height:
            record = ", ".join(f"{k} {bad[k][0]!r}" for k in key)
            what = "a positive amount" if positive else "a finite amount under 9.2e16"
            raise PaymentInputError(
                f"{name}: {record}: {column.name} is {bad[column.name][0]}, not {what}"
            )


def _positive_by_id(frame: pl.DataFrame, id_column: str) -> pl.DataFrame:
    """The rows of a positive amount (cents), the first of each id, sorted by id (so
    results do not depend on row order)."""
    # A stable sort keeps repeated ids in row order, so the first of each is the one
    # after a different id: no hash table of the ids, and little work on sorted input.
    ids = pl.col(id_column)
    first = ids.ne_missing(ids.shift(1)) | (pl.int_range(pl.len()) == 0)
    return frame.filter(pl.col("cents") > 0).sort(id_column, maintain_order=True).filter(first)


def prepare_payments(payments: pl.DataFrame) -> pl.DataFrame:
    """Payments sorted by id (so results do not depend on row order), amounts in cents."""
    return (
        payments.select(
            pl.col("payment_id").cast(pl.String),
            pl.col("counterparty_id").cast(pl.String).alias("p_cp"),
            cents(payments, "amount").alias("cents"),
            pl.col("currency").cast(pl.String).str.to_uppercase().alias("p_cur"),
            pl.col("date").cast(pl.Date).cast(pl.Int32).alias("p_day"),
            pl.col("reference").cast(pl.String),
        )
        .pipe(_positive_by_id, "payment_id")
        .with_columns(
            normalised(pl.col("reference")).alias("ref_norm"),
            reference_numbers(pl.col("reference")).alias("ref_numbers"),
            longest_reference_number(pl.col("reference")).alias("ref_longest"),
        )
        .drop("reference")
        .with_columns(pl.lit(False).alias("p_fx"), pl.col("cents").alias("paid_cents"))
        .with_row_index("pay")
    )


def _optional(frame: pl.DataFrame, column: str, dtype: pl.DataType) -> pl.Expr:
    if column in frame.schema:
        return pl.col(column).cast(dtype)
    return pl.lit(None, dtype=dtype).alias(column)


def prepare_invoices(invoices: pl.DataFrame) -> pl.DataFrame:
    """Open invoices sorted by id, amounts in cents, numbers reduced to keys; with the
    terms' discount (``disc_cents``, ``disc_day``) and the parent (``i_parent``), null
    where not given, and ``amount_peers``: how many open invoices have this amount in
    this currency."""
    discount = (
        cents(invoices, "discount_amount")
        if "discount_amount" in invoices.schema and invoices.schema["discount_amount"] != pl.Null
        else pl.lit(None, dtype=pl.Int64)
    )
    return (
        invoices.select(
            pl.col("invoice_id").cast(pl.String),
            pl.col("counterparty_id").cast(pl.String).alias("i_cp"),
            pl.col("number").cast(pl.String),
            cents(invoices, "amount_open").alias("cents"),
            pl.col("currency").cast(pl.String).str.to_uppercase().alias("i_cur"),
            pl.col("issue_date").cast(pl.Date).cast(pl.Int32).alias("issue_day"),
            pl.col("due_date").cast(pl.Date).cast(pl.Int32).alias("due_day"),
            pl.when(discount > 0).then(discount).alias("disc_cents"),
            _optional(invoices, "discount_date", pl.Date()).cast(pl.Int32).alias("disc_day"),
            _optional(invoices, "parent_counterparty_id", pl.String()).alias("i_parent"),
        )
        .pipe(_positive_by_id, "invoice_id")
        .with_columns(
            normalised(pl.col("number")).alias("num_norm"),
            number_key(pl.col("number")).alias("num_key"),
            pl.len().over("i_cur", "cents").alias("amount_peers"),
        )
        .drop("number")
        .with_row_index("inv")
    )


def named_invoices(pays: pl.DataFrame, invs: pl.DataFrame) -> pl.DataFrame:
    """``pay``, ``inv``: each invoice whose number a payment's reference names exactly (a
    number of ``ref_numbers`` equal to the invoice's ``num_key``), in no particular order."""
    return (
        pays.select("pay", pl.col("ref_numbers").alias("num_key"))
        .explode("num_key")
        .drop_nulls("num_key")
        .join(invs.select("inv", "num_key").drop_nulls("num_key"), on="num_key")
        .select("pay", "inv")
    )


def with_names_own(pays: pl.DataFrame, invs: pl.DataFrame) -> pl.DataFrame:
    """``pays`` (with codes: `with_codes`) with ``names_own``: whether the payment's
    reference names one of its payer's invoices, or of its payer's subsidiaries (a parent
    pays for them), open or settled, in any currency (`named_invoices`). Such a payment
    is for the invoices it names: not for another of the same amount, nor one of a group
    of others. ``pay`` and ``inv`` are row numbers: both sides' columns are gathered by
    them, and the flag is an array indexed by them."""
    named = named_invoices(pays.filter(pl.col("p_cp").is_not_null()), invs)
    payer = pays["p_cp"].gather(named["pay"])
    own = invs.select("i_cp", "i_parent").gather(named["inv"])
    named_own = ((payer == own["i_cp"]) | (payer == own["i_parent"])).fill_null(False)
    flags = np.zeros(pays.height, dtype=bool)
    flags[named["pay"].filter(named_own).to_numpy()] = True
    return pays.with_columns(pl.Series("names_own", flags))


def with_codes(pays: pl.DataFrame, invs: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Both frames with their counterparties (``p_cp``, ``i_cp``, ``i_parent``) and
    currencies (``p_cur``, ``i_cur``) as integer codes the two share, so that the joins
    and groups on them hash numbers, not text. Equal names get equal codes; nulls stay
    null."""
    p_cp, i_cp, i_parent = shared_codes([pays["p_cp"], invs["i_cp"], invs["i_parent"]])
    p_cur, i_cur = shared_codes([pays["p_cur"], invs["i_cur"]])
    return (
        pays.with_columns(p_cp, p_cur),
        invs.with_columns(i_cp, i_parent, i_cur),
    )


def shared_codes(columns: list[pl.Series]) -> list[pl.Series]:
    """``columns`` (text) as UInt32 codes they share, under their own names: equal values
    get equal codes, numbered in order of first appearance (the columns read one after
    the other); nulls stay null.

    A value's code is found by its 64-bit hash, an integer join where a cast to an enum
    would hash every text again (at millions of names, four times the work). Every value
    is then compared with the first value of its hash, and were two different values
    ever to share one, the codes are made from the values themselves."""
    values = pl.concat([column.cast(pl.String) for column in columns])
    present = values.is_not_null()
    known = values.filter(present)
    code = first_appearance_codes(known, known.hash())
    coded = pl.repeat(None, values.len(), dtype=pl.UInt32, eager=True)
    coded = coded.scatter(present.arg_true(), code)
    lengths = [column.len() for column in columns]
    starts = np.cumsum([0, *lengths[:-1]]).tolist()
    return [
        coded.slice(start, length).alias(column.name)
        for start, length, column in zip(starts, lengths, columns, strict=True)
    ]


def first_appearance_codes(values: pl.Series, hashed: pl.Series) -> pl.Series:
    """UInt32 codes of ``values`` (no nulls) numbered in order of first appearance, found
    by their ``hashed`` values; exact whatever the hashes: a value that differs from the
    first of its hash sends every value to an enum of the values themselves."""
    first = hashed.arg_unique()
    distinct = pl.DataFrame(
        {"hash": hashed.gather(first), "code": pl.int_range(first.len(), eager=True)}
    ).cast({"code": pl.UInt32})
    code = (
        pl.DataFrame({"hash": hashed})
        .join(distinct, on="hash", how="left", maintain_order="left")
        .get_column("code")
    )
    if (values.gather(first).gather(code) == values).all():
        return code
    return values.cast(pl.Enum(values.unique(maintain_order=True))).to_physical().cast(pl.UInt32)
