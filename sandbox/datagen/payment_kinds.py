"""How customers really pay, as draws for the labelled payment data: Sage 100 terms codes
with early-payment discounts, parent companies paying for their subsidiaries, exchange
rates for foreign-currency receipts, bank fees and deductions taken off the top.

Nothing here knows how the matcher works: amounts follow the terms, the banks and the
customers' habits (discounts taken late, fees stacked by two banks, rates a few days old
with the payer's bank's spread).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

TERMS_CODES: tuple[tuple[str, str, float, int, int], ...] = (
    # (TermsCode, TermsCodeDesc, DiscountRate %, DaysBeforeDiscountDue, DaysBeforeDue)
    ("00", "NET 30 DAYS", 0.0, 0, 30),
    ("01", "2% 10 NET 30", 2.0, 10, 30),
    ("02", "1% 10 NET 30", 1.0, 10, 30),
    ("03", "NET 14 DAYS", 0.0, 0, 14),
    ("04", "1.5% 15 NET 45", 1.5, 15, 45),
    ("05", "NET 60 DAYS", 0.0, 0, 60),
    ("06", "2% 15 NET 60", 2.0, 15, 60),
    ("07", "NET 30 EOM", 0.0, 0, 45),
)
"""Sage 100 AR terms codes: code, description, discount rate (%), discount days, due days."""
TERMS_SHARE = (0.42, 0.08, 0.05, 0.12, 0.04, 0.17, 0.03, 0.09)
DISCOUNT_TERMS = np.flatnonzero(np.array([t[2] for t in TERMS_CODES]) > 0)
TERMS_RATE = np.array([t[2] / 100 for t in TERMS_CODES])
TERMS_DISCOUNT_DAYS = np.array([t[3] for t in TERMS_CODES])
TERMS_DUE_DAYS = np.array([t[4] for t in TERMS_CODES])

CURRENCIES = ("GBP", "EUR", "USD")
"""Currency codes by number; GBP is the home currency."""
RATE_START = (1.0, 1.17, 1.27)
"""Units of each currency per pound on the first day."""
RATE_DAYS = 900

INTERMEDIARY_FEES = np.array([6.0, 8.0, 10.0, 12.0, 12.5, 15.0, 17.5, 18.0, 20.0, 25.0, 30.0])
"""What correspondent and receiving banks charge for a wire (one or two of them)."""

DEDUCTION_NOTES = ("LESS CB {}", "SHORT PAID DAMAGES", "DEDN PROMO {}", "LESS CREDIT {}", "")
STATEMENT_NOTES = (
    "STATEMENT",
    "ON ACCOUNT",
    "PAYMENT",
    "REMITTANCE TO FOLLOW",
    "PO {}",
    "{} LTD",
    "",
)


@dataclass(frozen=True)
class CustomerDraw:
    """Per customer: its terms code (index into `TERMS_CODES`) and its parent (-1: none)."""

    terms: np.ndarray
    parent: np.ndarray

    def subsidiaries_of(self, parents: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """One random subsidiary of each given parent (every one must have some)."""
        children = np.flatnonzero(self.parent >= 0)
        order = children[np.argsort(self.parent[children], kind="stable")]
        owner = self.parent[order]
        first = np.searchsorted(owner, parents, side="left")
        count = np.searchsorted(owner, parents, side="right") - first
        return order[first + (rng.random(parents.size) * count).astype(np.int64)]

    @property
    def parents(self) -> np.ndarray:
        return np.unique(self.parent[self.parent >= 0])


def draw_customers(n_customers: int, rng: np.random.Generator) -> CustomerDraw:
    """Terms codes, and groups: about one customer in fifty owns two to six subsidiaries."""
    terms = rng.choice(len(TERMS_CODES), size=n_customers, p=np.asarray(TERMS_SHARE))
    parent = np.full(n_customers, -1, dtype=np.int64)
    n_groups = max(1, n_customers // 50)
    chosen = rng.permutation(n_customers)
    owners = chosen[:n_groups]
    sizes = rng.integers(2, 7, n_groups)
    children = chosen[n_groups : n_groups + int(sizes.sum())]
    parent[children] = np.repeat(owners, sizes)[: children.size]
    return CustomerDraw(terms, parent)


def draw_rates(rng: np.random.Generator) -> np.ndarray:
    """Daily rates (units per pound) over `RATE_DAYS` days, a random walk per currency;
    shape (days, currencies). Day 0 is 60 days before the data starts."""
    steps = rng.normal(0.0, 0.0045, size=(RATE_DAYS, len(CURRENCIES)))
    steps[:, 0] = 0.0
    return np.asarray(RATE_START) * np.exp(np.cumsum(steps, axis=0))


RATE_OFFSET = 60
"""Rate day of data day 0."""


def foreign_amounts(
    owed: np.ndarray,
    owed_currency: np.ndarray,
    paid_currency: np.ndarray,
    day: np.ndarray,
    rates: np.ndarray,
    rng: np.random.Generator,
) -> np.ndarray:
    """What a customer sends in its own currency for an amount owed in another: converted
    by its bank a few days before, at that day's rate less the bank's spread."""
    booked = np.clip(day - rng.integers(0, 6, day.size) + RATE_OFFSET, 0, RATE_DAYS - 1)
    cross = rates[booked, paid_currency] / rates[booked, owed_currency]
    spread = np.clip(rng.normal(0.006, 0.006, day.size), -0.01, 0.02)
    return np.maximum(100, np.floor(owed * cross * (1 + spread) + 0.5)).astype(np.int64)


def wire_fees(n: int, rng: np.random.Generator) -> np.ndarray:
    """Cents taken by one bank, or by two, off a wire."""
    first = rng.choice(INTERMEDIARY_FEES, size=n)
    second = np.where(rng.random(n) < 0.35, rng.choice(INTERMEDIARY_FEES, size=n), 0.0)
    return np.rint((first + second) * 100).astype(np.int64)


def deductions(owed: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Cents a customer keeps back: a chargeback, damaged goods, a promotion (3-35 %),
    often a whole amount."""
    share = rng.uniform(0.03, 0.35, owed.size)
    cut = np.floor(owed * share + 0.5).astype(np.int64)
    cut = np.where(rng.random(owed.size) < 0.5, np.maximum(100, (cut // 100) * 100), cut)
    return np.minimum(cut, owed - 100)


def terms_discount_cents(owed: np.ndarray, terms: np.ndarray) -> np.ndarray:
    """Sage's DiscountAmt: the invoice total times its terms' rate, to the cent."""
    return np.floor(owed * TERMS_RATE[terms] + 0.5).astype(np.int64)
