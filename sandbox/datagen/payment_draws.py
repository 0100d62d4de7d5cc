"""The random draws behind the labelled payment data: events, invoices and payments as
numpy arrays, with the noise of `PaymentNoise`.

One generator draws everything in a fixed order (`draw_events`, `draw_invoices`,
`draw_payments`, `pay_oldest_items` from a generator spawned from it, then the frames
in `sandbox.datagen.payments`): reordering any draw changes every data set, so a seed
no longer gives the data it gave before.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from sandbox.datagen.payment_kinds import (
    DISCOUNT_TERMS,
    TERMS_DISCOUNT_DAYS,
    TERMS_DUE_DAYS,
    TERMS_RATE,
    CustomerDraw,
    deductions,
    draw_customers,
    draw_rates,
    foreign_amounts,
    terms_discount_cents,
    wire_fees,
)

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
    "terms_discount",
    "deduction",
    "remittance",
    "statement",
    "parent",
    "foreign",
    "bank_fee",
)
"""What a payment event is: how many payments for how many invoices, with what amounts.

The last seven are how customers really pay: a discount taken by the invoice's terms
code (sometimes after its date), a short payment with a deduction or chargeback, one
remittance naming several invoices with slips in the numbers, one payment for several
invoices with no usable reference, a parent company paying its subsidiaries'
invoices, a receipt in another currency than the invoice, and wire fees taken off
the top."""
SEVERAL_INVOICES = ("combined", "remittance", "statement", "parent")
SCENARIO_CODES = {name: i for i, name in enumerate(SCENARIOS)}

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
    """How often each kind of noise occurs (probabilities; each group sums to 1).

    ``scenario`` follows `SCENARIOS`; kinds left off its end never occur.
    ``oldest_items`` is the share of statement payers who pay their oldest open items
    rather than invoices they picked: most customers paying without a remittance pay
    their statement balance or their overdue items oldest first (and accounting
    packages apply an unallocated receipt oldest first by default); the rest pay the
    invoices their approval run released, which may be any of them."""

    scenario: tuple[float, ...] = (
        0.51,  # single
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
        0.025,  # terms_discount
        0.02,  # deduction
        0.02,  # remittance
        0.025,  # statement
        0.02,  # parent
        0.02,  # foreign
        0.02,  # bank_fee
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
    oldest_items: float = 0.6


def _round_half_up(values: np.ndarray) -> np.ndarray:
    return np.floor(values + 0.5).astype(np.int64)


@dataclass(frozen=True)
class EventDraw:
    """What happens, event by event: its scenario, the customer, how many payments and
    invoices it has; and each customer's currency and how often it trades."""

    kind: np.ndarray
    pays_per: np.ndarray
    invs_per: np.ndarray
    customer: np.ndarray
    customer_weights: np.ndarray
    customer_currency: np.ndarray
    customers: CustomerDraw
    rates: np.ndarray

    @property
    def size(self) -> int:
        return int(self.kind.size)

    @property
    def first_pay(self) -> np.ndarray:
        """The row of each event's first payment: an event's payments are consecutive."""
        return _run_starts(self.pays_per)

    @property
    def first_inv(self) -> np.ndarray:
        """The row of each event's first invoice, as drawn (before `pay_oldest_items`)."""
        return _run_starts(self.invs_per)


def _run_starts(lengths: np.ndarray) -> np.ndarray:
    return np.cumsum(lengths, dtype=np.int64) - lengths


@dataclass(frozen=True)
class InvoiceDraw:
    """Invoices as arrays: first those drawn for the events (`event` >= 0), then the
    unpaid ones (`event` -1), until statement payers who pay their oldest items take
    some of the unpaid ones for their own (`pay_oldest_items`, which returns a new
    draw)."""

    event: np.ndarray
    customer: np.ndarray
    cents: np.ndarray
    issue_day: np.ndarray
    terms: np.ndarray
    seq: np.ndarray
    sage_style: np.ndarray
    terms_code: np.ndarray


