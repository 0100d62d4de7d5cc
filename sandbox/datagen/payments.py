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
from datetime import date
from pathlib import Path

import numpy as np
import polars as pl

PAYMENT_DATA_START = date(2025, 11, 1)
"""First possible issue date; invoices are issued over the year that follows."""

SCENARIOS = (
    "single",
    "split",
    "combined",
    "partial",
    "over",
    "card_fee",
    "bank_charge",
    "discount",
    "rounding",
    "duplicate",
    "noise",
)
"""What a payment event is: how many payments for how many invoices, with what amounts."""

REFERENCE_STYLES = (
    "exact",  # INV-0000042
    "in_text",  # INV-0000042 thanks
    "short",  # Inv 42
    "digits",  # 0000042
    "bank_text",  # BACS 3110 INV-0000042
    "typo",  # INV-0000024
    "missing",  # null
    "generic",  # FASTER PAYMENT
)


@dataclass(frozen=True)
class PaymentNoise:
    """How often each kind of noise occurs (probabilities; each group sums to 1)."""

    scenario: tuple[float, ...] = (
        0.66,  # single
        0.04,  # split
        0.07,  # combined
        0.03,  # partial
        0.015,  # over
        0.035,  # card_fee
        0.02,  # bank_charge
        0.03,  # discount
        0.02,  # rounding
        0.01,  # duplicate
        0.07,  # noise
    )
    reference_style: tuple[float, ...] = (0.36, 0.14, 0.08, 0.07, 0.06, 0.04, 0.17, 0.08)
    counterparty_missing: float = 0.08
    unpaid_invoices: float = 0.15
    lookalike_invoices: float = 0.10
    card_fee_rates: tuple[float, ...] = (0.015, 0.025)
    bank_charges: tuple[float, ...] = (5.00, 7.50, 10.00, 15.00, 25.00)
    discount_rate: float = 0.02
    discount_days: int = 10
    foreign_currency_customers: float = 0.12


@dataclass(frozen=True)
class PaymentDataset:
    """Payments and open invoices in the `match_payments` contract, and the truth.

    ``truth`` has one row per (payment_id, invoice_id) that belong together, with
    ``amount``: the cash of that payment that settles that invoice. ``payments`` carries
    an extra ``scenario`` column (what the generator did) for diagnosis only.
    """

    payments: pl.DataFrame
    invoices: pl.DataFrame
    truth: pl.DataFrame
    seed: int = 0
    noise: PaymentNoise = field(default_factory=PaymentNoise)

    def write(self, directory: Path) -> None:
        """Write payments, invoices and truth as Parquet files side by side."""
        directory.mkdir(parents=True, exist_ok=True)
        self.payments.write_parquet(directory / "payments.parquet")
        self.invoices.write_parquet(directory / "invoices.parquet")
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
    )


def _money(cents: pl.Expr) -> pl.Expr:
    return cents.cast(pl.Decimal(38, 2)) / 100


