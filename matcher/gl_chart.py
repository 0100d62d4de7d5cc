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
from typing import Any

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.isotonic import IsotonicRegression

from matcher.text_terms import TermCounts

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

    def probabilities(
        self, texts: Sequence[str], mapped: Sequence[str | None], unmapped: Sequence[str] = ()
    ) -> np.ndarray:
        """One row per line over `self.accounts`; zero outside a line's candidates.

        Accounts in `unmapped` are candidates of every line, mapped or not.
        """
        similarity = (self._vectoriser.transform(list(texts)) @ self._chart_vectors.T).toarray()
        result = np.zeros_like(similarity)
        index = {account: j for j, account in enumerate(self.accounts)}
        for i, account in enumerate(mapped):
            candidates = list(range(len(self.accounts)))
            scores = similarity[i].copy()
            if account is not None and account in index:
                candidates = self._families.get(main_account(account), [index[account]])
                candidates = sorted(set(candidates) | {index[a] for a in unmapped if a in index})
                scores[index[account]] += MAPPED_HEAD_START
            chosen = scores[candidates]
            weights = np.exp((chosen - chosen.max()) / SHARPNESS)
            result[i, candidates] = weights / weights.sum()
        return result


TOKENS = r"(?u)\b[a-zA-Z][a-zA-Z]+\b"
"""Words of two letters or more: numbers, references and dates carry no account."""
AMOUNT_BINS = 16
EM_ROUNDS = 15
SMOOTHING = 0.1
"""Pseudo-count added to every word, nominal and amount bin of every account."""
SUPPLIER_PRIOR = 1.0
"""Weight of the company-wide account mix in each supplier's own mix."""
WORD_WEIGHT = 0.5
"""Words are not independent evidence ("Fibre broadband"): their log-likelihood is damped."""
START_SHARE = 0.5
"""Share of EM's starting point spread evenly over each line's candidate accounts, the rest
from the chart matcher. Started from the chart alone, a sibling whose name shares no words
with its lines ("Entertaining" for "Client dinner") starts empty and EM never fills it: its
lines stay, confidently, on the mapped account."""


