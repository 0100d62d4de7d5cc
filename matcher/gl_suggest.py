"""Suggest the Sage 100 GL account for KashFlow purchase and expense lines.

`GLSuggester` learns from posted history: TF-IDF word (1-2) and character (2-4) n-grams
of the description, the supplier one-hot and its name's character (3-5) n-grams (so a
supplier never seen borrows the evidence of suppliers with similar names: "Northgate
Telecom Ltd" from "Telecom Group"), the KashFlow nominal code one-hot, and binned log
amount, into a multinomial logistic regression, whose log-loss keeps its probabilities
calibrated (or a linear SVM calibrated by `CalibratedClassifierCV`, on request). Before
it is fitted, or when its best guess is unsure, the nominal-code mapping table
(`nominal_map`) supplies the suggestion.
With no history, `cold_start_check(lines)` says whether the company is less sure than
the references its calibration came from (`ColdStartCheck`).
`retrain(accepted)` adds accepted suggestions to the history and fits again.
`save(directory)` writes the model with the SHA-256 fingerprint of its training rows;
`load(directory)` refuses a model whose files or fingerprint do not agree.

Input columns of `fit`, `suggest` and `retrain` (extra columns ignored):
    description   str
    counterparty  str   supplier (or customer) name
    amount        f64   net amount of the line (null, NaN or infinite: unknown)
    nominal_code  str   optional: the KashFlow nominal the line was posted to
    gl_account    str   the target: required by `fit` and `retrain`
`suggest(lines, k)` returns one row per line and rank:
    line          u32   position of the line in `lines`
    id            str   the line's `id`/`line_id`, when `lines` has one
    rank          i32   1 = best
    gl_account    str
    probability   f64   calibrated probability of that account
    source        str   "model", "mapping", "chart" or "unlabelled" (no history: the chart
                        alone, or learnt from the company's unlabelled lines, see
                        `learn_unlabelled`), or "model+mapping"
"""

from __future__ import annotations

import hashlib
import json
import os
import warnings
from collections.abc import Mapping, Sequence
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import joblib
import numpy as np
import polars as pl
import sklearn
from sklearn.calibration import CalibratedClassifierCV
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FunctionTransformer, Pipeline, make_pipeline
from sklearn.preprocessing import KBinsDiscretizer, OneHotEncoder
from sklearn.svm import LinearSVC

from matcher.gl_chart import ChartMatcher, HalfMixtures, TopCalibration, UnlabelledMixture
from matcher.text_terms import Terms

FEATURE_COLUMNS = ("description", "counterparty", "amount", "nominal_code")
TRAINING_COLUMNS = (*FEATURE_COLUMNS, "gl_account")
MODEL_FILE = "model.joblib"
TRAINING_FILE = "training.parquet"
FINGERPRINT_FILE = "fingerprint.json"


class FingerprintMismatch(ValueError):
    """A saved model's files or training fingerprint do not agree: it is not loaded."""


def training_fingerprint(lines: pl.DataFrame) -> str:
    """SHA-256 of the training rows, independent of their order.

    Each row is written as its five training fields (amount to the penny) separated by
    a unit separator; the rows are sorted and hashed. Any added, removed or changed row
    changes the fingerprint.
    """
    rows = _training_frame(lines).select(
        pl.concat_str(
            [
                pl.col("description"),
                pl.col("counterparty"),
                pl.col("amount").round(2).cast(pl.Utf8),
                pl.col("nominal_code"),
                pl.col("gl_account"),
            ],
            separator="\x1f",
        ).alias("row")
    )["row"]
    digest = hashlib.sha256()
    for row in rows.sort().to_list():
        digest.update(row.encode("utf-8"))
        digest.update(b"\n")
    return digest.hexdigest()


