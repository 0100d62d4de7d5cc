"""Invoices of many counterparties with injected anomalies and the truth of each.

`generate_anomaly_dataset(n_transactions, seed)` draws normal business first: each
counterparty has its own typical amount and spread, payment terms, VAT rate and line
count; some bill the same round amount every month (rent, leases, subscriptions); a
few orders are legitimately several times the usual; some postings fall on weekends;
per-line VAT rounding leaves a penny or two; now and then the same order really is
placed twice in a day. Then about `anomaly_rate` of the rows are anomalies of these
kinds: `duplicate_number` (an invoice keyed twice), `duplicate_content` (the same
invoice re-keyed under a new number), `vat_mismatch`, `negative_quantity`,
`outside_period` (dated outside the period it was posted to), `amount_outlier` (a
slipped decimal point or an extra digit) and `due_before_issue`.

Then the kinds no single rule describes, each a combination of things normal business
also does alone: suppliers change their bank details now and then, place big orders,
bill near the approval threshold, start with a first invoice, and post one-off lines to
another nominal. The anomalies: `bank_change_large` (2.5-5x the supplier's usual within
two weeks of its bank details changing), `under_approval_threshold` (just under
`APPROVAL_THRESHOLD`, several times what the supplier usually bills),
`new_supplier_large` (a first-time supplier whose first invoice is large) and
`unusual_nominal` (a nominal this supplier never used, on an amount above its usual).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import polars as pl

from sandbox.datagen.company import ANCHOR_DATE

RULE_KINDS = (
    "duplicate_number",
    "duplicate_content",
    "vat_mismatch",
    "negative_quantity",
    "outside_period",
    "amount_outlier",
    "due_before_issue",
)
CONTEXTUAL_KINDS = (
    "bank_change_large",
    "under_approval_threshold",
    "new_supplier_large",
    "unusual_nominal",
)
"""Kinds that no single rule describes: combinations and contextual outliers."""
ANOMALY_KINDS = RULE_KINDS + CONTEXTUAL_KINDS
"""Every kind: first those that one rule each describes, then the contextual ones."""
APPROVAL_THRESHOLD = 5_000.0
"""Gross amount from which an invoice needs a second approver."""
NOMINAL_CODES = ("5000", "5001", "5100", "6100", "7100", "7200", "7300", "7400", "7500",
                 "7502", "7600", "7700", "7800", "7900", "8200", "8204")  # fmt: skip


@dataclass(frozen=True)
class AnomalyDataset:
    """Transactions in the shape `matcher.anomalies.score_transactions` reads, and truth."""

    transactions: pl.DataFrame
    """`transaction_id, counterparty_id, number, date, due_date, net_amount, tax_rate,
    tax_amount, gross_amount, line_count, min_quantity, period_start, period_end,
    nominal_code, bank_details_changed` (the day the counterparty's bank details last
    changed on or before the invoice date; null if never)."""
    truth: pl.DataFrame
    """`transaction_id, is_anomaly, kind` (kind is null for normal rows)."""


def generate_anomaly_dataset(
    n_transactions: int, seed: int = 0, anomaly_rate: float = 0.03
) -> AnomalyDataset:
    """About `n_transactions` rows, `anomaly_rate` of them anomalous; deterministic."""
    rng = np.random.default_rng(seed)
    n_anomalies = round(n_transactions * anomaly_rate)
    normal = _normal(n_transactions - n_anomalies, rng)
    anomalies = _anomalies(normal, n_anomalies, rng)
    # Transaction ids follow entry order: by date, and a copy after what it copies.
    frame = (
        pl.concat([normal.with_columns(pl.lit(None, dtype=pl.Utf8).alias("kind")), anomalies])
        .with_columns(pl.col("kind").is_not_null().alias("entered_later"))
        .sort("date", "entered_later", maintain_order=True)
        .with_row_index("row")
        .with_columns(pl.format("T{}", pl.col("row") + 1).alias("transaction_id"))
        .drop("row", "entered_later")
        .sample(fraction=1.0, shuffle=True, seed=int(rng.integers(2**31)))
    )
    truth = frame.select("transaction_id", pl.col("kind").is_not_null().alias("is_anomaly"), "kind")
    transactions = frame.drop("kind").select("transaction_id", pl.exclude("transaction_id"))
    return AnomalyDataset(transactions=transactions, truth=truth)


def _normal(n: int, rng: np.random.Generator) -> pl.DataFrame:
    n_counterparties = max(20, n // 60)
    median = np.exp(rng.normal(np.log(400), 1.1, n_counterparties))
    spread = rng.uniform(0.15, 0.6, n_counterparties)
    terms = rng.choice([7, 14, 30, 30, 30, 45, 60], n_counterparties)
    rate = rng.choice([20.0, 20.0, 20.0, 20.0, 5.0, 0.0], n_counterparties)
    lines = rng.uniform(0.2, 4.0, n_counterparties)
    recurring = rng.random(n_counterparties) < 0.12
    median = np.where(recurring, np.round(median, -1).clip(50), median)
    activity = rng.pareto(1.3, n_counterparties) + 1.0
    # Recurring bills come monthly: about two years of them each.
    activity = np.where(recurring, 24.0 * activity.sum() / n, activity)
    cp = rng.choice(n_counterparties, size=n, p=activity / activity.sum())

    days_back = rng.integers(0, 730, n)
    issued = np.datetime64(ANCHOR_DATE) - days_back.astype("timedelta64[D]")
    weekday = (issued.astype("datetime64[D]").view("int64") - 4) % 7  # 0 = Monday
    weekend_ok = rng.random(n) < 0.02
    shift = np.where((weekday >= 5) & ~weekend_ok, 7 - weekday, 0)  # to Monday
    issued = issued + shift.astype("timedelta64[D]")

    factor = np.exp(rng.normal(0.0, spread[cp]))
    factor = np.where(rng.random(n) < 0.01, rng.uniform(3.0, 6.0, n), factor)  # big orders
    net = np.round(median[cp] * factor, 2)
    net = np.where(recurring[cp] & (rng.random(n) < 0.9), median[cp], net)
    tax = np.round(net * rate[cp] / 100.0, 2)
    line_count = 1 + rng.poisson(lines[cp])
    pennies = rng.integers(-1, 2, n) * (line_count > 1) * (rate[cp] > 0) * (rng.random(n) < 0.3)
    tax = np.round(tax + pennies * 0.01, 2)
    due_days = np.where(rng.random(n) < 0.05, rng.choice([7, 14, 30, 60], n), terms[cp])

    frame = pl.DataFrame(
        {
            "counterparty_id": [f"CP{i:05d}" for i in cp],
            "date": issued.astype("datetime64[D]"),
            "due_offset": due_days.astype(np.int32),
            "net_amount": net,
            "tax_rate": rate[cp],
            "tax_amount": tax,
            "line_count": line_count.astype(np.int32),
            "min_quantity": rng.integers(1, 6, n).astype(np.float64),
        }
    )
    frame = frame.with_columns(
        pl.col("date").cast(pl.Date),
        (pl.col("date").cast(pl.Date) + pl.duration(days=pl.col("due_offset"))).alias("due_date"),
        _nominals(cp, rng),
        _bank_changes(cp, issued.astype("datetime64[D]"), rng),
    ).drop("due_offset")
    # A few orders really are placed twice on one day: same amount, two invoices.
    twice = frame.filter(pl.Series(rng.random(n) < 0.001))
    frame = pl.concat([frame, twice]).head(n)
    frame = frame.sort("counterparty_id", "date").with_columns(
        pl.format(
            "{}-{}",
            pl.col("counterparty_id").str.slice(2),
            pl.int_range(pl.len()).over("counterparty_id") + 1001,
        ).alias("number")
    )
    return _with_period(frame).with_columns(
        (pl.col("net_amount") + pl.col("tax_amount")).round(2).alias("gross_amount")
    )


def _nominals(cp: np.ndarray, rng: np.random.Generator) -> pl.Series:
    """Each supplier's usual nominal; some have a second they use now and then, and a
    few lines anywhere go to a one-off nominal."""
    n_cp, codes = int(cp.max()) + 1, len(NOMINAL_CODES)
    main, second = rng.integers(0, codes, n_cp), rng.integers(0, codes, n_cp)
    uses_second = (rng.random(n_cp) < 0.3)[cp] & (rng.random(cp.size) < 0.15)
    one_off = rng.random(cp.size) < 0.005
    chosen = np.where(uses_second, second[cp], main[cp])
    chosen = np.where(one_off, rng.integers(0, codes, cp.size), chosen)
    return pl.Series("nominal_code", np.array(NOMINAL_CODES)[chosen], dtype=pl.Utf8)


def _bank_changes(cp: np.ndarray, issued: np.ndarray, rng: np.random.Generator) -> pl.Series:
    """One supplier in ten changed its bank details once in the two years, for real."""
    n_cp = int(cp.max()) + 1
    changed = rng.random(n_cp) < 0.1
    on = np.datetime64(ANCHOR_DATE) - rng.integers(0, 730, n_cp).astype("timedelta64[D]")
    since = changed[cp] & (issued >= on[cp])
    return pl.Series(
        "bank_details_changed", np.where(since, on[cp], np.datetime64("NaT")), dtype=pl.Date
    )


def _with_period(frame: pl.DataFrame) -> pl.DataFrame:
    """The accounting period each row was posted in: the month of its date."""
    return frame.with_columns(
        pl.col("date").dt.month_start().alias("period_start"),
        pl.col("date").dt.month_end().alias("period_end"),
    )


def _anomalies(normal: pl.DataFrame, n: int, rng: np.random.Generator) -> pl.DataFrame:
    if n == 0:
        return normal.head(0).with_columns(pl.lit(None, dtype=pl.Utf8).alias("kind"))
    kinds = rng.choice(len(ANOMALY_KINDS), size=n)
    base = normal.sample(n=n, with_replacement=n > normal.height, seed=int(rng.integers(2**31)))
    # Invoices under the threshold come from suppliers that usually bill well below it.
    modest = normal.filter(
        pl.col("gross_amount").is_between(APPROVAL_THRESHOLD / 10, APPROVAL_THRESHOLD / 2.5)
    ).sample(n=n, with_replacement=True, seed=int(rng.integers(2**31)))
    used = normal.group_by("counterparty_id").agg(pl.col("nominal_code").unique())
    nominals = dict(used.iter_rows())
    rows = []
    for i, (row, modest_row, kind_index) in enumerate(
        zip(base.iter_rows(named=True), modest.iter_rows(named=True), kinds, strict=True)
    ):
        kind = ANOMALY_KINDS[int(kind_index)]
        row = dict(modest_row if kind == "under_approval_threshold" else row)
        row["kind"] = kind
        if not kind.startswith("duplicate"):
            _another_invoice(row, i, rng)
        if kind in CONTEXTUAL_KINDS:
            _inject_contextual(row, kind, i, nominals, rng)
        else:
            _inject(row, kind, rng)
        rows.append(row)
    frame = pl.DataFrame(rows, schema={**normal.schema, "kind": pl.Utf8})
    return frame.with_columns(
        (pl.col("net_amount") + pl.col("tax_amount")).round(2).alias("gross_amount")
    )


def _inject_contextual(
    row: dict[str, object],
    kind: str,
    i: int,
    nominals: dict[str, list[str]],
    rng: np.random.Generator,
) -> None:
    """A combination of things each normal alone (see the module docstring)."""
    issued = row["date"]
    assert isinstance(issued, date)
    net = float(row["net_amount"])  # type: ignore[arg-type]
    rate = float(row["tax_rate"])  # type: ignore[arg-type]
    if kind == "bank_change_large":
        row["bank_details_changed"] = issued - timedelta(days=int(rng.integers(0, 15)))
        net *= float(rng.uniform(2.5, 5.0))
    elif kind == "under_approval_threshold":
        gross = APPROVAL_THRESHOLD * float(rng.uniform(0.95, 0.999))
        net = gross / (1 + rate / 100.0)
    elif kind == "new_supplier_large":
        row["counterparty_id"] = f"CPN{i:05d}"
        row["number"] = f"N{i:05d}-1001"
        row["bank_details_changed"] = None
        net = float(np.exp(rng.uniform(np.log(8_000), np.log(40_000))))
    elif kind == "unusual_nominal":
        own = set(nominals.get(str(row["counterparty_id"]), []))
        row["nominal_code"] = str(rng.choice([c for c in NOMINAL_CODES if c not in own]))
        net *= float(rng.uniform(1.5, 3.0))
    row["net_amount"] = round(net, 2)
    row["tax_amount"] = round(round(net, 2) * rate / 100.0, 2)


def _another_invoice(row: dict[str, object], i: int, rng: np.random.Generator) -> None:
    """Turn a copied row into a different invoice of the same counterparty."""
    issued = row["date"]
    assert isinstance(issued, date)
    moved = issued + timedelta(days=int(rng.integers(1, 30)))
    if moved.weekday() >= 5:
        moved += timedelta(days=7 - moved.weekday())
    row["due_date"] = row["due_date"] + (moved - issued)  # type: ignore[operator]
    row["date"] = moved
    row.update(_period(moved))
    row["net_amount"] = round(float(row["net_amount"]) * float(rng.uniform(0.8, 1.25)), 2)  # type: ignore[arg-type]
    row["tax_amount"] = round(float(row["net_amount"]) * float(row["tax_rate"]) / 100.0, 2)  # type: ignore[arg-type]
    row["number"] = f"{str(row['counterparty_id'])[2:]}-A{i:06d}"


def _inject(row: dict[str, object], kind: str, rng: np.random.Generator) -> None:
    issued = row["date"]
    assert isinstance(issued, date)
    net = float(row["net_amount"])  # type: ignore[arg-type]
    rate = float(row["tax_rate"])  # type: ignore[arg-type]
    if kind == "duplicate_number":  # keyed again later, maybe with the amount retyped
        later = issued + timedelta(days=int(rng.integers(0, 20)))
        row["date"], row["due_date"] = later, row["due_date"] + (later - issued)  # type: ignore[operator]
        if rng.random() < 0.3:
            row["net_amount"] = round(net * float(rng.uniform(0.9, 1.1)), 2)
            row["tax_amount"] = round(float(row["net_amount"]) * rate / 100.0, 2)  # type: ignore[arg-type]
        row.update(_period(later))
    elif kind == "duplicate_content":  # re-keyed under the supplier's reference
        row["number"] = f"R{int(rng.integers(10_000, 99_999))}"
    elif kind == "vat_mismatch":
        wrong = [r for r in (0.0, 5.0, 17.5, 20.0) if r != rate]
        if rng.random() < 0.5:
            row["tax_amount"] = round(net * float(rng.choice(wrong)) / 100.0, 2)
        else:  # digits slipped in the VAT figure
            row["tax_amount"] = round(float(row["tax_amount"]) + float(rng.uniform(1, 50)), 2)  # type: ignore[arg-type]
    elif kind == "negative_quantity":
        row["min_quantity"] = -float(rng.integers(1, 6))
    elif kind == "outside_period":  # dated into a closed month, or into the future
        months = int(rng.choice([-3, -2, -1, 1, 2]))
        moved = issued + timedelta(days=30 * months + int(rng.integers(-3, 4)))
        if moved.replace(day=1) == issued.replace(day=1):  # 30 days did not leave the month
            moved += timedelta(days=30 if months > 0 else -30)
        row["date"] = moved
        row["due_date"] = row["due_date"] + (moved - issued)  # type: ignore[operator]
    elif kind == "amount_outlier":  # an extra digit or a lost decimal point
        row["net_amount"] = round(net * float(rng.choice([10.0, 100.0])), 2)
        row["tax_amount"] = round(float(row["net_amount"]) * rate / 100.0, 2)  # type: ignore[arg-type]
    elif kind == "due_before_issue":
        row["due_date"] = issued - timedelta(days=int(rng.integers(1, 60)))


def _period(day: date) -> dict[str, date]:
    start = day.replace(day=1)
    following = (start + timedelta(days=32)).replace(day=1)
    return {"period_start": start, "period_end": following - timedelta(days=1)}