class UnlabelledMixture:
    """Learns accounts from a company's unlabelled lines, starting from the chart.

    A mixture model over the chart's accounts (semi-supervised naive Bayes, as Nigam et
    al.): each supplier has its own mix of accounts, and each account its words of the
    description, its KashFlow nominals and its amount range. EM starts from the chart
    matcher's probabilities (`ChartMatcher`: mapping table plus account descriptions)
    and re-estimates both on the lines themselves, so "Softwood battens" learns it is
    timber because the suppliers that sell "Timber planks" sell it too, and a line whose
    nominal is blank or wrong follows its supplier. No `gl_account` is read: the figures
    are the model's own, and only a calibration (`TopCalibration`) makes them probabilities.
    """

    def __init__(self, chart: ChartMatcher, mapping: Mapping[str, str]) -> None:
        self.chart = chart
        self.mapping = dict(mapping)
        mapped = {main_account(account) for account in self.mapping.values()}
        self._unmapped = [a for a in chart.accounts if main_account(a) not in mapped]
        self._words = TermCounts(token_pattern=TOKENS, min_df=2, binary=True)
        self._nominals: dict[str, int] = {}
        self._edges = np.zeros(AMOUNT_BINS - 1)
        self._suppliers: dict[str, int] = {}
        self._log_words = np.zeros((0, 0))
        self._log_nominals = np.zeros((0, 0))
        self._log_amounts = np.zeros((0, 0))
        self._log_mix = np.zeros((0, 0))
        self._log_overall = np.zeros(0)

    def fit(
        self, descriptions: Sequence[str], suppliers: Sequence[str], amounts: np.ndarray,
        nominals: Sequence[str],
    ) -> UnlabelledMixture:  # fmt: skip
        """EM over the lines; `nominals` holds "" where a line has none."""
        words = self._words.fit_transform(list(descriptions))
        self._nominals = {code: j for j, code in enumerate(sorted(set(nominals)))}
        log_amounts = np.log1p(np.abs(amounts))
        self._edges = np.quantile(log_amounts, np.linspace(0, 1, AMOUNT_BINS + 1)[1:-1])
        self._suppliers = {name: j for j, name in enumerate(sorted(set(suppliers)))}
        evidence = (words, self._one_hot_nominals(nominals), self._one_hot_amounts(amounts))
        owner = _one_hot([self._suppliers[s] for s in suppliers], len(self._suppliers))
        texts = _texts(descriptions, suppliers)
        mapped = [self.mapping.get(n) for n in nominals]
        family = self.chart.probabilities(texts, mapped) > 0
        start = _soften(self.chart.probabilities(texts, mapped, self._unmapped), family)
        overall = start.mean(axis=0) + 1e-3
        responsibilities = start
        for _ in range(EM_ROUNDS + 1):
            self._log_words, self._log_nominals, self._log_amounts = (
                _log_conditional(x, responsibilities) for x in evidence
            )
            mix = np.asarray(owner.T @ responsibilities) + SUPPLIER_PRIOR * overall
            self._log_mix = np.log(mix / mix.sum(axis=1, keepdims=True))
            self._log_overall = np.log(overall / overall.sum())
            responsibilities = _softmax(self._log_likelihood(evidence, owner @ self._log_mix))
        return self

    def probabilities(
        self, descriptions: Sequence[str], suppliers: Sequence[str], amounts: np.ndarray,
        nominals: Sequence[str],
    ) -> np.ndarray:  # fmt: skip
        """One row per line over `self.chart.accounts`: the model's posterior."""
        evidence = (
            self._words.transform(list(descriptions)),
            self._one_hot_nominals(nominals),
            self._one_hot_amounts(amounts),
        )
        mix = np.vstack(
            [
                self._log_mix[self._suppliers[s]] if s in self._suppliers else self._log_overall
                for s in suppliers
            ]
        ) if len(suppliers) else np.zeros((0, len(self.chart.accounts)))  # fmt: skip
        return _softmax(self._log_likelihood(evidence, mix))

    def chart_probabilities(
        self, descriptions: Sequence[str], suppliers: Sequence[str], nominals: Sequence[str]
    ) -> np.ndarray:
        """The starting point: the chart matcher on the text, within the mapped family and
        the accounts of no mapped family.

        The mapping table says nothing of an account outside every family it maps into
        ("Computer Equipment" when nominal 7800 maps to "Software Subscriptions"), so it
        does not rule it out for any line. Left out, such an account started with only the
        lines without a mapped nominal, and EM never gave it the rest: a supplier selling
        laptops, keyboards and software on nominal 7800 had all of them learnt as software.
        """
        mapped = [self.mapping.get(n) for n in nominals]
        return self.chart.probabilities(_texts(descriptions, suppliers), mapped, self._unmapped)

    def _log_likelihood(self, evidence: tuple[Any, Any, Any], log_mix: np.ndarray) -> np.ndarray:
        words, nominals, amounts = evidence
        return np.asarray(
            WORD_WEIGHT * (words @ self._log_words.T)
            + nominals @ self._log_nominals.T
            + amounts @ self._log_amounts.T
            + log_mix
        )

    def _one_hot_nominals(self, nominals: Sequence[str]) -> sparse.csr_matrix:
        return _one_hot([self._nominals.get(n, -1) for n in nominals], len(self._nominals))

    def _one_hot_amounts(self, amounts: np.ndarray) -> sparse.csr_matrix:
        bins = np.searchsorted(self._edges, np.log1p(np.abs(amounts)))
        return _one_hot(bins.tolist(), AMOUNT_BINS)


class TopCalibration:
    """Isotonic map from a line's confidence score to the chance that its best account is right.

    Fitted on lines whose accounts are known and that the scores were not learned from
    (`fit(score, right)`); `apply(probabilities, score)` gives the best account that
    probability and shares the rest among the others in proportion, each below the best.
    The score is the best probability itself unless another is given (`held_out_score`).
    """

    def __init__(self) -> None:
        self._isotonic = IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip")
        self.fitted = False

    def fit(self, score: np.ndarray, right: np.ndarray) -> TopCalibration:
        self._isotonic.fit(score, right.astype(float))
        self.fitted = True
        return self

    def apply(self, probabilities: np.ndarray, score: np.ndarray | None = None) -> np.ndarray:
        if not self.fitted or not len(probabilities):
            return probabilities
        best = probabilities.max(axis=1)
        calibrated = np.clip(self._isotonic.predict(best if score is None else score), 1e-6, 1.0)
        rest = np.clip(1.0 - best, 1e-12, None)
        scaled = probabilities * ((1.0 - calibrated) / rest)[:, None]
        scaled = np.minimum(scaled, calibrated[:, None] * (1.0 - 1e-6))  # best stays first
        top = probabilities.argmax(axis=1)
        scaled[np.arange(len(scaled)), top] = calibrated
        return scaled