@dataclass(frozen=True)
class ColdStartCheck:
    """How sure the no-history mixture is of a company's lines, beside the references that
    calibrated it: each figure is the mean score `calibrate_cold_start` maps (the halves'
    probability of the mixture's best account) over a company's lines.

    The calibration carries the references' relation between score and accuracy over to
    this company; a company the mixture is much less sure of than of every reference is
    outside what that relation was learnt on, and its probabilities likely overstate how
    often the best account is right (on generated companies, a company's mean score and
    its top-1 accuracy went together: correlation 0.93 over 62 of them).
    """

    sureness: float
    reference_sureness: tuple[float, ...]

    @property
    def beyond_references(self) -> bool:
        """The company's sureness is further below the least sure reference than the
        references are apart from one another."""
        if not self.reference_sureness:
            return False
        low, high = min(self.reference_sureness), max(self.reference_sureness)
        return self.sureness < low - (high - low)


class GLSuggester:
    """Top-k Sage 100 GL account suggestions with calibrated probabilities."""

    def __init__(
        self,
        nominal_map: Mapping[str, str] | None = None,
        *,
        chart: Mapping[str, str] | None = None,
        min_confidence: float = 0.5,
        mapping_weight: float = 0.35,
        mapping_confidence: float = 0.6,
        regularisation: float = 10.0,
        calibrated_svm: bool = False,
        random_state: int = 0,
    ) -> None:
        """`nominal_map` maps KashFlow nominal codes to Sage accounts (the cold start).

        When the model's best probability is below `min_confidence` and the line's nominal
        is mapped, the mapped account gets `mapping_weight` of the probability mass.
        Before fitting, a mapped account is suggested with `mapping_confidence`; given the
        chart of accounts (`chart`: Sage account -> its description), the suggestion before
        fitting is instead chosen among the mapped account's siblings by the line's text
        (`matcher.gl_chart`).
        `regularisation` is the inverse penalty C; `calibrated_svm` swaps the logistic model
        for a linear SVM calibrated by `CalibratedClassifierCV` (slower, a little sharper).
        """
        self.nominal_map = dict(nominal_map or {})
        self.chart = dict(chart or {})
        self.min_confidence = min_confidence
        self.mapping_weight = mapping_weight
        self.mapping_confidence = mapping_confidence
        self.regularisation = regularisation
        self.calibrated_svm = calibrated_svm
        self.random_state = random_state
        self.model: Pipeline | None = None
        self.classes: list[str] = []
        self.training = pl.DataFrame(schema=_TRAINING_SCHEMA)
        self.fingerprint = training_fingerprint(self.training)
        self.unlabelled: UnlabelledMixture | None = None
        self.unlabelled_halves: HalfMixtures | None = None
        self.cold_calibration: TopCalibration | None = None
        self.reference_sureness: tuple[float, ...] = ()

    @property
    def is_fitted(self) -> bool:
        return self.model is not None

    def fit(self, lines: pl.DataFrame) -> GLSuggester:
        """Learn from `lines` (with `gl_account`), replacing any earlier history."""
        training = _training_frame(lines).filter(pl.col("gl_account") != "")
        if training.is_empty():
            raise ValueError("no labelled lines to fit on")
        self.training = training
        self.fingerprint = training_fingerprint(training)
        labels = training["gl_account"].to_numpy()
        self.classes = sorted(set(labels.tolist()))
        if len(self.classes) == 1:
            self.model = None  # nothing to learn: every suggestion is the one account
            return self
        self.model = _pipeline(self._classifier(labels))
        with warnings.catch_warnings():
            # Fewer distinct amounts than bins (a short history), or one, merge the bins:
            # as meant, and no news for whoever reads the logs.
            warnings.filterwarnings("ignore", "Bins whose width are too small", UserWarning)
            warnings.filterwarnings("ignore", "Feature 0 is constant", UserWarning)
            self.model.fit(_features(training), labels)
        self.classes = [str(c) for c in self.model.classes_]
        return self

    def learn_unlabelled(self, lines: pl.DataFrame, *, halves: bool = True) -> GLSuggester:
        """Before any history: learn the company's accounts from its unlabelled lines.

        Needs the chart. `gl_account`, if present, is not read. Until `fit`, suggestions
        come from `matcher.gl_chart.UnlabelledMixture`; their probabilities are the
        model's own scores unless `calibrate_cold_start` has been given labelled lines.
        `halves=False` skips the two half-sample mixtures that calibration scores by
        (twice the learning): for a caller that will not calibrate.
        """
        if not self.chart:
            raise ValueError("learning from unlabelled lines needs the chart of accounts")
        frame = _feature_frame(lines)
        if frame.is_empty():
            raise ValueError("no lines to learn from")
        chart = ChartMatcher(self.chart)
        columns = _mixture_columns(frame)
        self.unlabelled = UnlabelledMixture(chart, self.nominal_map).fit(*columns)
        self.unlabelled_halves = None
        if halves:
            with suppress(ValueError):  # too few lines to learn from half of them
                self.unlabelled_halves = HalfMixtures(
                    chart, self.nominal_map, self.random_state
                ).fit(*columns)
        return self

    def calibrate_cold_start(
        self, references: Sequence[pl.DataFrame], learn_fraction: float = 0.8
    ) -> GLSuggester:
        """Calibrate the no-history probabilities on other companies' labelled lines.

        Each reference (lines in date order, with `gl_account`) is split: its earlier
        `learn_fraction` is learnt unlabelled, as `learn_unlabelled` would, and each later
        line's score against whether its best account was right joins the pool that fits
        an isotonic map, which then turns this company's no-history scores into
        probabilities. The score is the probability the mixture's two halves give its
        best account (`matcher.gl_chart.HalfMixtures`), or its own best probability where
        the lines were too few to halve. References should share this suggester's chart
        and mapping; they are never this company's lines, which have no labels.
        """
        best: list[np.ndarray] = []
        right: list[np.ndarray] = []
        for reference in references:
            labelled = _training_frame(reference).filter(pl.col("gl_account") != "")
            cut = int(labelled.height * learn_fraction)
            if cut == 0 or cut == labelled.height:
                raise ValueError("a reference needs lines both to learn from and to calibrate on")
            scorer = GLSuggester(self.nominal_map, chart=self.chart)
            scorer.learn_unlabelled(labelled.head(cut))
            held_out = labelled.slice(cut)
            probabilities, accounts, _ = scorer.predict_proba(held_out)
            picked = np.asarray(accounts, dtype=object)[probabilities.argmax(axis=1)]
            columns = _mixture_columns(_feature_frame(held_out))
            best.append(scorer._cold_score(columns, scorer._mixture(columns)))
            right.append(picked == held_out["gl_account"].to_numpy())
        if not best:
            raise ValueError("no reference lines to calibrate on")
        self.cold_calibration = TopCalibration().fit(np.concatenate(best), np.concatenate(right))
        self.reference_sureness = tuple(float(score.mean()) for score in best)
        return self

    def cold_start_check(self, lines: pl.DataFrame) -> ColdStartCheck:
        """How sure the mixture learnt unlabelled is of `lines`, against the references.

        No label is read. `beyond_references` warns that the calibrated probabilities of
        these lines rest on companies unlike this one (see `ColdStartCheck`).
        """
        if self.cold_calibration is None:
            raise ValueError("no cold-start calibration to check against")
        columns = _mixture_columns(_feature_frame(lines))
        score = self._cold_score(columns, self._mixture(columns))
        return ColdStartCheck(float(score.mean()) if len(score) else 1.0, self.reference_sureness)

    def retrain(self, accepted: pl.DataFrame) -> GLSuggester:
        """Add accepted (or corrected) suggestions to the history and fit again."""
        combined = pl.concat([self.training, _training_frame(accepted)])
        return self.fit(combined)

    def predict_proba(self, lines: pl.DataFrame) -> tuple[np.ndarray, list[str], list[str]]:
        """Probabilities per line over accounts, the accounts, and each line's source."""
        features = _features(_feature_frame(lines))
        nominals = features["nominal_code"].to_list()
        mapped = [self.nominal_map.get(code) for code in nominals]
        accounts = sorted(set(self.classes) | {a for a in mapped if a} | set(self.chart))
        column = {account: j for j, account in enumerate(accounts)}
        probabilities = np.zeros((len(nominals), len(accounts)))
        sources = ["mapping"] * len(nominals)
        if self.model is None and not self.classes and self.unlabelled is not None:
            chart_accounts = self.unlabelled.chart.accounts
            columns = _mixture_columns(features)
            by_mixture = self._mixture(columns)
            if self.cold_calibration is not None:
                score = self._cold_score(columns, by_mixture)
                by_mixture = self.cold_calibration.apply(by_mixture, score)
            for j, account in enumerate(chart_accounts):
                probabilities[:, column[account]] = by_mixture[:, j]
            return probabilities, accounts, ["unlabelled"] * len(nominals)
        if self.model is None and not self.classes and self.chart:
            chart = ChartMatcher(self.chart)
            texts = (features["description"] + " " + features["counterparty"]).to_list()
            by_chart = chart.probabilities(texts, mapped)
            for j, account in enumerate(chart.accounts):
                probabilities[:, column[account]] = by_chart[:, j]
            return probabilities, accounts, ["chart"] * len(nominals)
        if self.model is not None:
            model_p = self.model.predict_proba(features)
            for j, account in enumerate(self.classes):
                probabilities[:, column[account]] = model_p[:, j]
            sources = ["model"] * len(nominals)
        elif len(self.classes) == 1:
            probabilities[:, column[self.classes[0]]] = 1.0
            sources = ["model"] * len(nominals)
        for i, mapped_account in enumerate(mapped):
            if mapped_account is None:
                continue
            if self.model is None and len(self.classes) != 1:
                probabilities[i, column[mapped_account]] = self.mapping_confidence
            elif probabilities[i].max() < self.min_confidence:
                probabilities[i] *= 1.0 - self.mapping_weight
                probabilities[i, column[mapped_account]] += self.mapping_weight
                sources[i] = "model+mapping"
        return probabilities, accounts, sources

    def suggest(self, lines: pl.DataFrame, k: int = 3) -> pl.DataFrame:
        """The `k` most probable accounts for each line (fewer when fewer are possible)."""
        if lines.is_empty():
            _feature_frame(lines)  # still refuses a frame without the required columns
            return _empty_suggestions()
        probabilities, accounts, sources = self.predict_proba(lines)
        k = max(1, min(k, len(accounts))) if accounts else 0
        if k == 0 or not len(probabilities):
            return _empty_suggestions()
        order = np.argsort(-probabilities, axis=1, kind="stable")[:, :k]
        line = np.repeat(np.arange(len(probabilities), dtype=np.uint32), k)
        picked = order.reshape(-1)
        probability = probabilities[line, picked]
        frame = pl.DataFrame(
            {
                "line": line,
                "rank": np.tile(np.arange(1, k + 1, dtype=np.int32), len(probabilities)),
                "gl_account": np.asarray(accounts, dtype=object)[picked].tolist(),
                "probability": probability,
                "source": np.repeat(np.asarray(sources, dtype=object), k).tolist(),
            },
            schema=_SUGGESTION_SCHEMA,
        ).filter(pl.col("probability") > 0)
        key = next((c for c in ("id", "line_id") if c in lines.columns), None)
        if key is not None:
            ids = lines[key].cast(pl.Utf8)
            frame = frame.with_columns(pl.Series("id", ids.to_list()).gather(frame["line"]))
            frame = frame.select("line", "id", "rank", "gl_account", "probability", "source")
        return frame

    def _mixture(self, columns: _MixtureColumns) -> np.ndarray:
        if self.unlabelled is None:
            raise ValueError("nothing learnt from unlabelled lines")
        return self.unlabelled.probabilities(*columns)

    def _cold_score(self, columns: _MixtureColumns, whole: np.ndarray) -> np.ndarray:
        """What `cold_calibration` maps: the halves' probability of the mixture's best
        account (`whole`'s), or its own where there are no halves."""
        if self.unlabelled_halves is None:
            return cast(np.ndarray, whole.max(axis=1))
        return self.unlabelled_halves.held_out_score(whole, *columns)

    def _classifier(self, labels: np.ndarray) -> Any:
        _, counts = np.unique(labels, return_counts=True)
        folds = int(min(3, counts.min()))
        if self.calibrated_svm and folds >= 2:
            svm = LinearSVC(C=self.regularisation / 20.0, random_state=self.random_state)
            return CalibratedClassifierCV(svm, method="sigmoid", cv=folds)
        # Multinomial logistic regression is calibrated by its own loss (log-loss).
        return LogisticRegression(C=self.regularisation, max_iter=300)

    # Persistence ---------------------------------------------------------------------------

    def save(self, directory: str | os.PathLike[str]) -> Path:
        """Write the model, its training rows and their fingerprint into `directory`."""
        path = Path(directory)
        path.mkdir(parents=True, exist_ok=True)
        state = {
            "model": self.model,
            "classes": self.classes,
            "nominal_map": self.nominal_map,
            "chart": self.chart,
            "unlabelled": self.unlabelled,
            "unlabelled_halves": self.unlabelled_halves,
            "cold_calibration": self.cold_calibration,
            "reference_sureness": self.reference_sureness,
            "settings": self._settings(),
            "fingerprint": self.fingerprint,
            "sklearn_version": sklearn.__version__,
        }
        joblib.dump(state, path / MODEL_FILE)
        self.training.write_parquet(path / TRAINING_FILE)
        manifest = {
            "training_sha256": self.fingerprint,
            "training_rows": self.training.height,
            "model_sha256": _file_sha256(path / MODEL_FILE),
            "sklearn_version": sklearn.__version__,
        }
        (path / FINGERPRINT_FILE).write_text(json.dumps(manifest, indent=2) + "\n")
        return path

    @classmethod
    def load(
        cls, directory: str | os.PathLike[str], expected_fingerprint: str | None = None
    ) -> GLSuggester:
        """The suggester saved in `directory`, after checking it is the one recorded.

        The model file's hash is checked before it is unpickled, and the training rows are
        re-fingerprinted; any disagreement (or with `expected_fingerprint`) raises
        `FingerprintMismatch`. Load only directories you wrote: unpickling runs code.
        """
        path = Path(directory)
        manifest = json.loads((path / FINGERPRINT_FILE).read_text())
        if _file_sha256(path / MODEL_FILE) != manifest["model_sha256"]:
            raise FingerprintMismatch(f"{path / MODEL_FILE} is not the model recorded")
        training = pl.read_parquet(path / TRAINING_FILE)
        fingerprint = training_fingerprint(training)
        if fingerprint != manifest["training_sha256"]:
            raise FingerprintMismatch(f"{path / TRAINING_FILE} is not the training data recorded")
        if expected_fingerprint is not None and fingerprint != expected_fingerprint:
            raise FingerprintMismatch("model was trained on other data than expected")
        state = cast(dict[str, Any], joblib.load(path / MODEL_FILE))
        if state["fingerprint"] != fingerprint:
            raise FingerprintMismatch("model and training data fingerprints differ")
        suggester = cls(state["nominal_map"], chart=state.get("chart"), **state["settings"])
        suggester.model = state["model"]
        suggester.classes = list(state["classes"])
        suggester.unlabelled = state.get("unlabelled")
        suggester.unlabelled_halves = state.get("unlabelled_halves")
        suggester.cold_calibration = state.get("cold_calibration")
        suggester.reference_sureness = tuple(state.get("reference_sureness", ()))
        suggester.training = training
        suggester.fingerprint = fingerprint
        return suggester

    def _settings(self) -> dict[str, Any]:
        return {
            "min_confidence": self.min_confidence,
            "mapping_weight": self.mapping_weight,
            "mapping_confidence": self.mapping_confidence,
            "regularisation": self.regularisation,
            "calibrated_svm": self.calibrated_svm,
            "random_state": self.random_state,
        }


