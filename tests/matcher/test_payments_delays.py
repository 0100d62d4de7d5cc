"""Twins told apart by how late the book's payers pay (`matcher.payments.delays`): learned
from the automatic matches, used only where amounts and everything before them tie, and
not at all in a book too small to learn from."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import numpy as np
import polars as pl
import pytest
from payment_rows import PAYMENT_SCHEMA, TERMS_INVOICE_SCHEMA, payment

from matcher.payments import MatchConfig, match_payments
from matcher.payments.delays import EARLIEST, LATEST, PaymentDelays

SURE = MatchConfig().min_sure_matches or 0

START = date(2026, 1, 5)
PAID_BEFORE_DUE = 5
"""The book's habit: every referenced payment comes five days before its due date."""


def invoice(n: int, amount: str, issued: date, cp: str) -> dict[str, object]:
    return {
        "invoice_id": f"I{n}",
        "counterparty_id": cp,
        "number": f"INV-{n:07d}",
        "amount_open": Decimal(amount),
        "currency": "GBP",
        "issue_date": issued,
        "due_date": issued + timedelta(days=30),
        "terms_code": "00",
        "discount_date": None,
        "discount_amount": None,
        "parent_counterparty_id": None,
    }


def habit(
    count: int, days_past_due: tuple[int, ...] = (-PAID_BEFORE_DUE,)
) -> tuple[list[dict[str, object]], list[dict[str, object]]]:
    """``count`` invoices of other customers, each paid by a payment naming it, exactly
    (automatic matches), ``days_past_due`` after its due date (taken in turn; by default
    `PAID_BEFORE_DUE` days before it)."""
    invoices, payments = [], []
    for n in range(count):
        issued = START + timedelta(days=n % 200)
        amount = f"{200 + n}.{n % 100:02d}"
        invoices.append(invoice(100 + n, amount, issued, f"K{n}"))
        paid = issued + timedelta(days=30 + days_past_due[n % len(days_past_due)])
        reference = f"INV-{100 + n:07d}"
        payments.append(payment(f"R{n}", amount, cp=f"K{n}", reference=reference, paid=paid))
    return payments, invoices


def twins_paid(
    count: int,
    *,
    new_age: int = 25,
    days_past_due: tuple[int, ...] = (-PAID_BEFORE_DUE,),
    config: MatchConfig | None = None,
) -> str:
    """Which of C1's two invoices of 500.00 its payment naming neither settles, in a book
    with ``count`` automatic matches besides (paid ``days_past_due``, see `habit`): the
    old one is 95 days past its due date on the payment's day, the new one issued
    ``new_age`` days before it (by default due in five days); matched with ``config``."""
    payments, invoices = habit(count, days_past_due)
    paid = START + timedelta(days=250)
    old, new = paid - timedelta(days=125), paid - timedelta(days=new_age)
    invoices += [invoice(1, "500.00", old, "C1"), invoice(2, "500.00", new, "C1")]
    payments.append(payment("P1", "500.00", cp="C1", paid=paid))
    result = match_payments(
        pl.DataFrame(payments, schema=PAYMENT_SCHEMA),
        pl.DataFrame(invoices, schema=TERMS_INVOICE_SCHEMA),
        config,
    )
    chosen = result.filter(pl.col("payment_id") == "P1")
    assert chosen["status"].to_list() == ["suggested"]  # a twin is never automatic
    return str(chosen["invoice_id"].item())


def test_a_twin_goes_to_the_invoice_the_books_habit_makes_likelier() -> None:
    assert twins_paid(SURE * 2) == "I2"


def test_too_few_sure_matches_learn_nothing_and_the_oldest_twin_goes_first() -> None:
    assert twins_paid(SURE - 1) == "I1"


def test_learning_turned_off_leaves_the_oldest_twin_first() -> None:
    assert twins_paid(SURE * 2, config=MatchConfig(min_sure_matches=None)) == "I1"


def test_a_lower_minimum_learns_from_fewer_sure_matches() -> None:
    assert twins_paid(SURE - 1, config=MatchConfig(min_sure_matches=SURE - 1)) == "I2"


def test_a_minimum_below_one_is_refused() -> None:
    with pytest.raises(ValueError, match="min_sure_matches must be at least 1"):
        MatchConfig(min_sure_matches=0)


@pytest.mark.parametrize(("late", "cheaper"), [(-5, True), (95, False)])
def test_the_cost_of_a_lateness_follows_how_often_it_was_seen(late: int, cheaper: bool) -> None:
    costs = np.full(LATEST - EARLIEST + 1, 100, dtype=np.int64)
    costs[-5 - EARLIEST] = 10
    delays = PaymentDelays(costs, np.array([100]), np.array([100 - late]))
    cost = int(delays.cost(np.array([0]), np.array([0]))[0])
    assert (cost < 100) == cheaper


def test_overdue_twins_go_oldest_first_whatever_the_habit() -> None:
    """In a book whose payers often pay three days late, two overdue invoices of one
    amount, one three days overdue: the payment is still for the older, as a payer
    clearing overdue items pays them (every day past due costs the same)."""
    late_habit = (-PAID_BEFORE_DUE, 3)
    assert twins_paid(SURE * 2, new_age=33, days_past_due=late_habit) == "I1"