class HalfMixtures:
    """The mixture learnt twice more, each time on a random half of the company's lines.

    A line's `held_out_score` is the mean probability the two halves give the account the
    whole mixture ranks first. Where EM's answer depends on which lines it saw (a sibling
    account absorbed into its mapped one in one half and not in the other), the halves
    disagree and the score falls, where the whole mixture's own posterior stays near 1.
    It does not rank a company's lines better than the posterior does, but on generated
    companies its relation to accuracy differed less from one company to the next, and
    that relation is what `TopCalibration` carries over from other companies.
    """

    def __init__(self, chart: ChartMatcher, mapping: Mapping[str, str], seed: int = 0) -> None:
        self.halves = (UnlabelledMixture(chart, mapping), UnlabelledMixture(chart, mapping))
        self.seed = seed

    def fit(
        self, descriptions: Sequence[str], suppliers: Sequence[str], amounts: np.ndarray,
        nominals: Sequence[str],
    ) -> HalfMixtures:  # fmt: skip
        first = np.random.default_rng(self.seed).random(len(descriptions)) < 0.5
        for half, keep in zip(self.halves, (first, ~first), strict=True):
            rows = np.flatnonzero(keep).tolist()
            if not rows:
                raise ValueError("too few lines to learn from half of them")
            half.fit(
                [descriptions[i] for i in rows], [suppliers[i] for i in rows], amounts[rows],
                [nominals[i] for i in rows],
            )  # fmt: skip
        return self

    def held_out_score(
        self, whole: np.ndarray, descriptions: Sequence[str], suppliers: Sequence[str],
        amounts: np.ndarray, nominals: Sequence[str],
    ) -> np.ndarray:  # fmt: skip
        """Per line: the halves' mean probability of `whole`'s (the mixture's) best account."""
        picked = whole.argmax(axis=1)
        rows = np.arange(len(picked))
        columns = (descriptions, suppliers, amounts, nominals)
        return np.mean([half.probabilities(*columns)[rows, picked] for half in self.halves], axis=0)


def _one_hot(columns: Sequence[int], width: int) -> sparse.csr_matrix:
    rows = [i for i, j in enumerate(columns) if j >= 0]
    kept = [j for j in columns if j >= 0]
    return sparse.csr_matrix(
        (np.ones(len(rows)), (rows, kept)), shape=(len(columns), max(width, 1))
    )


def _log_conditional(counts: Any, responsibilities: np.ndarray) -> np.ndarray:
    """log P(feature | account), one row per account, from soft counts."""
    soft = np.asarray((counts.T @ responsibilities).T) + SMOOTHING
    return np.log(soft / soft.sum(axis=1, keepdims=True))


def _texts(descriptions: Sequence[str], suppliers: Sequence[str]) -> list[str]:
    return [f"{d} {s}" for d, s in zip(descriptions, suppliers, strict=True)]


def _soften(start: np.ndarray, family: np.ndarray) -> np.ndarray:
    """`START_SHARE` of each row spread evenly over its family (the mapped account's
    siblings, or every account for a line without one). Accounts of no mapped family keep
    only what the chart gives them: spread evenly too, two of them took a sixth each of
    every line of a one-account family, and the packaging learnt as computer kit."""
    even = family / np.maximum(family.sum(axis=1, keepdims=True), 1)
    return (1.0 - START_SHARE) * start + START_SHARE * even


def _softmax(logits: np.ndarray) -> np.ndarray:
    shifted = np.exp(logits - logits.max(axis=1, keepdims=True))
    return shifted / shifted.sum(axis=1, keepdims=True)
