"""Turning ranked match candidates into allocations, never spending money twice.

Candidates arrive best first. Each is one payment and one invoice, one payment and
several invoices, or several payments and one invoice. A candidate whose amounts *fit*
(equal, rounding, discount, fee, tolerance) settles its members completely, only while
every member is still untouched and only when its money reaches every member; a partial
or over-payment candidate takes what is left on both sides. No allocation ever exceeds
what remains of a payment or of an invoice, so the sums per payment and per invoice
never exceed the originals.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Candidates:
    """Ranked candidates, best first, with their members laid out flat.

    Members of candidate ``k`` are ``member_payment[start[k]:start[k + 1]]`` paired with
    ``member_invoice[...]`` (for one payment to several invoices the payment repeats,
    oldest invoice first). ``fits[k]`` says whether the amounts settle the members.
    """

    candidate: list[int]
    fits: list[bool]
    start: list[int]
    member_payment: list[int]
    member_invoice: list[int]


@dataclass
class Allocations:
    """What the allocation produced, one entry per (candidate, payment, invoice)."""

    candidate: list[int] = field(default_factory=list)
    payment: list[int] = field(default_factory=list)
    invoice: list[int] = field(default_factory=list)
    cents: list[int] = field(default_factory=list)
    write_off_cents: list[int] = field(default_factory=list)
    complete: list[bool] = field(default_factory=list)

    def add(self, cand: int, pay: int, inv: int, cents: int, write_off: int, whole: bool) -> None:
        self.candidate.append(cand)
        self.payment.append(pay)
        self.invoice.append(inv)
        self.cents.append(cents)
        self.write_off_cents.append(write_off)
        self.complete.append(whole)


def allocate(
    candidates: Candidates,
    payment_left: list[int],
    invoice_left: list[int],
    payment_amount: list[int],
    invoice_amount: list[int],
) -> Allocations:
    """Walk the candidates best first and allocate; ``*_left`` are updated in place.

    Write-offs are signed: positive when an invoice is settled for less than it is open
    (fee, discount, short rounding), negative when a payment exceeds what it settles
    within tolerance.
    """
    out = Allocations()
    start = candidates.start
    members_p = candidates.member_payment
    members_i = candidates.member_invoice
    for k, cand in enumerate(candidates.candidate):
        lo, hi = start[k], start[k + 1]
        if hi - lo == 1:
            p, i = members_p[lo], members_i[lo]
            if candidates.fits[k]:
                if payment_left[p] != payment_amount[p] or invoice_left[i] != invoice_amount[i]:
                    continue
                paid, owed = payment_amount[p], invoice_amount[i]
                cents = min(paid, owed)
                out.add(cand, p, i, cents, owed - paid, True)
                payment_left[p] = 0
                invoice_left[i] = 0
            else:
                cents = min(payment_left[p], invoice_left[i])
                if cents <= 0:
                    continue
                whole = cents == min(payment_amount[p], invoice_amount[i])
                out.add(cand, p, i, cents, 0, whole)
                payment_left[p] -= cents
                invoice_left[i] -= cents
            continue
        pays = members_p[lo:hi]
        invs = members_i[lo:hi]
        if any(payment_left[p] != payment_amount[p] for p in pays) or any(
            invoice_left[i] != invoice_amount[i] for i in invs
        ):
            continue
        if pays[0] == pays[-1] and len(set(pays)) == 1:
            pay = pays[0]
            for inv, cents, short in _settle_group(pay, invs, payment_left, invoice_left):
                out.add(cand, pay, inv, cents, short, True)
        else:
            inv = invs[0]
            for pay, cents, short in _settle_group(inv, pays, invoice_left, payment_left):
                out.add(cand, pay, inv, cents, -short, True)
    return out


def _settle_group(
    one: int, members: list[int], one_left: list[int], member_left: list[int]
) -> list[tuple[int, int, int]]:
    """`one` payment spent on its invoices, or `one` invoice paid off by its payments
    (`members`, in order, by `_spread`): each member with the cents it gets and the
    shortfall left on it, and both sides settled in `*_left`; none, and nothing settled,
    when the money does not reach every member."""
    shares = _spread(one_left[one], [member_left[m] for m in members])
    if not _reaches_every_part(shares):
        return []
    one_left[one] = 0
    for member in members:
        member_left[member] = 0
    return [(m, cents, short) for m, (cents, short) in zip(members, shares, strict=True)]


def _reaches_every_part(shares: list[tuple[int, int]]) -> bool:
    """A group whose money runs out before its last member does not pay that member: it is
    not this group (a smaller candidate further down explains the money better), and an
    allocation of nothing with the whole member written off would settle it unpaid."""
    return all(cents > 0 for cents, _ in shares)


def _spread(total: int, parts: list[int]) -> list[tuple[int, int]]:
    """`total` spent on `parts` in order: for each part, the cents it gets and the shortfall
    left on it; what is left of `total` after the last part comes off that part's
    shortfall (below zero when `total` exceeds the parts). Settling one payment the parts
    are its invoices and the shortfall is the write-off; settling one invoice the parts
    are its payments and the write-off is the shortfall negated."""
    shares = []
    remaining = total
    for part in parts:
        cents = min(remaining, part)
        remaining -= cents
        shares.append((cents, part - cents))
    if shares:
        cents, short = shares[-1]
        shares[-1] = (cents, short - remaining)
    return shares
