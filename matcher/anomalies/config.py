"""What the anomaly scorer may say and how strongly: signal names, strengths, tolerances
and the IsolationForest's settings."""

from __future__ import annotations

from dataclasses import dataclass

RULE_NAMES = (
    "duplicate_number",
    "duplicate_content",
    "vat_mismatch",
    "negative_quantity",
    "outside_period",
    "due_before_issue",
    "amount_outlier",
    "weekend",
    "round_amount",
    "recent_bank_change",
    "under_approval_threshold",
    "first_invoice_large",
    "unusual_nominal",
    "isolation_forest",
)


@dataclass(frozen=True)
class AnomalyConfig:
    """Rule strengths, tolerances and the forest's settings."""

    threshold: float = 0.5
    duplicate_number: float = 0.95
    duplicate_content: float = 0.9
    vat_mismatch: float = 0.9
    vat_tolerance_per_line: float = 0.01
    """Per-line rounding lets VAT differ from net x rate by this much per line."""
    negative_quantity: float = 0.85
    outside_period: float = 0.85
    due_before_issue: float = 0.8
    amount_outlier: float = 0.75
    outlier_ratio: float = 8.0
    """An amount is an outlier at this multiple of (or fraction of) the median ..."""
    outlier_z: float = 4.0
    """... and this many robust standard deviations from it."""
    min_history: int = 5
    """Transactions a counterparty needs before its history is compared against."""
    weekend: float = 0.15
    round_amount: float = 0.1
    round_unit: float = 100.0
    round_minimum: float = 1_000.0
    isolation_weight: float = 0.45
    """The forest's strength at `isolation_ceiling` and above."""
    isolation_floor: float = 0.57
    """Isolation scores (about 0.5 for ordinary rows) below this add nothing ..."""
    isolation_ceiling: float = 0.65
    """... and from here on add `isolation_weight`; linear in between."""
    approval_threshold: float = 5_000.0
    """Gross amount from which an invoice needs a second approver ..."""
    approval_margin: float = 0.05
    """... and the share below it that counts as just under."""
    recent_bank_change_days: int = 30
    """A bank-details change this recent counts as recent."""
    recent_bank_change: float = 0.2
    under_approval_threshold: float = 0.15
    first_invoice_large: float = 0.2
    first_invoice_amount: float = 5_000.0
    """A counterparty's first invoice from this net amount counts as large."""
    unusual_nominal: float = 0.2
    use_rules: bool = True
    """False scores with the forest alone (at full strength): the model without the rules."""
    isolation_trees: int = 200
    isolation_min_rows: int = 200
    """Below this many transactions the forest has too little to learn from: not run."""
    random_state: int = 0
