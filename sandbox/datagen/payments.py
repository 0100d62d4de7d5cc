"""Labelled payment-matching data at any size: payments, open invoices and the truth.

`generate_payment_dataset(n_payments, seed)` builds the bank lines, KashFlow invoice
payments and Sage 100 cash receipts of a trading business against its open sales
invoices, with the noise real ones carry: references typed with slips or buried in
free text ("INV-0042 thanks", "Inv 42", "0000042", "BACS 2610 INV-0000042"), or missing;
unidentified payers (no counterparty); split payments (several for one invoice) and
combined ones (one for several invoices); partial and over-payments; card fees and bank
charges deducted; early-payment discounts taken; amounts rounded to whole units;
duplicate bank lines; invoices that look alike (same customer, same amount); payments
for no invoice at all; and invoices still unpaid. `truth` says which payment settles
which invoice with how much cash. Everything is vectorised with numpy and polars, so a
million payments take seconds; the same arguments always give the same data.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import polars as pl

from sandbox.datagen.payment_draws import (
    REFERENCE_STYLES,
    SCENARIO_CODES,
    SCENARIOS,
    SEVERAL_INVOICES,
    EventDraw,
    InvoiceDraw,
    PaymentDraw,
    PaymentNoise,
    draw_events,
    draw_invoices,
    draw_payments,
    pay_oldest_items,
    typo_numbers,
)
from sandbox.datagen.payment_kinds import (
    CURRENCIES,
    DEDUCTION_NOTES,
    RATE_OFFSET,
    STATEMENT_NOTES,
    TERMS_CODES,
    TERMS_DISCOUNT_DAYS,
    terms_discount_cents,
)

PAYMENT_DATA_START = date(2025, 11, 1)
"""First possible issue date; invoices are issued over the year that follows."""


@dataclass(frozen=True)
class PaymentDataset:
    """Payments and open invoices in the `match_payments` contract, and the truth.

    ``truth`` has one row per (payment_id, invoice_id) that belong together, with
    ``amount``: the cash of that payment that settles that invoice (in the invoice's
    currency for a foreign receipt), and ``review``: true where nothing in the data can
    tell which invoices the payment settles (see `for_review`). ``payments`` carries an
    extra ``scenario`` column (what the generator did) for diagnosis only. Invoices
    carry, beyond the contract, their Sage 100 ``terms_code``, the ``discount_date`` and
    ``discount_amount`` those terms give (null when none), and the
    ``parent_counterparty_id`` of a subsidiary. ``rates`` holds the day's exchange rates
    (``currency``, ``date``, ``rate``: units per pound).
    """

    payments: pl.DataFrame
    invoices: pl.DataFrame
    truth: pl.DataFrame
    rates: pl.DataFrame = field(default_factory=pl.DataFrame)
    seed: int = 0
    noise: PaymentNoise = field(default_factory=PaymentNoise)

    def write(self, directory: Path) -> None:
        """Write payments, invoices and truth as Parquet files side by side."""
        directory.mkdir(parents=True, exist_ok=True)
        self.payments.write_parquet(directory / "payments.parquet")
        self.invoices.write_parquet(directory / "invoices.parquet")
        self.rates.write_parquet(directory / "rates.parquet")
        self.write_truth(directory / "truth.parquet")

    def write_truth(self, path: Path) -> None:
        """Write the ground truth alone (Parquet, or CSV when the path ends in .csv)."""
        if path.suffix == ".csv":
            self.truth.write_csv(path)
        else:
            self.truth.write_parquet(path)


def read_payment_dataset(directory: Path) -> PaymentDataset:
    """Read back what `PaymentDataset.write` wrote."""
    return PaymentDataset(
        payments=pl.read_parquet(directory / "payments.parquet"),
        invoices=pl.read_parquet(directory / "invoices.parquet"),
        truth=pl.read_parquet(directory / "truth.parquet"),
        rates=pl.read_parquet(directory / "rates.parquet"),
    )


def _money(cents: pl.Expr) -> pl.Expr:
    return cents.cast(pl.Decimal(38, 2)) / 100


def generate_payment_dataset(
    n_payments: int,
    seed: int = 0,
    *,
    noise: PaymentNoise | None = None,
    start: date = PAYMENT_DATA_START,
) -> PaymentDataset:
    """About ``n_payments`` payments (exactly, unless fewer than 3) with their invoices."""
    noise = noise or PaymentNoise()
    rng = np.random.default_rng(seed)
    # One generator draws everything, in this order: reordering the steps changes the data.
    events = draw_events(n_payments, noise, rng)
    invoice_draw = draw_invoices(events, n_payments, noise, rng)
    payment_draw = draw_payments(events, invoice_draw, noise, rng)
    invoice_draw, payment_draw = pay_oldest_items(
        events, invoice_draw, payment_draw, noise, rng.spawn(1)[0]
    )
    invoices = _invoice_frame(invoice_draw, events, rng)
    payments = _payment_frame(payment_draw, events, rng)
    payments = payments.join(_references(payments, invoices, start), on="pay_row", how="left")
    return PaymentDataset(
        _public_payments(payments, start),
        _public_invoices(invoices, start),
        _truth(payments, invoices),
        _rates(events, start),
        seed=seed,
        noise=noise,
    )


def _rates(events: EventDraw, start: date) -> pl.DataFrame:
    """The day's rate of each foreign currency, units per pound (as a rates feed gives)."""
    days, currencies = events.rates.shape
    return pl.DataFrame(
        {
            "currency": [CURRENCIES[c] for c in range(1, currencies) for _ in range(days)],
            "date": pl.date_range(
                start - timedelta(days=RATE_OFFSET),
                start + timedelta(days=days - RATE_OFFSET - 1),
                eager=True,
            ).to_list()
            * (currencies - 1),
            "rate": events.rates[:, 1:].T.reshape(-1).round(5),
        }
    )


