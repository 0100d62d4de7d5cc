"""Pairing payments with open invoices: which payment settles which invoice, and how sure.

`match_payments(payments, invoices, config)` takes two polars frames:

payments
    ``payment_id`` str, ``counterparty_id`` str (nullable: an unidentified bank line),
    ``amount`` Decimal, float or int (money units, not cents), ``currency`` str,
    ``date`` date, ``reference`` str (free text, nullable).
invoices
    ``invoice_id`` str, ``counterparty_id`` str (nullable: an invoice whose customer is
    not known, which only a reference naming it reaches), ``number`` str, ``amount_open``
    Decimal/float/int, ``currency`` str, ``issue_date`` date, ``due_date`` date.

They are `PAYMENT_COLUMNS` and `INVOICE_COLUMNS` (`matcher.payments.inputs`), checked
on entry: a missing or mistyped column is a `PaymentInputError` naming it, and so is
a money value that is no amount (NaN, infinite, beyond Int64 cents; a rate of zero or
less), naming its record too. Extra
columns are ignored. Invoices with nothing open and payments of zero or less
are left out; ids are expected unique (a repeated id keeps its first row). Money is
handled as integer cents (Int64) inside, so the sums are exact; currencies are assumed
to have two decimals (a 0-decimal currency still works, its amounts carry ".00").
Payments and invoices only pair within one currency.

The result has one row per allocation:

``match_id`` str (one per match group; a group may hold several payments or
invoices), ``payment_id``, ``invoice_id``, ``allocated_amount`` Decimal(38, 2) (the
cash of the payment applied to the invoice; never more than the payment or the open
amount), ``write_off_amount`` Decimal(38, 2) (extra: signed difference to write off when
the group settles the invoice for less — fee, discount, rounding — or the payment
exceeds it within tolerance), ``score`` float in [0, 1], ``status`` "auto" or
"suggested", ``rules`` list[str] (which rules fired). Unmatched payments and invoices
do not appear.

How it works: vectorised polars joins find candidates (invoice numbers read from the
reference, exactly, inside free text or one slip away; same counterparty and an amount
that fits exactly, after a discount, after a fee, within rounding or tolerance), each
candidate is scored from the rules that fired (`ScoreWeights`), and the candidates are
allocated best first (on equal scores the earliest payment first, then the fewest
members, then (of groups) the fewest invoices another payment wants too, then the lateness
likelier by this book's surest matches, then the oldest
invoice: `delays`), never spending a payment or an invoice twice
(`matcher.allocation`). A pair found by amount alone whose payer has another open
invoice (or payment) of that amount waits for the subset search, where an earlier
payment's group may settle one of them. What is left is searched per counterparty with a
bounded subset-sum: one payment for several invoices, several payments for one invoice
or for the remaining balance of a partly paid one; and one payment for its payer's
oldest open invoices, however many (up to ``max_oldest_items``), as a customer paying
its statement or its overdue items does. Join candidates weaker than such a group
compete with the groups there, and so does every partly paid invoice's balance with the
untouched payments of exactly that amount from its payer or naming it (`balances`: the
search's pools hold only a payer's most recent items). Once those groups are allocated,
what is still open is searched again (``subset_rounds``). The weakest readings, an
amount near an invoice's with no reference and nothing to explain it (or only a fee or
rounding, outside the date window: `ranking.weakest_readings`), are allocated last,
after every round. A group of several invoices holds what is left of a partly paid one
only when the payment that left it came no later than the group's
(`leftovers.group_evidence`). A match is "auto" only when its score reaches
``auto_threshold``, no rival candidate for any of its payments or invoices scores within
``ambiguity_margin`` of it (so a tie is never auto), and it was allocated in full as
scored. Anything else is "suggested", for review.

More than ``batch_payments`` payments (`MatchConfig`) are matched in batches split where
no candidate can cross: a customer group with its parent's payments and the bank lines
naming it stays in one batch (`batches`). A payment then costs what it costs in a batch
of that size, whatever the size of the book, and two batches at a time are held beside
the prepared frames, matched side by side (``batches_side_by_side``; one at a time
without it). Batches match exactly as one run does, but for the payers' lateness,
learned from each batch's own surest matches.

The modules, in the order a match is made: `config` (rules, weights, tolerances),
`inputs` (columns, cents), `batches` (a large match split), `amounts` (amount
evidence), `joins` (first pass: pairs from `amount_pairs` and `slips`, scored, and
`reference_groups`), `leftovers` (what the first pass left), `subsets` (second pass:
subset-sum), `oldest_items` (second pass: the payer's oldest open items), `balances`
(second pass: what is left of partly paid invoices), `candidates`
(their one shape), `delays` (how late payers pay, learned from the first pass),
`ranking` (best first, allocation, output). `side_by_side` runs independent steps at
once: two (the two sides' preparation; the first pass's pairs by amount beside its other
sources; the subset and oldest-items searches), or the batches, two at a time.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial

import numpy as np
import polars as pl

from matcher.allocation import Allocations
from matcher.payments.balances import balance_candidates
from matcher.payments.batches import batch_counts, batches
from matcher.payments.candidates import CANDIDATE_SCHEMA
from matcher.payments.config import AMOUNT_RELATIONS, RULES, MatchConfig, ScoreWeights
from matcher.payments.currencies import in_invoice_currency
from matcher.payments.delays import learned_delays
from matcher.payments.inputs import (
    INVOICE_COLUMNS,
    OPTIONAL_INVOICE_COLUMNS,
    PAYMENT_COLUMNS,
    RATE_COLUMNS,
    InputColumn,
    PaymentInputError,
    check_inputs,
    prepare_invoices,
    prepare_payments,
    with_codes,
    with_names_own,
)
from matcher.payments.joins import first_pass_candidates
from matcher.payments.leftovers import NOT_PAID, last_paid_day, record_paid_days
from matcher.payments.nearest import NEAREST_SCHEMA, nearest_candidates
from matcher.payments.oldest_items import beside_subsets, oldest_candidates
from matcher.payments.ranking import (
    OUTPUT_SCHEMA,
    allocate_ranked,
    match_rows,
    rank,
    set_aside_twins,
    sure_pairs,
    untouched_only,
    weakest_readings,
)
from matcher.payments.side_by_side import side_by_side, two_at_a_time
from matcher.payments.subsets import subset_candidates

__all__ = [
    "AMOUNT_RELATIONS",
    "INVOICE_COLUMNS",
    "NEAREST_SCHEMA",
    "OPTIONAL_INVOICE_COLUMNS",
    "OUTPUT_SCHEMA",
    "PAYMENT_COLUMNS",
    "RATE_COLUMNS",
    "RULES",
    "InputColumn",
    "MatchConfig",
    "PaymentInputError",
    "ScoreWeights",
    "batch_sizes",
    "match_payments",
    "nearest_candidates",
]


def match_payments(
    payments: pl.DataFrame,
    invoices: pl.DataFrame,
    config: MatchConfig | None = None,
    rates: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """Allocate payments to open invoices; one output row per allocation (see module doc)."""
    cfg = config or MatchConfig()
    pays, invs = _prepared(payments, invoices, cfg, rates)
    if pays.height == 0 or invs.height == 0:
        return pl.DataFrame(schema=OUTPUT_SCHEMA)
    # Whether each payment names its payer's own invoices, which the searches read
    # (`with_names_own`); the split into batches does not, so `batch_sizes` skips it.
    pays = with_names_own(pays, invs)
    size = _batch_size(pays, cfg)
    if size is None:
        return _matched(pays, invs, cfg)
    results = _matched_batches(batches(pays, invs, size), cfg)
    return pl.concat(results) if results else pl.DataFrame(schema=OUTPUT_SCHEMA)


def _matched_batches(
    parts: Iterator[tuple[pl.DataFrame, pl.DataFrame]], cfg: MatchConfig
) -> list[pl.DataFrame]:
    """Each batch matched (`_matched`), in order: two at a time, with
    ``batches_side_by_side`` (`two_at_a_time`), else one after the other."""
    if not cfg.batches_side_by_side:
        return [_matched(p, i, cfg) for p, i in parts]
    return two_at_a_time(partial(_matched, p, i, cfg) for p, i in parts)


def batch_sizes(
    payments: pl.DataFrame,
    invoices: pl.DataFrame,
    config: MatchConfig | None = None,
    rates: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """How `match_payments` splits this book: a row per batch, in the order they are
    matched, with its ``payments`` and ``invoices`` (one row when it is one run; the
    payments and invoices that can reach nothing are in no batch)."""
    cfg = config or MatchConfig()
    pays, invs = _prepared(payments, invoices, cfg, rates)
    schema = pl.Schema({"payments": pl.UInt32(), "invoices": pl.UInt32()})
    if pays.height == 0 or invs.height == 0:
        return pl.DataFrame(schema=schema)
    size = _batch_size(pays, cfg)
    if size is None:
        return pl.DataFrame({"payments": [pays.height], "invoices": [invs.height]}, schema=schema)
    per_payments, per_invoices = batch_counts(pays, invs, size)
    sizes = pl.DataFrame({"payments": per_payments, "invoices": per_invoices}).cast(schema)
    return sizes.filter((pl.col("payments") > 0) & (pl.col("invoices") > 0))


def _batch_size(pays: pl.DataFrame, cfg: MatchConfig) -> int | None:
    """The size of a batch when ``pays`` are more than one (`MatchConfig.batch_payments`);
    None when they are matched in one run."""
    size = cfg.batch_payments
    return size if size is not None and pays.height > size else None


def _prepared(
    payments: pl.DataFrame,
    invoices: pl.DataFrame,
    cfg: MatchConfig,
    rates: pl.DataFrame | None,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Both frames checked and prepared (`matcher.payments.inputs`), payments in their
    invoices' currency where they can be (`matcher.payments.currencies`), with codes."""
    check_inputs(payments, invoices, rates)
    invs, pays = side_by_side(
        partial(prepare_invoices, invoices), partial(prepare_payments, payments)
    )
    pays = in_invoice_currency(pays, invs, rates, cfg)
    if pays.height == 0 or invs.height == 0:
        return pays, invs
    return with_codes(pays, invs)


