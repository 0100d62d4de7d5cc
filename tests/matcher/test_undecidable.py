"""`undecidable_misses`: a missed payment is undecidable only when as many other invoices
of its payer, open on its day, make its amount and its reference names none of its own."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from itertools import combinations

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from matcher.undecidable import undecidable_misses

DAY = date(2026, 3, 31)


def _invoices(*rows: tuple[str, str, str, str, int]) -> pl.DataFrame:
    """(id, counterparty, amount, parent, days before the payment it was issued)."""
    return pl.DataFrame(
        {
            "invoice_id": [r[0] for r in rows],
            "counterparty_id": [r[1] for r in rows],
            "number": [f"INV-{1000 + i}" for i in range(len(rows))],
            "amount_open": [Decimal(r[2]) for r in rows],
            "currency": ["GBP"] * len(rows),
            "issue_date": [DAY - timedelta(days=r[4]) for r in rows],
            "due_date": [DAY + timedelta(days=30) for _ in rows],
            "parent_counterparty_id": [r[3] or None for r in rows],
        },
        schema_overrides={"amount_open": pl.Decimal(38, 2)},
    )


def _payments(*rows: tuple[str, str, str, str | None, int]) -> pl.DataFrame:
    """(id, counterparty, amount, reference, days before DAY it was made)."""
    return pl.DataFrame(
        {
            "payment_id": [r[0] for r in rows],
            "counterparty_id": [r[1] for r in rows],
            "amount": [Decimal(r[2]) for r in rows],
            "currency": ["GBP"] * len(rows),
            "date": [DAY - timedelta(days=r[4]) for r in rows],
            "reference": [r[3] for r in rows],
        },
        schema_overrides={"amount": pl.Decimal(38, 2)},
    )


def _truth(*pairs: tuple[str, str]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "payment_id": [p for p, _ in pairs],
            "invoice_id": [i for _, i in pairs],
            "review": [False] * len(pairs),
        }
    )


NOTHING = pl.DataFrame(schema={"payment_id": pl.String, "invoice_id": pl.String})


def _undecided(
    payments: pl.DataFrame,
    invoices: pl.DataFrame,
    truth: pl.DataFrame,
    result: pl.DataFrame = NOTHING,
) -> list[str]:
    return undecidable_misses(result, payments, invoices, truth)["payment_id"].to_list()


def test_a_twin_open_that_day_makes_a_single_payment_undecidable() -> None:
    invoices = _invoices(("A", "C1", "100.00", "", 20), ("B", "C1", "100.00", "", 10))
    payments = _payments(("P", "C1", "100.00", "FASTER PAYMENT", 0))
    assert _undecided(payments, invoices, _truth(("P", "A"))) == ["P"]


@pytest.mark.parametrize(
    ("twin_issued", "earlier", "reference"),
    [
        (-5, None, None),  # the twin was issued after the payment
        (10, 3, None),  # another payment settled the twin three days before
        (10, None, "INV-1000"),  # the reference names the true invoice
    ],
)
def test_a_twin_not_open_or_a_named_invoice_decides(
    twin_issued: int, earlier: int | None, reference: str | None
) -> None:
    invoices = _invoices(("A", "C1", "100.00", "", 20), ("B", "C1", "100.00", "", twin_issued))
    rows = [("P", "C1", "100.00", reference, 0)]
    pairs = [("P", "A")]
    if earlier is not None:
        rows.append(("Q", "C1", "100.00", "INV-1001", earlier))
        pairs.append(("Q", "B"))
    assert _undecided(_payments(*rows), invoices, _truth(*pairs)) == []


def test_a_found_payment_is_not_a_miss() -> None:
    invoices = _invoices(("A", "C1", "100.00", "", 20), ("B", "C1", "100.00", "", 10))
    payments = _payments(("P", "C1", "100.00", None, 0))
    found = pl.DataFrame({"payment_id": ["P"], "invoice_id": ["A"]})
    assert _undecided(payments, invoices, _truth(("P", "A")), found) == []


def test_two_others_making_two_of_its_invoices_make_it_undecidable() -> None:
    own = [("A", "C1", "30.00", "", 40), ("B", "C1", "70.00", "", 30)]
    payments = _payments(("P", "C1", "100.00", "STATEMENT", 0))
    truth = _truth(("P", "A"), ("P", "B"))
    # One invoice of 100 is not as many invoices; one of 50 cannot be taken twice.
    for others in ([("C", "C1", "100.00", "", 5)], [("C", "C1", "50.00", "", 5)]):
        assert _undecided(payments, _invoices(*own, *others), truth) == []
    for others in (
        [("C", "C1", "60.00", "", 5), ("D", "C1", "40.00", "", 9)],
        [("C", "C1", "50.00", "", 5), ("D", "C1", "50.00", "", 9)],
    ):
        assert _undecided(payments, _invoices(*own, *others), truth) == ["P"]


def test_a_parent_pays_from_its_subsidiaries_invoices_and_a_stranger_pays_none() -> None:
    invoices = _invoices(
        ("A", "S1", "100.00", "G", 20), ("B", "S2", "100.00", "G", 10), ("X", "C9", "100.00", "", 1)
    )
    truth = _truth(("P", "A"), ("Q", "X"))
    payments = _payments(("P", "G", "100.00", None, 0), ("Q", "C9", "100.00", None, 0))
    assert _undecided(payments, invoices, truth) == ["P"]


def test_a_payment_not_of_the_invoices_total_is_left_alone() -> None:
    invoices = _invoices(("A", "C1", "100.00", "", 20), ("B", "C1", "100.00", "", 10))
    payments = _payments(("P", "C1", "98.00", None, 0))
    assert _undecided(payments, invoices, _truth(("P", "A"))) == []


# One payer's invoices as (amount in units, issued days before the payment, settled days
# before it by another payment or None), and which of them the payment paid.
_invoice = st.tuples(
    st.integers(1, 40), st.integers(-3, 30), st.one_of(st.none(), st.integers(1, 20))
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_invoice, min_size=2, max_size=8), st.data())
def test_undecidable_is_a_swap_of_one_or_two_open_invoices(
    drawn: list[tuple[int, int, int | None]], data: st.DataObject
) -> None:
    """Against every swap written out: the payment is undecidable exactly when one or two
    of its invoices open that day can be swapped for as many other open ones of the same
    total."""
    paid = data.draw(st.sets(st.integers(0, len(drawn) - 1), min_size=1, max_size=4))
    ids = [f"I{i}" for i in range(len(drawn))]
    invoices = _invoices(
        *((ids[i], "C1", f"{a}.00", "", issued) for i, (a, issued, _) in enumerate(drawn))
    )
    payments: list[tuple[str, str, str, str | None, int]] = [
        ("P", "C1", f"{sum(drawn[i][0] for i in paid)}.00", None, 0)
    ]
    pairs = [("P", ids[i]) for i in sorted(paid)]
    for i, (_, _, settled) in enumerate(drawn):
        if settled is not None and i not in paid:
            payments.append((f"Q{i}", "C1", f"{drawn[i][0]}.00", f"INV-{1000 + i}", settled))
            pairs.append((f"Q{i}", ids[i]))
    # Another payment settles an invoice only when this one did not pay it.
    open_now = [
        i
        for i, (_, issued, settled) in enumerate(drawn)
        if issued >= 0 and (settled is None or i in paid)
    ]
    own = [drawn[i][0] for i in paid if i in open_now]
    others = [drawn[i][0] for i in open_now if i not in paid]
    swappable = any(
        sum(a) == sum(b)
        for size in (1, 2)
        for a in combinations(own, size)
        for b in combinations(others, size)
    )
    found = _undecided(_payments(*payments), invoices, _truth(*pairs))
    assert ("P" in found) == swappable