@dataclass(frozen=True)
class PaymentDraw:
    """Payments as arrays: the event each is part of, its place in it (`j`), and what the
    payer did: who, how much, on which day, with which reference style."""

    event: np.ndarray
    j: np.ndarray
    kind: np.ndarray
    customer: np.ndarray
    cp_missing: np.ndarray
    cents: np.ndarray
    day: np.ndarray
    style: np.ndarray
    currency: np.ndarray


def draw_events(n_payments: int, noise: PaymentNoise, rng: np.random.Generator) -> EventDraw:
    """Events until their payments add up to `n_payments`, each for a customer."""
    n_events = max(1, n_payments)
    n_customers = max(5, n_payments // 8)
    shares = np.zeros(len(SCENARIOS))
    shares[: len(noise.scenario)] = noise.scenario
    kind = rng.choice(len(SCENARIOS), size=n_events, p=shares)
    pays_per = np.where(
        kind == SCENARIO_CODES["split"],
        rng.integers(2, 4, n_events),
        np.where(kind == SCENARIO_CODES["duplicate"], 2, 1),
    )
    cum = np.cumsum(pays_per)
    last = int(np.searchsorted(cum, n_payments))
    last = min(last, n_events - 1)
    kind, pays_per = kind[: last + 1], pays_per[: last + 1]
    overshoot = int(pays_per.sum()) - n_payments
    if overshoot > 0:
        pays_per[-1] -= overshoot
        if pays_per[-1] < 2:
            kind[-1] = SCENARIO_CODES["single"]
            pays_per[-1] = 1
    n_events = kind.size
    several = np.isin(kind, [SCENARIO_CODES[k] for k in SEVERAL_INVOICES])
    invs_per = np.where(
        several,
        np.where(kind == SCENARIO_CODES["combined"], rng.integers(2, 5, n_events), 0)
        + np.where(kind != SCENARIO_CODES["combined"], rng.integers(2, 7, n_events), 0),
        np.where(kind == SCENARIO_CODES["noise"], 0, 1),
    )
    weights = 1.0 / np.arange(1, n_customers + 1) ** 0.7
    weights = weights / weights.sum()
    customer = rng.choice(n_customers, size=n_events, p=weights)
    currency_draw = rng.random(n_customers)
    customer_currency = np.where(
        currency_draw < noise.foreign_currency_customers * 0.7,
        1,
        np.where(currency_draw < noise.foreign_currency_customers, 2, 0),
    )
    customers = draw_customers(n_customers, rng)
    # A parent pays for its group; a subsidiary trades in its parent's currency.
    parent_events = kind == SCENARIO_CODES["parent"]
    owners = customers.parents
    customer[parent_events] = owners[rng.integers(0, owners.size, int(parent_events.sum()))]
    has_parent = customers.parent >= 0
    customer_currency[has_parent] = customer_currency[customers.parent[has_parent]]
    # A customer that takes its terms discount has terms that offer one.
    takers = customer[kind == SCENARIO_CODES["terms_discount"]]
    plain = takers[TERMS_RATE[customers.terms[takers]] == 0]
    customers.terms[plain] = rng.choice(DISCOUNT_TERMS, size=plain.size)
    return EventDraw(
        kind, pays_per, invs_per, customer, weights, customer_currency, customers, draw_rates(rng)
    )


def draw_invoices(
    events: EventDraw, n_payments: int, noise: PaymentNoise, rng: np.random.Generator
) -> InvoiceDraw:
    """The invoices of the events, then the unpaid ones; numbered in issue order."""
    inv_event = np.repeat(np.arange(events.size), events.invs_per)
    n_unpaid = round(noise.unpaid_invoices * n_payments)
    n_customers = events.customer_weights.size
    event_customer = events.customer[inv_event]
    for_parent = events.kind[inv_event] == SCENARIO_CODES["parent"]
    event_customer[for_parent] = events.customers.subsidiaries_of(event_customer[for_parent], rng)
    inv_customer = np.concatenate(
        [event_customer, rng.choice(n_customers, size=n_unpaid, p=events.customer_weights)]
    )
    n_inv = inv_customer.size
    amount = np.maximum(500, _round_half_up(rng.lognormal(np.log(40_000), 1.1, n_inv)))
    whole = rng.random(n_inv) < 0.15
    amount = np.where(whole, np.maximum(100, (amount // 100) * 100), amount)
    event_issue = rng.integers(0, 365, events.size)
    combined = np.isin(events.kind[inv_event], [SCENARIO_CODES[k] for k in SEVERAL_INVOICES])
    inv_issue = np.concatenate(
        [
            event_issue[inv_event] - np.where(combined, rng.integers(0, 60, inv_event.size), 0),
            rng.integers(0, 365, n_unpaid),
        ]
    )
    terms_code = events.customers.terms[inv_customer]
    terms = TERMS_DUE_DAYS[terms_code]
    _repeat_amounts(amount, inv_customer, inv_issue, noise.lookalike_invoices, rng)
    # Numbers follow issue order, as an invoice sequence does.
    seq = np.empty(n_inv, dtype=np.int64)
    seq[np.lexsort((rng.random(n_inv), inv_issue))] = np.arange(n_inv) + 1001
    sage_style = rng.random(n_inv) < 0.3
    unpaid = np.full(n_unpaid, -1)
    return InvoiceDraw(
        np.concatenate([inv_event, unpaid]),
        inv_customer,
        amount,
        inv_issue,
        terms,
        seq,
        sage_style,
        terms_code,
    )


def _repeat_amounts(
    amount: np.ndarray,
    customer: np.ndarray,
    issue_day: np.ndarray,
    share: float,
    rng: np.random.Generator,
) -> None:
    """Lookalikes, in place: a customer's invoice that repeats the amount of its previous
    one (for about `share` of the invoices that have a previous one)."""
    by_customer = np.lexsort((issue_day, customer))
    same_prev = np.zeros(amount.size, dtype=bool)
    same_prev[1:] = customer[by_customer][1:] == customer[by_customer][:-1]
    copy = same_prev & (rng.random(amount.size) < share)
    sorted_amount = amount[by_customer]
    sorted_amount[1:] = np.where(copy[1:], sorted_amount[:-1], sorted_amount[1:])
    amount[by_customer] = sorted_amount


@dataclass(frozen=True)
class _Slots:
    """Each payment's event, its place in the event, and the one draw that decides both
    how much of the event it pays and how late."""

    event: np.ndarray
    j: np.ndarray
    draw: np.ndarray


def draw_payments(
    events: EventDraw, invoices: InvoiceDraw, noise: PaymentNoise, rng: np.random.Generator
) -> PaymentDraw:
    """Each event's payments: amounts, days and reference styles as its scenario has them."""
    pay_event = np.repeat(np.arange(events.size), events.pays_per)
    pay_j = np.arange(pay_event.size) - events.first_pay[pay_event]
    slots = _Slots(pay_event, pay_j, rng.random(pay_event.size))
    paid = _amounts_paid(events, invoices, slots, noise, rng)
    day, customer, original = _payment_days(events, invoices, slots, noise, rng)
    cp_missing, style = _reference_styles(pay_event.size, original, noise, rng)
    paid, currency = _paid_in_other_currency(events, slots, paid, day, customer, rng)
    return PaymentDraw(
        event=pay_event,
        j=pay_j,
        kind=events.kind[pay_event],
        customer=customer,
        cp_missing=cp_missing,
        cents=paid,
        day=day,
        style=style,
        currency=currency,
    )


def _event_totals(events: EventDraw, invoices: InvoiceDraw) -> np.ndarray:
    """Cents each event's invoices come to."""
    paid = invoices.event >= 0
    total = np.bincount(invoices.event[paid], weights=invoices.cents[paid], minlength=events.size)
    return np.rint(total).astype(np.int64)


def pay_oldest_items(
    events: EventDraw,
    invoices: InvoiceDraw,
    payments: PaymentDraw,
    noise: PaymentNoise,
    rng: np.random.Generator,
) -> tuple[InvoiceDraw, PaymentDraw]:
    """The invoices and payments once statement payers who pay their oldest open items
    have taken theirs: about ``noise.oldest_items`` of the customers pay their
    statements so (a habit of the customer's payables process, not of one payment), and
    each of their statement events pays as many invoices as it has, the customer's
    oldest (by number on the same day) among its never-paid invoices and those of its
    statement events, for their total. Events are taken in payment order, each paying
    the oldest its customer still has open: the invoices drawn for these events are all
    issued by their days, so each event finds as many as it pays, all issued by its day;
    and no invoice left unpaid is older than what an event paid. Invoices that other
    events pay later are not in the pool, though still open on the statement's day: a
    payer's "oldest open items" are those no other payment settles. Only which event an
    invoice belongs to changes, and the amounts of these statements (no invoice moves;
    a statement is paid in its invoices' currency, so there is no conversion to redo).

    Called after `draw_payments`, with a generator of its own (``rng.spawn``), so every
    other draw of a seed is what it was without it. After it, an event's invoices are no
    longer the first ones (`InvoiceDraw.event` says which are)."""
    statement = np.flatnonzero(events.kind == SCENARIO_CODES["statement"])
    by_oldest = rng.random(events.customer_weights.size) < noise.oldest_items
    chosen = statement[by_oldest[events.customer[statement]]]
    if chosen.size == 0:
        return invoices, payments
    first_inv, first_pay = events.first_inv, events.first_pay
    # The invoices drawn for these events, and the unpaid ones of their customers.
    places = np.concatenate([first_inv[ev] + np.arange(events.invs_per[ev]) for ev in chosen])
    unpaid = np.flatnonzero(invoices.event < 0)
    unpaid = unpaid[np.isin(invoices.customer[unpaid], events.customer[chosen])]
    pool = np.concatenate([places, unpaid])
    # Each customer's open items, oldest first; each event takes the next ones.
    pool = pool[np.lexsort((invoices.seq[pool], invoices.issue_day[pool]))]
    open_items: dict[int, list[int]] = {}
    for row in pool.tolist():
        open_items.setdefault(int(invoices.customer[row]), []).append(row)
    taken_by = {customer: 0 for customer in open_items}
    event = invoices.event.copy()
    event_day = payments.day[first_pay]
    for ev in chosen[np.argsort(event_day[chosen], kind="stable")].tolist():
        customer, count = int(events.customer[ev]), int(events.invs_per[ev])
        start = taken_by[customer]
        event[open_items[customer][start : start + count]] = ev
        taken_by[customer] = start + count
    left = [row for customer, rows in open_items.items() for row in rows[taken_by[customer] :]]
    event[left] = -1
    invoices = replace(invoices, event=event)
    oldest = np.zeros(events.size, dtype=bool)
    oldest[chosen] = True
    pays_oldest = oldest[payments.event]
    cents = np.where(pays_oldest, _event_totals(events, invoices)[payments.event], payments.cents)
    return invoices, replace(payments, cents=cents)


def _paid_in_other_currency(
    events: EventDraw,
    slots: _Slots,
    paid: np.ndarray,
    day: np.ndarray,
    customer: np.ndarray,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray]:
    """Foreign receipts: a pound invoice paid in euros or dollars, any other in pounds."""
    owed_currency = events.customer_currency[customer]
    foreign = events.kind[slots.event] == SCENARIO_CODES["foreign"]
    other = np.where(owed_currency == 0, np.where(rng.random(paid.size) < 0.7, 1, 2), 0)
    currency = np.where(foreign, other, owed_currency)
    converted = foreign_amounts(paid, owed_currency, currency, day, events.rates, rng)
    return np.where(foreign, converted, paid), currency


def _amounts_paid(
    events: EventDraw,
    invoices: InvoiceDraw,
    slots: _Slots,
    noise: PaymentNoise,
    rng: np.random.Generator,
) -> np.ndarray:
    """Cents each payment pays: its event's total, split, cut, topped up or made up."""
    pay_event, pay_j, draw = slots.event, slots.j, slots.draw
    n_pay, pays_per = pay_event.size, events.pays_per[pay_event]
    pay_kind = events.kind[pay_event]
    total = _event_totals(events, invoices)[pay_event]
    paid = total.copy()
    # Split: random shares, the last payment takes the rest.
    share = rng.random(n_pay) + 0.3
    share_sum = np.bincount(pay_event, weights=share, minlength=events.size)[pay_event]
    part = np.floor(total * share / share_sum).astype(np.int64)
    part = np.where(rng.random(n_pay) < 0.5, np.maximum(100, (part // 100) * 100), part)
    part = np.minimum(part, total - (pays_per - 1 - pay_j))
    is_split = pay_kind == SCENARIO_CODES["split"]
    split_before = np.bincount(
        pay_event,
        weights=np.where(is_split & (pay_j < pays_per - 1), part, 0),
        minlength=events.size,
    )
    split_last = total - np.rint(split_before[pay_event]).astype(np.int64)
    paid = np.where(is_split, np.where(pay_j == pays_per - 1, split_last, part), paid)
    partial = np.maximum(100, _round_half_up(total * (0.2 + 0.6 * draw)))
    partial = np.where(rng.random(n_pay) < 0.5, (partial // 100) * 100, partial)
    paid = np.where(pay_kind == SCENARIO_CODES["partial"], np.minimum(partial, total - 1), paid)
    over = total + np.maximum(100, _round_half_up(total * (0.01 + 0.1 * draw)))
    paid = np.where(pay_kind == SCENARIO_CODES["over"], over, paid)
    fee_rate = rng.choice(np.asarray(noise.card_fee_rates), size=n_pay)
    paid = np.where(
        pay_kind == SCENARIO_CODES["card_fee"], total - _round_half_up(total * fee_rate), paid
    )
    charge = _round_half_up(rng.choice(np.asarray(noise.bank_charges), size=n_pay) * 100)
    paid = np.where(
        (pay_kind == SCENARIO_CODES["bank_charge"]) & (total > 10 * charge), total - charge, paid
    )
    paid = np.where(
        pay_kind == SCENARIO_CODES["discount"],
        total - _round_half_up(total * noise.discount_rate),
        paid,
    )
    rounded = _round_half_up(total / 100) * 100
    paid = np.where(pay_kind == SCENARIO_CODES["rounding"], np.maximum(100, rounded), paid)
    noise_amount = np.maximum(100, _round_half_up(rng.lognormal(np.log(30_000), 1.2, n_pay)))
    paid = np.where(pay_kind == SCENARIO_CODES["noise"], noise_amount, paid)
    return _real_world_amounts(events, invoices, slots, total, paid, rng)


def _event_terms(events: EventDraw, invoices: InvoiceDraw) -> np.ndarray:
    """Each event's terms code: its first invoice's (code 0 for an event without one)."""
    if invoices.terms_code.size == 0:
        return np.zeros(events.size, dtype=np.int64)
    first = invoices.terms_code[np.minimum(events.first_inv, invoices.terms_code.size - 1)]
    return np.where(events.invs_per > 0, first, 0)


def _real_world_amounts(
    events: EventDraw,
    invoices: InvoiceDraw,
    slots: _Slots,
    total: np.ndarray,
    paid: np.ndarray,
    rng: np.random.Generator,
) -> np.ndarray:
    """Discounts by the invoice's terms, deductions, and wire fees off the top (the
    several-invoice kinds pay their total; foreign receipts are converted later)."""
    pay_kind = events.kind[slots.event]
    terms = _event_terms(events, invoices)[slots.event]
    taken = terms_discount_cents(total, terms)
    paid = np.where(pay_kind == SCENARIO_CODES["terms_discount"], total - taken, paid)
    kept = deductions(np.maximum(total, 200), rng)
    paid = np.where(pay_kind == SCENARIO_CODES["deduction"], total - kept, paid)
    fee = wire_fees(total.size, rng)
    return np.where(
        (pay_kind == SCENARIO_CODES["bank_fee"]) & (total > 10 * fee), total - fee, paid
    )


def _payment_days(
    events: EventDraw,
    invoices: InvoiceDraw,
    slots: _Slots,
    noise: PaymentNoise,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(day, customer) of each payment, and the rows whose bank line is seen twice."""
    pay_event, pay_j, draw = slots.event, slots.j, slots.draw
    n_pay, pay_kind = pay_event.size, events.kind[pay_event]
    paid = invoices.event >= 0
    newest_issue = np.full(events.size, -(10**6), dtype=np.int64)
    np.maximum.at(newest_issue, invoices.event[paid], invoices.issue_day[paid])
    first_inv = events.first_inv
    # An event's terms are those of its first invoice; a lone noise event has none at all.
    first_terms = (
        invoices.terms[np.minimum(first_inv, invoices.terms.size - 1)]
        if invoices.terms.size
        else np.full(events.size, 30)
    )
    event_terms = np.where(events.invs_per > 0, first_terms, 30)[pay_event]
    delay = np.where(
        draw < 0.7,
        rng.integers(0, 1 + event_terms),
        np.where(
            draw < 0.95,
            event_terms + rng.integers(0, 60, n_pay),
            event_terms + rng.integers(60, 150, n_pay),
        ),
    )
    delay = np.where(
        pay_kind == SCENARIO_CODES["discount"],
        rng.integers(0, noise.discount_days + 1, n_pay),
        delay,
    )
    # By the terms: mostly inside the discount days, one in five a little after them.
    discount_days = TERMS_DISCOUNT_DAYS[_event_terms(events, invoices)][pay_event]
    in_time = rng.random(n_pay) < 0.8
    delay = np.where(
        pay_kind == SCENARIO_CODES["terms_discount"],
        np.where(
            in_time,
            rng.integers(0, discount_days + 1),
            discount_days + rng.integers(1, 21, n_pay),
        ),
        delay,
    )
    delay = delay + np.where(
        pay_kind == SCENARIO_CODES["split"], pay_j * rng.integers(5, 30, n_pay), 0
    )
    # A duplicate is the same bank line seen again a few days later.
    duplicate = (pay_kind == SCENARIO_CODES["duplicate"]) & (pay_j == 1)
    original = np.flatnonzero(duplicate) - 1
    delay[original + 1] = delay[original] + rng.integers(1, 4, original.size)
    is_noise = pay_kind == SCENARIO_CODES["noise"]
    day = np.where(is_noise, rng.integers(0, 420, n_pay), newest_issue[pay_event] + delay)
    n_customers = events.customer_weights.size
    customer = np.where(is_noise, rng.integers(0, n_customers, n_pay), events.customer[pay_event])
    return day, customer, original


def _reference_styles(
    n_pay: int, original: np.ndarray, noise: PaymentNoise, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """(counterparty missing, reference style) of each payment; a duplicate bank line
    repeats its original's."""
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
    return cp_missing, style


def typo_numbers(seq: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Each number with one slip: a digit swapped with its neighbour, or mistyped."""
    width = np.floor(np.log10(seq)).astype(np.int64) + 1
    pos = rng.integers(0, np.maximum(width - 1, 1))  # 0 = units digit
    low = (seq // 10**pos) % 10
    high = (seq // 10 ** (pos + 1)) % 10
    swapped = seq + (high - low) * 10**pos + (low - high) * 10 ** (pos + 1)
    mistyped = seq + (((low + rng.integers(1, 10, seq.size)) % 10) - low) * 10**pos
    return np.where((high != low) & (rng.random(seq.size) < 0.5), swapped, mistyped)