def _invoice_frame(
    invoices: InvoiceDraw, events: EventDraw, rng: np.random.Generator
) -> pl.DataFrame:
    """The invoices as a frame, each with its number (Sage or KashFlow style), a typo of
    it, and a shuffled `invoice_id`."""
    n_inv = invoices.seq.size
    typo_seq = typo_numbers(invoices.seq, rng)
    frame = pl.DataFrame(
        {
            "inv_row": np.arange(n_inv),
            "event": invoices.event,
            "seq": invoices.seq,
            "typo_seq": typo_seq,
            "sage_style": invoices.sage_style,
            "customer": invoices.customer,
            "currency_code": events.customer_currency[invoices.customer],
            "cents": invoices.cents,
            "issue_day": invoices.issue_day,
            "terms": invoices.terms,
            "terms_code": invoices.terms_code,
            "parent": events.customers.parent[invoices.customer],
            "typo_pick": rng.random(n_inv),
        }
    ).with_columns(
        pl.when(pl.col("sage_style"))
        .then(pl.col("seq").cast(pl.String).str.zfill(7))
        .otherwise(pl.format("INV-{}", pl.col("seq").cast(pl.String).str.zfill(7)))
        .alias("number"),
    )
    invoice_order = rng.permutation(n_inv)
    return frame.with_columns(
        pl.format("SI{}", pl.Series(invoice_order).cast(pl.String).str.zfill(9)).alias("invoice_id")
    )


def _payment_frame(
    payments: PaymentDraw, events: EventDraw, rng: np.random.Generator
) -> pl.DataFrame:
    """The payments as a frame, each with a PO number and a shuffled `payment_id`."""
    n_pay = payments.event.size
    frame = pl.DataFrame(
        {
            "pay_row": np.arange(n_pay),
            "event": payments.event,
            "j": payments.j,
            "kind": payments.kind,
            "customer": payments.customer,
            "cp_missing": payments.cp_missing,
            "currency_code": payments.currency,
            "cents": payments.cents,
            "day": payments.day,
            "style": payments.style,
            "po": rng.integers(10_000, 99_999, n_pay),
        }
    )
    return frame.with_columns(
        pl.format("PAY{}", pl.Series(rng.permutation(n_pay)).cast(pl.String).str.zfill(9)).alias(
            "payment_id"
        )
    )


_CURRENCIES = list(CURRENCIES)


def _customer_id(customer: pl.Expr) -> pl.Expr:
    return pl.format("C{}", customer.cast(pl.String).str.zfill(7))


