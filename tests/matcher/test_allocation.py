"""Allocation's own contract: money is never spent twice, and a group pays every member."""

from __future__ import annotations

from matcher.allocation import Candidates, allocate


def test_a_group_whose_money_runs_out_before_its_last_member_gives_way() -> None:
    # Candidate 0: payment 0 for invoices 0 and 1 (100.00 and 0.01) within tolerance, so
    # the payment would run out on invoice 0 and invoice 1 would be settled unpaid.
    # Candidate 1: payment 0 for invoice 0 alone.
    candidates = Candidates(
        candidate=[0, 1],
        fits=[True, True],
        start=[0, 2, 3],
        member_payment=[0, 0, 0],
        member_invoice=[0, 1, 0],
    )
    payment_left, invoice_left = [10_000], [10_000, 1]
    out = allocate(candidates, payment_left, invoice_left, [10_000], [10_000, 1])
    assert list(zip(out.candidate, out.invoice, out.cents, strict=True)) == [(1, 0, 10_000)]
    assert payment_left == [0] and invoice_left == [0, 1]


def test_several_payments_for_one_invoice_each_pay_some_of_it() -> None:
    # Payments 0 and 1 (100.00 and 0.02) for invoice 0 (100.00): the second pays nothing.
    candidates = Candidates(
        candidate=[0], fits=[True], start=[0, 2], member_payment=[0, 1], member_invoice=[0, 0]
    )
    payment_left, invoice_left = [10_000, 2], [10_000]
    out = allocate(candidates, payment_left, invoice_left, [10_000, 2], [10_000])
    assert out.cents == []
    assert payment_left == [10_000, 2] and invoice_left == [10_000]


def test_a_group_that_reaches_every_member_writes_the_shortfall_off_the_last() -> None:
    candidates = Candidates(
        candidate=[0], fits=[True], start=[0, 2], member_payment=[0, 0], member_invoice=[0, 1]
    )
    out = allocate(candidates, [9_900], [6_000, 4_000], [9_900], [6_000, 4_000])
    assert list(zip(out.invoice, out.cents, out.write_off_cents, strict=True)) == [
        (0, 6_000, 0),
        (1, 3_900, 100),
    ]


def test_payments_that_together_settle_one_invoice_write_its_difference_off_the_last() -> None:
    # The mirror of the group above: two payments for one invoice, 1.00 short, then 1.00
    # over (the last payment applies only what the invoice still owes).
    candidates = Candidates(
        candidate=[0], fits=[True], start=[0, 2], member_payment=[0, 1], member_invoice=[0, 0]
    )
    short = allocate(candidates, [6_000, 3_900], [10_000], [6_000, 3_900], [10_000])
    assert list(zip(short.payment, short.cents, short.write_off_cents, strict=True)) == [
        (0, 6_000, 0),
        (1, 3_900, 100),
    ]
    over = allocate(candidates, [6_000, 4_100], [10_000], [6_000, 4_100], [10_000])
    assert list(zip(over.payment, over.cents, over.write_off_cents, strict=True)) == [
        (0, 6_000, 0),
        (1, 4_000, -100),
    ]
