"""Flag transactions that look wrong, each with a score and the reasons in plain words.

`score_transactions(df, config)` runs explainable rules — duplicate invoice number per
counterparty, the same counterparty + amount + date under another number, VAT that is
not net x rate, negative quantities, a date outside the posting period, a due date
before the invoice date, an amount far from the counterparty's history, weekend
postings and round amounts (the last two only as weak signals) — and the counterparty's
context as weak signals too: bank details changed in the last month, gross just under the
approval threshold, a first invoice that is large, a nominal used nowhere else in its
history. None of those flags alone. An IsolationForest over the context (log amount, log
amount against the counterparty's median, recency of a bank-details change, just under
the threshold, size of a first invoice, rarity of the nominal for this counterparty)
finds the combinations that no single rule describes. Each fired rule and the forest
give a score in [0, 1]; they combine as independent evidence, `1 - prod(1 - s_i)`, into
`anomaly_score`. `AnomalyConfig(use_rules=False)` scores with the forest alone (at full
strength) and `isolation_weight=0` with the rules alone, to measure what each adds.

Input columns (extra columns are kept):
    transaction_id   str    required; ties in entry order are broken by it, T9 before T10
    counterparty_id  str    required
    date             date   required: invoice (posting) date
    net_amount       f64    required
    number           str    optional: invoice number (duplicate-number rule)
    due_date         date   optional (due-before-issue rule)
    tax_amount       f64    optional, with tax_rate (VAT rule)
    tax_rate         f64    optional: percent, 20 = 20%
    gross_amount     f64    optional: net + tax when absent (duplicate-content rule)
    line_count       i64    optional
    min_quantity     f64    optional: the smallest line quantity (negative-quantity rule)
    period_start, period_end   date   optional: the period the row was posted in
    nominal_code     str    optional: the nominal (expense) account posted to
    bank_details_changed  date  optional: when the counterparty's bank details last
                            changed, on or before the invoice date
Added columns:
    anomaly_score    f64    in [0, 1]
    is_anomaly       bool   anomaly_score >= config.threshold
    reasons          list[str]  one human sentence per signal, strongest first
    rules            list[str]  the names of the signals that fired
"""

from matcher.anomalies.config import RULE_NAMES, AnomalyConfig
from matcher.anomalies.scoring import score_transactions

__all__ = ["RULE_NAMES", "AnomalyConfig", "score_transactions"]