_TRAINING_SCHEMA = {
    "description": pl.Utf8,
    "counterparty": pl.Utf8,
    "amount": pl.Float64,
    "nominal_code": pl.Utf8,
    "gl_account": pl.Utf8,
}
_SUGGESTION_SCHEMA = {
    "line": pl.UInt32,
    "rank": pl.Int32,
    "gl_account": pl.Utf8,
    "probability": pl.Float64,
    "source": pl.Utf8,
}


def _empty_suggestions() -> pl.DataFrame:
    return pl.DataFrame(schema=_SUGGESTION_SCHEMA)


def _feature_frame(lines: pl.DataFrame) -> pl.DataFrame:
    missing = {"description", "counterparty", "amount"} - set(lines.columns)
    if missing:
        raise ValueError(f"lines lack required columns {sorted(missing)}")
    nominal = (
        pl.col("nominal_code").cast(pl.Utf8)
        if "nominal_code" in lines.columns
        else pl.lit(None, dtype=pl.Utf8)
    )
    amount = pl.col("amount").cast(pl.Float64)
    return lines.select(
        pl.col("description").cast(pl.Utf8).fill_null(""),
        pl.col("counterparty").cast(pl.Utf8).fill_null(""),
        # An amount that is no number (null, NaN, infinite) is unknown: the line is still
        # suggested for, from its other fields.
        pl.when(amount.is_finite()).then(amount).otherwise(0.0).alias("amount"),
        nominal.fill_null("").alias("nominal_code"),
    )