def _matched(pays: pl.DataFrame, invs: pl.DataFrame, cfg: MatchConfig) -> pl.DataFrame:
    """`match_payments` on prepared frames (`matcher.payments.inputs`), all in one run."""
    payment_amount = pays["cents"].to_list()
    invoice_amount = invs["cents"].to_list()
    payment_left = list(payment_amount)
    invoice_left = list(invoice_amount)

    # Candidates found by joins go first, except those weaker than an exact subset-sum
    # group could be: those wait and compete with the groups on the leftovers.
    w = cfg.weights
    candidates = first_pass_candidates(pays, invs, cfg)
    strong = pl.col("score") >= w.same_counterparty + w.amount_exact + w.date_window - 1e-9
    # So do twins (pairs by amount alone whose payer has another open invoice, or another
    # payment, of that amount: `set_aside_twins`): one of them may be part of a group an
    # earlier payment settled, which only the subset search finds; the earlier payment
    # goes first there.
    first, first_members, twins = set_aside_twins(*rank(candidates.filter(strong), cfg, offset=0))
    first_done = allocate_ranked(
        first, first_members, payment_left, invoice_left, payment_amount, invoice_amount
    )
    passes = [(first, first_done)]
    payment_day = pays["p_day"].to_numpy()
    paid_day = np.full(invs.height, NOT_PAID, dtype=np.int32)
    record_paid_days(paid_day, payment_day, first_done)
    # How late payers pay, from the first pass's surest matches: which of two twins a
    # payment settles, where the amounts cannot say (`matcher.payments.delays`).
    sure = sure_pairs(first, first_done, cfg.auto_threshold)
    delays = learned_delays(pays, invs, *sure, cfg.min_sure_matches)
    waiting = pl.concat([candidates.filter(~strong), twins])
    weak = weakest_readings()
    last, waiting = waiting.filter(weak), waiting.filter(~weak)
    # A twin's payment pays one of its twins, which outrank any group of it at equal
    # score: in the first round it is no target of a group, nor one of several payments.
    twin_pay = pays["pay"].is_in(twins["m_pay"].explode().implode())

    # What is left: untouched payments, and invoices untouched or partly paid (their
    # remaining balance is a target too), searched again after each round of groups
    # (`subset_rounds`): once a payment's invoices are settled, the next payment of that
    # customer looks among what is still open, as a clerk working down a bank statement
    # does. The join candidates that waited compete in the first round; the weakest
    # readings (``last``) have a pass of their own after the last round.
    def allocated(
        found: list[pl.DataFrame], payment_now: list[int], invoice_now: list[int]
    ) -> Allocations:
        """One more pass: ``found`` ranked after every earlier pass's and allocated."""
        offset = sum(ranked.height for ranked, _ in passes)
        ranked, members = rank(pl.concat(found), cfg, offset=offset, delays=delays)
        done = allocate_ranked(
            ranked, members, payment_left, invoice_left, payment_now, invoice_now
        )
        passes.append((ranked, done))
        record_paid_days(paid_day, payment_day, done)
        return done

    for search in range(cfg.subset_rounds):
        payment_now = list(payment_left)
        invoice_now = list(invoice_left)
        remaining = pl.Series("remaining", invoice_now, dtype=pl.Int64)
        untouched_pay = pl.Series(payment_now, dtype=pl.Int64) == pays["cents"]
        untouched_inv = remaining == invs["cents"]
        searched = untouched_pay & ~twin_pay if search == 0 else untouched_pay
        open_invs = invs.with_columns(remaining, last_paid_day(paid_day))
        grouped = beside_subsets(
            *side_by_side(
                partial(subset_candidates, pays, open_invs, cfg, searched, later=search > 0),
                partial(oldest_candidates, pays, open_invs, cfg, searched),
            )
        )
        groups = grouped.select(CANDIDATE_SCHEMA.names()).cast(CANDIDATE_SCHEMA)
        balances = balance_candidates(pays, open_invs, cfg, searched, groups)
        found = [groups, balances.select(CANDIDATE_SCHEMA.names()).cast(CANDIDATE_SCHEMA)]
        if search == 0:
            found.insert(0, untouched_only(waiting, untouched_pay, untouched_inv))
        done = allocated(found, payment_now, invoice_now)
        if not done.candidate and search > 0:
            # Nothing settled, so the next round would search what this one did. (After
            # the first round it would not: later rounds search deeper, and take twins.)
            break
    if last.height:
        untouched_pay = pl.Series(payment_left, dtype=pl.Int64) == pays["cents"]
        untouched_inv = pl.Series(invoice_left, dtype=pl.Int64) == invs["cents"]
        allocated(
            [untouched_only(last, untouched_pay, untouched_inv)],
            list(payment_left),
            list(invoice_left),
        )
    return match_rows(pays, invs, cfg, passes)