def _public_invoices(invoices: pl.DataFrame, start: date) -> pl.DataFrame:
    """Open invoices in the `match_payments` contract, with their terms and parent."""
    start_day = pl.lit(start).cast(pl.Int32)
    code = pl.col("terms_code")
    terms = invoices["terms_code"].to_numpy()
    discount = terms_discount_cents(invoices["cents"].to_numpy(), terms)
    offered = pl.Series(discount > 0)
    return (
        invoices.with_columns(
            pl.when(offered).then(pl.Series(discount)).alias("discount_cents"),
            pl.when(offered).then(pl.Series(TERMS_DISCOUNT_DAYS[terms])).alias("discount_days"),
        )
        .select(
            "invoice_id",
            pl.format("C{}", pl.col("customer").cast(pl.String).str.zfill(7)).alias(
                "counterparty_id"
            ),
            "number",
            _money(pl.col("cents")).alias("amount_open"),
            pl.col("currency_code").replace_strict([0, 1, 2], _CURRENCIES).alias("currency"),
            (start_day + pl.col("issue_day")).cast(pl.Date).alias("issue_date"),
            (start_day + pl.col("issue_day") + pl.col("terms")).cast(pl.Date).alias("due_date"),
            code.replace_strict(list(range(len(TERMS_CODES))), [t[0] for t in TERMS_CODES]).alias(
                "terms_code"
            ),
            (start_day + pl.col("issue_day") + pl.col("discount_days"))
            .cast(pl.Date)
            .alias("discount_date"),
            _money(pl.col("discount_cents")).alias("discount_amount"),
            pl.when(pl.col("parent") >= 0)
            .then(_customer_id(pl.col("parent")))
            .alias("parent_counterparty_id"),
        )
        .sort("invoice_id")
    )


def _public_payments(payments: pl.DataFrame, start: date) -> pl.DataFrame:
    """Payments in the `match_payments` contract, with the generator's `scenario`."""
    start_day = pl.lit(start).cast(pl.Int32)
    return payments.select(
        "payment_id",
        pl.when(pl.col("cp_missing"))
        .then(None)
        .otherwise(pl.format("C{}", pl.col("customer").cast(pl.String).str.zfill(7)))
        .alias("counterparty_id"),
        _money(pl.col("cents")).alias("amount"),
        pl.col("currency_code").replace_strict([0, 1, 2], _CURRENCIES).alias("currency"),
        (start_day + pl.col("day")).cast(pl.Date).alias("date"),
        "reference",
        pl.col("kind")
        .replace_strict(list(range(len(SCENARIOS))), list(SCENARIOS))
        .alias("scenario"),
    ).sort("payment_id")


_WHOLE_INVOICES = [SCENARIO_CODES[kind] for kind in (*SEVERAL_INVOICES, "foreign")]


_ANY_AMOUNT = [SCENARIO_CODES[kind] for kind in ("partial", "over", "deduction")]


def for_review(cp_missing: pl.Expr, kind: pl.Expr, numbered: pl.Expr) -> pl.Expr:
    """Payments whose invoices nothing in the data can tell: a reference naming none of
    them, and either no payer (a bank line with no name and no invoice number) or an
    amount the payer chose (a part payment, an over-payment, a deduction), which fits
    no invoice by any rule. Their truth stands, marked for review: a person would put
    them on account and ask the customer."""
    return ~numbered & (cp_missing | kind.is_in(_ANY_AMOUNT))


def _truth(payments: pl.DataFrame, invoices: pl.DataFrame) -> pl.DataFrame:
    """Which payment settles which invoice with how much cash: noise and the second sight
    of a duplicate bank line settle nothing; a payment for several invoices settles each
    whole, and so does a foreign receipt (in the invoice's currency). ``review`` marks
    the pairs of payments `for_review`."""
    return (
        payments.filter(
            (pl.col("kind") != SCENARIO_CODES["noise"])
            & ~((pl.col("kind") == SCENARIO_CODES["duplicate"]) & (pl.col("j") == 1))
        )
        .select(
            "event",
            "payment_id",
            "kind",
            pl.col("cents").alias("paid"),
            for_review(pl.col("cp_missing"), pl.col("kind"), pl.col("numbered")).alias("review"),
        )
        .join(invoices.select("event", "invoice_id", pl.col("cents").alias("owed")), on="event")
        .select(
            "payment_id",
            "invoice_id",
            _money(
                pl.when(pl.col("kind").is_in(_WHOLE_INVOICES))
                .then(pl.col("owed"))
                .otherwise(pl.min_horizontal("paid", "owed"))
            ).alias("amount"),
            "review",
        )
        .sort("payment_id", "invoice_id")
    )


