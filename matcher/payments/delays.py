"""How late this book's payers pay, learned from its surest matches, to tell twins apart.

Two open invoices of one payer for the same amount ("twins": a subscription, a repeat
order) and a payment of that amount naming neither: the amounts cannot say which it
settles. The dates can. A payment 20 days after one invoice's due date and 80 days
after the other's is far likelier for the first when this book's payers mostly pay
within a month of the due date, and as likely for either when they pay anywhere in
their terms. How likely each lateness is comes from the data at hand, not from a
guess: the automatic matches of the first pass (a reference naming the invoice, the
amount exact, no rival) are the payments whose invoices are known, and their days past
the due date make a histogram, smoothed over a week. A one-pair candidate then costs
minus the log of how often payments come as late as it would be; among candidates
equal on everything the ranking reads before it (score, amounts fitting, payment date,
members), the cheaper goes first, and on equal costs the oldest invoice still does.

Once an invoice is overdue its lateness says little: a payer clearing overdue items
pays the oldest, whatever their age. So every day past the due date costs the same,
what the likeliest of them costs: of two overdue twins the oldest goes first, as a clerk
applying cash would put it, and an invoice not yet due is preferred to an overdue one
only where payments this early are commoner than on any day past due.

With fewer than `MatchConfig.min_sure_matches` such matches (50 by default) nothing is
learned and twins go oldest first: a small book's histogram would be noise. None turns
the learning off.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

EARLIEST, LATEST = -150, 250
"""Days past the due date the histogram holds; earlier or later counts at its ends."""

SMOOTHING_DAYS = 7
"""Width of the moving average over the daily counts: payers pay in weekly rhythms
(a payment run on Fridays), not on exactly the same day."""

PRIOR_COUNT = 0.1
"""Added to every smoothed day, so that a lateness never seen costs much, not infinitely."""

COST_STEPS = 20
"""Costs are integers, for the ranking's packed keys: minus the natural log of the
probability, times this (two latenesses whose likelihoods differ by 5 % or less tie)."""


@dataclass(frozen=True)
class PaymentDelays:
    """Per day past the due date (``EARLIEST`` .. ``LATEST``), the integer cost of a
    payment that late; and the payments' and invoices' days, by row number."""

    costs: np.ndarray
    p_day: np.ndarray
    due_day: np.ndarray

    def cost(self, pay: np.ndarray, inv: np.ndarray) -> np.ndarray:
        """The cost of each (payment, invoice) pair, by row numbers."""
        late = self.p_day[pay] - self.due_day[inv]
        return np.asarray(self.costs[np.clip(late, EARLIEST, LATEST) - EARLIEST])


def learned_delays(
    pays: pl.DataFrame, invs: pl.DataFrame, pay: np.ndarray, inv: np.ndarray, minimum: int | None
) -> PaymentDelays | None:
    """What the surest matches, payments ``pay`` of invoices ``inv`` (row numbers, as
    `ranking.sure_pairs` gives them), say of lateness; None with fewer than ``minimum``
    (`MatchConfig.min_sure_matches`), or when it is None."""
    if minimum is None or pay.size < minimum:
        return None
    p_day = pays["p_day"].to_numpy().astype(np.int64)
    due_day = invs["due_day"].to_numpy().astype(np.int64)
    late = p_day[pay] - due_day[inv]
    days = LATEST - EARLIEST + 1
    counts = np.bincount(np.clip(late, EARLIEST, LATEST) - EARLIEST, minlength=days)
    window = np.ones(SMOOTHING_DAYS) / SMOOTHING_DAYS
    smoothed = np.convolve(counts.astype(float), window, mode="same") + PRIOR_COUNT
    costs = np.rint(-np.log(smoothed / smoothed.sum()) * COST_STEPS).astype(np.int64)
    # Past the due date every day costs as the likeliest of them: a payer clearing
    # overdue items pays the oldest, so among overdue twins the oldest still goes first.
    overdue = costs[1 - EARLIEST :]
    overdue[:] = overdue.min()
    return PaymentDelays(costs, p_day, due_day)
