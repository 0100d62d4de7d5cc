"""Text vectorisers for lines nobody here wrote: where no term survives (no text at all,
or too few lines for any term to reach ``min_df``), they give one column of zeros
instead of scikit-learn's "empty vocabulary" error, so a model still learns from its
other evidence, as it would for lines without text. (One column, not none: a column
transformer refuses an empty block.)"""

from __future__ import annotations

from typing import Any

from scipy.sparse import csr_matrix
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer

_NO_TERMS = ("empty vocabulary", "no terms remain", "max_df corresponds to < documents")
"""What scikit-learn says when no term survives, and nothing else."""


class _NoTermsColumn:
    """Mixed in before a vectoriser: `fit_transform`, `fit` and `transform` that give a
    zero column when the text held no term."""

    def fit_transform(self, raw_documents: Any, y: Any = None) -> Any:
        self.no_terms_ = False
        try:
            return super().fit_transform(raw_documents, y)  # type: ignore[misc]
        except ValueError as error:
            if not any(reason in str(error) for reason in _NO_TERMS):
                raise
            self.no_terms_ = True
            return self.transform(raw_documents)

    def fit(self, raw_documents: Any, y: Any = None) -> Any:
        self.fit_transform(raw_documents, y)
        return self

    def transform(self, raw_documents: Any) -> Any:
        if getattr(self, "no_terms_", False):
            return csr_matrix((len(raw_documents), 1), dtype=self.dtype)  # type: ignore[attr-defined]
        return super().transform(raw_documents)  # type: ignore[misc]


class Terms(_NoTermsColumn, TfidfVectorizer):
    """`TfidfVectorizer` that gives a zero column where no term survives."""


class TermCounts(_NoTermsColumn, CountVectorizer):
    """`CountVectorizer` that gives a zero column where no term survives."""
