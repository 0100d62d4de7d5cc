"""Cold-start GL suggestions from the chart of accounts, for a company with no posted history.

With nothing learned, a line's KashFlow nominal names the usual Sage 100 account (the
mapping table), but a nominal often splits into several Sage accounts of one main account
("7502-00" Telephone, "7502-01" Internet, "7502-02" Mobile Phones). `ChartMatcher` picks
among those siblings by how much the line's text (description and supplier name) shares
with each account's description, as the chart holds it (Sage's `GL_Account.AccountDesc`);
the mapped account keeps a head start, so weak text evidence does not overturn it. A line
without a mapped nominal is compared with every account.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer

MAPPED_HEAD_START = 0.15
"""Similarity another sibling must beat the mapped account by to be preferred."""
SHARPNESS = 0.15
"""Softmax temperature turning scores into probabilities over the candidates."""


def main_account(account: str) -> str:
    """The main-account segment of a formatted Sage 100 account: "7502" of "7502-01-00"."""
    return account.split("-", 1)[0]


class ChartMatcher:
    """Scores chart accounts for lines by text similarity, with the mapped account first."""

    def __init__(self, chart: Mapping[str, str]) -> None:
        self.accounts = sorted(chart)
        self.descriptions = [chart[account] for account in self.accounts]
        self._vectoriser = TfidfVectorizer(
            analyzer="char_wb", ngram_range=(3, 4), sublinear_tf=True, lowercase=True
        )
        self._chart_vectors = self._vectoriser.fit_transform(self.descriptions)
        self._families: dict[str, list[int]] = {}
        for j, account in enumerate(self.accounts):
            self._families.setdefault(main_account(account), []).append(j)

    def probabilities(self, texts: Sequence[str], mapped: Sequence[str | None]) -> np.ndarray:
        """One row per line over `self.accounts`; zero outside a line's candidates."""
        similarity = (self._vectoriser.transform(list(texts)) @ self._chart_vectors.T).toarray()
        result = np.zeros_like(similarity)
        index = {account: j for j, account in enumerate(self.accounts)}
        for i, account in enumerate(mapped):
            candidates = list(range(len(self.accounts)))
            scores = similarity[i].copy()
            if account is not None and account in index:
                candidates = self._families.get(main_account(account), [index[account]])
                scores[index[account]] += MAPPED_HEAD_START
            chosen = scores[candidates]
            weights = np.exp((chosen - chosen.max()) / SHARPNESS)
            result[i, candidates] = weights / weights.sum()
        return result