def _training_frame(lines: pl.DataFrame) -> pl.DataFrame:
    if "gl_account" not in lines.columns:
        raise ValueError("lines lack the target column 'gl_account'")
    return pl.concat(
        [_feature_frame(lines), lines.select(pl.col("gl_account").cast(pl.Utf8).fill_null(""))],
        how="horizontal",
    )


_MixtureColumns = tuple[list[str], list[str], np.ndarray, list[str]]


def _mixture_columns(frame: pl.DataFrame) -> _MixtureColumns:
    """Description, supplier, amount and nominal ("" when none) of feature-frame rows."""
    return (
        frame["description"].to_list(),
        frame["counterparty"].to_list(),
        frame["amount"].to_numpy(),
        frame["nominal_code"].to_list(),
    )


def _features(frame: pl.DataFrame) -> Any:
    """The frame scikit-learn sees: polars, which `ColumnTransformer` selects from by name."""
    return frame.select(FEATURE_COLUMNS)


def _log_amount(amounts: Any) -> np.ndarray:
    """log(1 + |amount|), to a millionth: two amounts a denormal apart (0 and 5e-324) are
    then one value, where scikit-learn's quantile bins would find them different and
    every bin between them too narrow to keep, and fail with none."""
    return np.round(np.log1p(np.abs(np.asarray(amounts, dtype=float))), 6).reshape(-1, 1)


def _pipeline(classifier: Any) -> Pipeline:
    features = ColumnTransformer(
        [
            (
                "words",
                Terms(ngram_range=(1, 2), min_df=2, sublinear_tf=True, lowercase=True),
                "description",
            ),
            (
                "chars",
                Terms(
                    analyzer="char_wb",
                    ngram_range=(2, 4),
                    min_df=3,
                    max_features=40_000,
                    sublinear_tf=True,
                    dtype=np.float32,
                ),
                "description",
            ),
            (
                "supplier",
                OneHotEncoder(handle_unknown="infrequent_if_exist", min_frequency=2),
                ["counterparty"],
            ),
            (
                "supplier_name",
                Terms(analyzer="char_wb", ngram_range=(3, 5), min_df=2, sublinear_tf=True),
                "counterparty",
            ),
            ("nominal", OneHotEncoder(handle_unknown="ignore"), ["nominal_code"]),
            (
                "amount",
                make_pipeline(
                    FunctionTransformer(_log_amount),
                    KBinsDiscretizer(
                        n_bins=16, encode="onehot", strategy="quantile", quantile_method="linear"
                    ),
                ),
                "amount",
            ),
        ]
    )
    return Pipeline([("features", features), ("classifier", classifier)])


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