def _references(payments: pl.DataFrame, invoices: pl.DataFrame, start: date) -> pl.DataFrame:
    """The reference each payer typed, from the numbers of the invoices it pays: a
    remittance names all its invoices, some with a slip; a statement payment names none;
    a deduction often says why it is short."""
    typo_digits = pl.col("typo_seq").cast(pl.String).str.zfill(7)
    typed = (
        pl.when(pl.col("sage_style")).then(typo_digits).otherwise(pl.format("INV-{}", typo_digits))
    )
    numbers = (
        invoices.filter(pl.col("event") >= 0)
        .sort("issue_day", "seq")
        .group_by("event")
        .agg(
            pl.col("number"),
            pl.col("seq").cast(pl.String).alias("short"),
            pl.col("seq").cast(pl.String).str.zfill(7).alias("digits"),
            pl.format("INV-{}", pl.col("typo_seq").cast(pl.String).str.zfill(7))
            .first()
            .alias("typo"),
            _remitted(pl.col("number"), typed).alias("remitted"),
            _remitted(pl.col("seq").cast(pl.String), pl.col("typo_seq").cast(pl.String)).alias(
                "remitted_short"
            ),
        )
    )
    styled = payments.join(numbers, on="event", how="left")
    start_day = pl.lit(start).cast(pl.Int32)
    ddmm = (start_day + pl.col("day")).cast(pl.Date).dt.strftime("%d%m")
    style = pl.col("style").replace_strict(
        list(range(len(REFERENCE_STYLES))), list(REFERENCE_STYLES)
    )
    several = pl.col("number").list.len() > 1
    reference = (
        pl.when(pl.col("number").is_null())
        .then(
            pl.when(pl.col("po") % 3 == 0)
            .then(pl.format("PO {}", pl.col("po")))
            .when(pl.col("po") % 3 == 1)
            .then(pl.lit("REFUND"))
            .otherwise(None)
        )
        .when(style == "exact")
        .then(pl.col("number").list.join(" "))
        .when(style == "in_text")
        .then(pl.format("{} thanks", pl.col("number").list.join(", ")))
        .when(style == "short")
        .then(pl.format("Inv {}", pl.col("short").list.join("/")))
        .when(style == "digits")
        .then(pl.col("digits").list.join(" "))
        .when(style == "bank_text")
        .then(pl.format("BACS {} {}", ddmm, pl.col("number").list.join(" ")))
        .when((style == "typo") & ~several)
        .then(pl.col("typo"))
        .when(style == "generic")
        .then(pl.lit("FASTER PAYMENT"))
        .otherwise(None)
    )
    kind = pl.col("kind")
    remittance = (
        pl.when(style == "short")
        .then(pl.format("Inv {}", pl.col("remitted_short").list.join("/")))
        .when(style == "in_text")
        .then(pl.format("REMITTANCE {}", pl.col("remitted").list.join(", ")))
        .otherwise(pl.col("remitted").list.join(" "))
    )
    numbered_style = style.is_in(["exact", "in_text", "short", "digits", "bank_text"]) | (
        (style == "typo") & ~several
    )
    reference = (
        pl.when(kind == SCENARIO_CODES["remittance"])
        .then(remittance)
        .when(kind == SCENARIO_CODES["statement"])
        .then(_note(STATEMENT_NOTES))
        .when((kind == SCENARIO_CODES["deduction"]) & reference.is_not_null())
        .then(pl.concat_str(reference, _note(DEDUCTION_NOTES), separator=" ", ignore_nulls=True))
        .otherwise(reference)
    )
    # Whether the reference names the payment's invoices (a slip in a number still names it).
    numbered = pl.col("number").is_not_null() & (
        (kind == SCENARIO_CODES["remittance"])
        | ((kind != SCENARIO_CODES["statement"]) & numbered_style)
    )
    return styled.select(
        "pay_row", reference.alias("reference"), numbered.fill_null(False).alias("numbered")
    )


def _note(notes: tuple[str, ...]) -> pl.Expr:
    """One of `notes` per payment (by its PO number), the PO number filled in."""
    which = pl.col("po") % len(notes)
    expr: pl.Expr = pl.lit(None, dtype=pl.String)
    for n, note in enumerate(notes):
        if note:
            text = pl.format(note, pl.col("po")) if "{}" in note else pl.lit(note)
            expr = pl.when(which == n).then(text).otherwise(expr)
    return expr


def _remitted(numbers: pl.Expr, typos: pl.Expr) -> pl.Expr:
    """The numbers as a remittance lists them: about one in three with a slip, and at
    least one."""
    slipped = (pl.col("typo_pick") < 0.35) | (pl.col("typo_pick") == pl.col("typo_pick").min())
    return pl.when(slipped).then(typos).otherwise(numbers)