def _round_half_up(values: np.ndarray) -> np.ndarray:
    return np.floor(values + 0.5).astype(np.int64)


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
    n_events = max(1, n_payments)
    n_customers = max(5, n_payments // 8)
    kind_of = {name: i for i, name in enumerate(SCENARIOS)}

    # ---- events: what happens, to whom, how many payments and invoices.
    kind = rng.choice(len(SCENARIOS), size=n_events, p=np.asarray(noise.scenario))
    pays_per = np.where(
        kind == kind_of["split"],
        rng.integers(2, 4, n_events),
        np.where(kind == kind_of["duplicate"], 2, 1),
    )
    cum = np.cumsum(pays_per)
    last = int(np.searchsorted(cum, n_payments))
    last = min(last, n_events - 1)
    kind, pays_per = kind[: last + 1], pays_per[: last + 1]
    overshoot = int(pays_per.sum()) - n_payments
    if overshoot > 0:
        pays_per[-1] -= overshoot
        if pays_per[-1] < 2:
            kind[-1] = kind_of["single"]
            pays_per[-1] = 1
    n_events = kind.size
    invs_per = np.where(
        kind == kind_of["combined"],
        rng.integers(2, 5, n_events),
        np.where(kind == kind_of["noise"], 0, 1),
    )
    weights = 1.0 / np.arange(1, n_customers + 1) ** 0.7
    customer = rng.choice(n_customers, size=n_events, p=weights / weights.sum())
    currency_draw = rng.random(n_customers)
    customer_currency = np.where(
        currency_draw < noise.foreign_currency_customers * 0.7,
        1,
        np.where(currency_draw < noise.foreign_currency_customers, 2, 0),
    )

    # ---- invoices of the events, then the unpaid ones.
    inv_event = np.repeat(np.arange(n_events), invs_per)
    n_unpaid = round(noise.unpaid_invoices * n_payments)
    inv_customer = np.concatenate(
        [
            customer[inv_event],
            rng.choice(n_customers, size=n_unpaid, p=weights / weights.sum()),
        ]
    )
    n_inv = inv_customer.size
    inv_event_all = np.concatenate([inv_event, np.full(n_unpaid, -1)])
    amount = np.maximum(500, _round_half_up(rng.lognormal(np.log(40_000), 1.1, n_inv)))
    whole = rng.random(n_inv) < 0.15
    amount = np.where(whole, np.maximum(100, (amount // 100) * 100), amount)
    event_issue = rng.integers(0, 365, n_events)
    inv_issue = np.concatenate(
        [
            event_issue[inv_event]
            - np.where(
                kind[inv_event] == kind_of["combined"], rng.integers(0, 60, inv_event.size), 0
            ),
            rng.integers(0, 365, n_unpaid),
        ]
    )
    terms = rng.choice(np.array([14, 30, 30, 30, 60]), size=n_inv)
    # Lookalikes: a customer's invoice that repeats the amount of its previous one.
    by_customer = np.lexsort((inv_issue, inv_customer))
    same_prev = np.zeros(n_inv, dtype=bool)
    same_prev[1:] = inv_customer[by_customer][1:] == inv_customer[by_customer][:-1]
    copy = same_prev & (rng.random(n_inv) < noise.lookalike_invoices)
    sorted_amount = amount[by_customer]
    sorted_amount[1:] = np.where(copy[1:], sorted_amount[:-1], sorted_amount[1:])
    amount[by_customer] = sorted_amount
    # Numbers follow issue order, as an invoice sequence does.
    seq = np.empty(n_inv, dtype=np.int64)
    seq[np.lexsort((rng.random(n_inv), inv_issue))] = np.arange(n_inv) + 1001
    sage_style = rng.random(n_inv) < 0.3

    # ---- payments.
    pay_event = np.repeat(np.arange(n_events), pays_per)
    n_pay = pay_event.size
    first_pay = np.concatenate([[0], np.cumsum(pays_per)[:-1]])
    pay_j = np.arange(n_pay) - first_pay[pay_event]
    pay_kind = kind[pay_event]
    event_total = np.bincount(inv_event, weights=amount[: inv_event.size], minlength=n_events)
    event_total = np.rint(event_total).astype(np.int64)
    newest_issue = np.full(n_events, -(10**6), dtype=np.int64)
    np.maximum.at(newest_issue, inv_event, inv_issue[: inv_event.size])
    first_inv = np.concatenate([[0], np.cumsum(invs_per)[:-1]])
    event_terms = np.where(invs_per > 0, terms[np.minimum(first_inv, n_inv - 1)], 30)

    total = event_total[pay_event]
    paid = total.copy()
    draw = rng.random(n_pay)
    # Split: random shares, the last payment takes the rest.
    share = rng.random(n_pay) + 0.3
    share_sum = np.bincount(pay_event, weights=share, minlength=n_events)[pay_event]
    part = np.floor(total * share / share_sum).astype(np.int64)
    part = np.where(rng.random(n_pay) < 0.5, np.maximum(100, (part // 100) * 100), part)
    part = np.minimum(part, total - (pays_per[pay_event] - 1 - pay_j))
    is_split = pay_kind == kind_of["split"]
    split_before = np.bincount(
        pay_event,
        weights=np.where(is_split & (pay_j < pays_per[pay_event] - 1), part, 0),
        minlength=n_events,
    )
    split_last = total - np.rint(split_before[pay_event]).astype(np.int64)
    paid = np.where(is_split, np.where(pay_j == pays_per[pay_event] - 1, split_last, part), paid)
    partial = np.maximum(100, _round_half_up(total * (0.2 + 0.6 * draw)))
    partial = np.where(rng.random(n_pay) < 0.5, (partial // 100) * 100, partial)
    paid = np.where(pay_kind == kind_of["partial"], np.minimum(partial, total - 1), paid)
    over = total + np.maximum(100, _round_half_up(total * (0.01 + 0.1 * draw)))
    paid = np.where(pay_kind == kind_of["over"], over, paid)
    fee_rate = rng.choice(np.asarray(noise.card_fee_rates), size=n_pay)
    paid = np.where(pay_kind == kind_of["card_fee"], total - _round_half_up(total * fee_rate), paid)
    charge = _round_half_up(rng.choice(np.asarray(noise.bank_charges), size=n_pay) * 100)
    paid = np.where(
        (pay_kind == kind_of["bank_charge"]) & (total > 10 * charge), total - charge, paid
    )
    paid = np.where(
        pay_kind == kind_of["discount"], total - _round_half_up(total * noise.discount_rate), paid
    )
    rounded = _round_half_up(total / 100) * 100
    paid = np.where(pay_kind == kind_of["rounding"], np.maximum(100, rounded), paid)
    noise_amount = np.maximum(100, _round_half_up(rng.lognormal(np.log(30_000), 1.2, n_pay)))
    paid = np.where(pay_kind == kind_of["noise"], noise_amount, paid)

    delay = np.where(
        draw < 0.7,
        rng.integers(0, 1 + event_terms[pay_event]),
        np.where(
            draw < 0.95,
            event_terms[pay_event] + rng.integers(0, 60, n_pay),
            event_terms[pay_event] + rng.integers(60, 150, n_pay),
        ),
    )
    delay = np.where(
        pay_kind == kind_of["discount"], rng.integers(0, noise.discount_days + 1, n_pay), delay
    )
    delay = delay + np.where(is_split, pay_j * rng.integers(5, 30, n_pay), 0)
    # A duplicate is the same bank line seen again a few days later.
    duplicate = (pay_kind == kind_of["duplicate"]) & (pay_j == 1)
    original = np.flatnonzero(duplicate) - 1
    delay[original + 1] = delay[original] + rng.integers(1, 4, original.size)
    pay_day = np.where(
        pay_kind == kind_of["noise"], rng.integers(0, 420, n_pay), newest_issue[pay_event] + delay
    )
    pay_customer = np.where(
        pay_kind == kind_of["noise"], rng.integers(0, n_customers, n_pay), customer[pay_event]
    )
    cp_missing = rng.random(n_pay) < noise.counterparty_missing
    style = rng.choice(len(REFERENCE_STYLES), size=n_pay, p=np.asarray(noise.reference_style))
    # An unidentified payer almost always leaves a reference; that is how it is found.
    missing_like = (style == REFERENCE_STYLES.index("missing")) | (
        style == REFERENCE_STYLES.index("generic")
    )
    style = np.where(
        cp_missing & missing_like & (rng.random(n_pay) < 0.9),
        REFERENCE_STYLES.index("exact"),
        style,
    )
    style[original + 1] = style[original]
    cp_missing[original + 1] = cp_missing[original]
    typo_seq = _typo(seq, rng)

    invoices = pl.DataFrame(
        {
            "inv_row": np.arange(n_inv),
            "event": inv_event_all,
            "seq": seq,
            "typo_seq": typo_seq,
            "sage_style": sage_style,
            "customer": inv_customer,
            "currency_code": customer_currency[inv_customer],
            "cents": amount,
            "issue_day": inv_issue,
            "terms": terms,
        }
    ).with_columns(
        pl.when(pl.col("sage_style"))
        .then(pl.col("seq").cast(pl.String).str.zfill(7))
        .otherwise(pl.format("INV-{}", pl.col("seq").cast(pl.String).str.zfill(7)))
        .alias("number"),
    )
    invoice_order = rng.permutation(n_inv)
    invoices = invoices.with_columns(
        pl.format("SI{}", pl.Series(invoice_order).cast(pl.String).str.zfill(9)).alias("invoice_id")
    )
    payments = pl.DataFrame(
        {
            "pay_row": np.arange(n_pay),
            "event": pay_event,
            "j": pay_j,
            "kind": pay_kind,
            "customer": pay_customer,
            "cp_missing": cp_missing,
            "currency_code": customer_currency[pay_customer],
            "cents": paid,
            "day": pay_day,
            "style": style,
            "po": rng.integers(10_000, 99_999, n_pay),
        }
    ).with_columns(
        pl.format("PAY{}", pl.Series(rng.permutation(n_pay)).cast(pl.String).str.zfill(9)).alias(
            "payment_id"
        )
    )
    references = _references(payments, invoices, start)
    payments = payments.join(references, on="pay_row", how="left")

    currencies = pl.Series(["GBP", "EUR", "USD"])
    start_day = pl.lit(start).cast(pl.Int32)
    public_invoices = invoices.select(
        "invoice_id",
        pl.format("C{}", pl.col("customer").cast(pl.String).str.zfill(7)).alias("counterparty_id"),
        "number",
        _money(pl.col("cents")).alias("amount_open"),
        pl.col("currency_code").replace_strict([0, 1, 2], currencies.to_list()).alias("currency"),
        (start_day + pl.col("issue_day")).cast(pl.Date).alias("issue_date"),
        (start_day + pl.col("issue_day") + pl.col("terms")).cast(pl.Date).alias("due_date"),
    ).sort("invoice_id")
    public_payments = payments.select(
        "payment_id",
        pl.when(pl.col("cp_missing"))
        .then(None)
        .otherwise(pl.format("C{}", pl.col("customer").cast(pl.String).str.zfill(7)))
        .alias("counterparty_id"),
        _money(pl.col("cents")).alias("amount"),
        pl.col("currency_code").replace_strict([0, 1, 2], currencies.to_list()).alias("currency"),
        (start_day + pl.col("day")).cast(pl.Date).alias("date"),
        "reference",
        pl.col("kind")
        .replace_strict(list(range(len(SCENARIOS))), list(SCENARIOS))
        .alias("scenario"),
    ).sort("payment_id")

    truth = (
        payments.filter(
            (pl.col("kind") != kind_of["noise"])
            & ~((pl.col("kind") == kind_of["duplicate"]) & (pl.col("j") == 1))
        )
        .select("event", "payment_id", "kind", pl.col("cents").alias("paid"))
        .join(invoices.select("event", "invoice_id", pl.col("cents").alias("owed")), on="event")
        .select(
            "payment_id",
            "invoice_id",
            _money(
                pl.when(pl.col("kind") == kind_of["combined"])
                .then(pl.col("owed"))
                .otherwise(pl.min_horizontal("paid", "owed"))
            ).alias("amount"),
        )
        .sort("payment_id", "invoice_id")
    )
    return PaymentDataset(public_payments, public_invoices, truth, seed=seed, noise=noise)


def _typo(seq: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Each number with one slip: a digit swapped with its neighbour, or mistyped."""
    width = np.floor(np.log10(seq)).astype(np.int64) + 1
    pos = rng.integers(0, np.maximum(width - 1, 1))  # 0 = units digit
    low = (seq // 10**pos) % 10
    high = (seq // 10 ** (pos + 1)) % 10
    swapped = seq + (high - low) * 10**pos + (low - high) * 10 ** (pos + 1)
    mistyped = seq + (((low + rng.integers(1, 10, seq.size)) % 10) - low) * 10**pos
    return np.where((high != low) & (rng.random(seq.size) < 0.5), swapped, mistyped)


def _references(payments: pl.DataFrame, invoices: pl.DataFrame, start: date) -> pl.DataFrame:
    """The reference each payer typed, from the numbers of the invoices it pays."""
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
    return styled.select("pay_row", reference.alias("reference"))
