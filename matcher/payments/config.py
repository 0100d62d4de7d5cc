"""The payment matcher's vocabulary and settings: rule names, score weights, tolerances."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

AMOUNT_RELATIONS = (
    "amount_exact",
    "amount_rounding",
    "exchange_rate",
    "terms_discount",
    "early_payment_discount",
    "fee_deducted",
    "amount_within_tolerance",
    "bank_fee",
    "discount_after_date",
    "partial_payment",
    "over_payment",
)
"""How a payment's amount relates to an invoice's open amount, best first."""

RULES = (
    "reference_exact",
    "reference_in_text",
    "reference_fuzzy",
    "same_counterparty",
    "parent_counterparty",
    "counterparty_unknown",
    *AMOUNT_RELATIONS,
    "date_window",
    "combined_payment",
    "split_payment",
    "subset_sum",
    "oldest_open_items",
    "remaining_balance",
    "ambiguous",
)
"""Every rule name that can appear in the ``rules`` column."""

FITTING_RELATIONS = AMOUNT_RELATIONS[:8]
AMOUNT_ONLY_FANOUT = 20
EQUAL_AMOUNT_REACH = 3


@dataclass(frozen=True)
class ScoreWeights:
    """How much each kind of evidence adds to a score (the best case sums to 1)."""

    reference_exact: float = 0.45
    reference_in_text: float = 0.40
    reference_fuzzy: float = 0.25
    same_counterparty: float = 0.25
    counterparty_unknown: float = 0.15
    amount_exact: float = 0.25
    amount_rounding: float = 0.23
    exchange_rate: float = 0.2
    terms_discount: float = 0.23
    early_payment_discount: float = 0.22
    fee_deducted: float = 0.22
    amount_within_tolerance: float = 0.15
    bank_fee: float = 0.2
    discount_after_date: float = 0.12
    partial_payment: float = 0.05
    over_payment: float = 0.05
    date_window: float = 0.05
    oldest_open_items: float = 0.05


@dataclass(frozen=True)
class MatchConfig:
    """Tolerances and thresholds of the payment matcher; the defaults suit GBP trade.

    An amount *fits* an invoice when it is equal; within ``rounding_tolerance`` (and 5 %)
    when the payment is in whole units (the payer rounded), or converted, or within
    ``rounding_pennies`` whatever it is (two systems rounding VAT line by line);
    converted from the payment's currency at the day's rate, within ``fx_tolerance``;
    the open amount less the discount of the invoice's own terms, paid by its discount
    date (plus ``discount_grace_days`` for the bank); less an early-payment discount
    (rate, days after issue) paid in time; less a card fee rate or a fixed bank charge;
    within both ``tolerance_abs`` and ``tolerance_pct`` of the open amount; or short by
    a wire fee from ``min_bank_fee`` to ``max_bank_fee`` (and at most a tenth of the
    invoice) that is a whole multiple of ``bank_fee_unit`` (a bank's tariff is a round
    amount: 12.50 off the top is a fee, 12.37 is a short payment). The difference
    is suggested as a write-off. Anything else with a matching reference is a partial
    or an over-payment.

    A payment counts as in the *date window* of an invoice from ``days_before_issue``
    before its issue date to ``days_after_due`` after its due date. Candidates scoring
    under ``suggest_threshold`` are dropped; ``auto_threshold`` and ``ambiguity_margin``
    decide auto (see the module). Subset-sum groups hold up to ``max_subset_size`` items:
    groups of two or three drawn from ``small_subset_pool`` candidates per target, of
    four from the first ``subset_pool`` of them, of five or more from the first
    ``large_subset_pool`` (the fewer items, the fewer sums there are to coincide by
    chance, so the wider the search can be), and from at most
    ``max_leftovers_per_counterparty`` leftovers per counterparty and side. The search
    runs again on what is still open after each round's groups are allocated, up to
    ``subset_rounds`` rounds in all; those later rounds draw groups of four from the
    first ``later_subset_pool`` items and of five or more from the first
    ``later_large_subset_pool`` (what is still open is fewer, so deeper costs little).
    A payment may also settle its payer's oldest open items, two to
    ``max_oldest_items`` of them in a row, leaving up to ``max_oldest_skipped`` older
    ones open, and one inside a run of at most ``small_subset_pool``
    (`matcher.payments.oldest_items`). Of two twins (invoices of one payer and amount,
    neither named), the one this book's lateness makes likelier goes first, learned from
    the first pass's automatic matches once there are ``min_sure_matches`` of them;
    None learns nothing and twins go oldest first (`matcher.payments.delays`).
    More than ``batch_payments`` payments are matched in batches of at most that many,
    split where no candidate crosses (`matcher.payments.batches`); None never splits.
    With ``batches_side_by_side`` two batches are matched at a time, on two threads
    (faster, for the memory of a second batch; the output is the same either way).
    """

    tolerance_abs: Decimal = Decimal("5.00")
    tolerance_pct: Decimal = Decimal("0.005")
    rounding_tolerance: Decimal = Decimal("0.50")
    rounding_pennies: Decimal = Decimal("0.02")
    days_before_issue: int = 7
    days_after_due: int = 120
    early_payment_discounts: tuple[tuple[Decimal, int], ...] = ((Decimal("0.02"), 10),)
    card_fee_rates: tuple[Decimal, ...] = (Decimal("0.015"), Decimal("0.025"))
    bank_charges: tuple[Decimal, ...] = (
        Decimal("5.00"),
        Decimal("7.50"),
        Decimal("10.00"),
        Decimal("15.00"),
        Decimal("25.00"),
    )
    fx_tolerance: Decimal = Decimal("0.03")
    home_currency: str = "GBP"
    discount_grace_days: int = 3
    min_bank_fee: Decimal = Decimal("5.00")
    max_bank_fee: Decimal = Decimal("60.00")
    bank_fee_unit: Decimal = Decimal("0.50")
    auto_threshold: float = 0.9
    suggest_threshold: float = 0.4
    ambiguity_margin: float = 0.05
    max_subset_size: int = 6
    small_subset_pool: int = 24
    subset_pool: int = 12
    large_subset_pool: int = 8
    later_subset_pool: int = 24
    later_large_subset_pool: int = 16
    max_leftovers_per_counterparty: int = 300
    subset_rounds: int = 3
    max_oldest_items: int = 60
    max_oldest_skipped: int = 30
    min_sure_matches: int | None = 50
    batch_payments: int | None = 500_000
    batches_side_by_side: bool = True
    weights: ScoreWeights = field(default_factory=ScoreWeights)

    def __post_init__(self) -> None:
        if self.subset_rounds < 1:
            raise ValueError(
                f"subset_rounds must be at least 1, not {self.subset_rounds}: the candidates"
                " weaker than a group (and twins) are allocated in the first round"
            )
        if self.min_sure_matches is not None and self.min_sure_matches < 1:
            raise ValueError(
                f"min_sure_matches must be at least 1, not {self.min_sure_matches}: it is how"
                " many sure matches lateness is learned from (None learns nothing)"
            )
        if self.batch_payments is not None and self.batch_payments < 1:
            raise ValueError(
                f"batch_payments must be at least 1, not {self.batch_payments}: it is how"
                " many payments one batch of a large match holds (None: one batch)"
            )
        if self.max_oldest_skipped < 0:
            raise ValueError(
                f"max_oldest_skipped must be at least 0, not {self.max_oldest_skipped}:"
                " it is how many of a payer's oldest open items a payment may leave open"
            )
