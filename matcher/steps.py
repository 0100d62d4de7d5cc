"""The steps of a reconcile run, each a pure function from frames to results plus problems.

1. `master_step`: `link_masters` per entity (KashFlow left, Sage 100 right), without the
   pairs someone unlinked; every link found is a ``master`` result, the ``auto`` ones
   are new identity links.
2. `payment_step`: `match_payments` once per system whose invoices are open: that
   system's own payments (what they have not allocated there) and the other system's
   payments (whole, unless linked to one of this system's) against its open invoices.
3. `anomaly_step`: `score_transactions` per system and invoice entity; the flagged
   ones are ``anomaly`` results with their reasons.
4. `gl_step`: Sage GL accounts for KashFlow purchase lines, from a `GLSuggester` trained
   on Sage's labelled lines; with too little history, learnt from the pending lines
   themselves and the chart (unlabelled), or from the nominal mapping alone.

A part of a step that fails (one entity, one system's invoices) becomes a `StepProblem`
and the rest of the step still runs. Nothing here reads or writes the ledger.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Generic, ParamSpec, TypeVar

import polars as pl

from canonical import ACCOUNTING_SYSTEMS
from ledger import IdentityLink, MatchResult
from matcher.anomalies import AnomalyConfig, score_transactions
from matcher.gl_suggest import GLSuggester
from matcher.masters import MasterConfig, link_masters
from matcher.payments import MatchConfig, match_payments

T = TypeVar("T")
P = ParamSpec("P")
Summary = TypeVar("Summary")


@dataclass(frozen=True)
class StepProblem:
    """Something a step could not do: which step, which record and field (when known)."""

    step: str
    message: str
    record: tuple[str, str, str] | None = None
    """(system, entity, key) of the record concerned."""
    field: str | None = None

    def line(self) -> str:
        """One line naming the step, the record and the field."""
        where = " ".join(self.record) if self.record else ""
        if self.field:
            where = f"{where} field {self.field}" if where else f"field {self.field}"
        return f"{self.step}: {where}: {self.message}" if where else f"{self.step}: {self.message}"

    def as_json(self) -> dict[str, str | list[str] | None]:
        return {
            "step": self.step,
            "record": list(self.record) if self.record else None,
            "field": self.field,
            "message": self.message,
        }


@dataclass(frozen=True)
class StepOutput(Generic[Summary]):
    """What one step found: its summary, its results, new identity links and problems."""

    summary: Summary
    results: tuple[MatchResult, ...] = ()
    links: tuple[IdentityLink, ...] = ()
    problems: tuple[StepProblem, ...] = ()


def attempt(
    step: str,
    part: str,
    problems: list[StepProblem],
    work: Callable[P, T],
    *args: P.args,
    **kwargs: P.kwargs,
) -> T | None:
    """``work(*args, **kwargs)``, or None with a problem naming the step and the part of
    it that failed when it raises."""
    try:
        return work(*args, **kwargs)
    except Exception as error:  # one part failing must not stop the others
        problems.append(StepProblem(step, f"{part} failed: {type(error).__name__}: {error}"))
        return None


# 1. Masters ----------------------------------------------------------------------------


@dataclass(frozen=True)
class MasterSummary:
    """One entity's master linking: what was linked before and what this run found."""

    entity: str
    already_linked: int
    auto: int
    suggested: int
    unlinked_kashflow: int
    """KashFlow records left without a link in force (suggested ones included)."""
    unlinked_sage100: int


@dataclass(frozen=True)
class MasterFrames:
    """One entity's records not yet linked, each side in the `link_masters` contract."""

    entity: str
    kashflow: pl.DataFrame
    sage100: pl.DataFrame
    already_linked: int
    withdrawn: frozenset[tuple[str, str]] = frozenset()
    """(kashflow_key, sage100_key) pairs someone unlinked: never linked again."""


def master_step(
    entities: Sequence[MasterFrames], config: MasterConfig
) -> StepOutput[tuple[MasterSummary, ...]]:
    """Links the records of each entity; ``master`` results and the ``auto`` links."""
    results: list[MatchResult] = []
    links: list[IdentityLink] = []
    summaries: list[MasterSummary] = []
    problems: list[StepProblem] = []
    for frames in entities:
        found = attempt("masters", f"linking {frames.entity}", problems, _links, frames, config)
        if found is None:
            continue
        auto = 0
        for row in found.iter_rows(named=True):
            results.append(_master_result(frames.entity, row))
            if row["status"] == "auto":
                auto += 1
                links.append(
                    IdentityLink(frames.entity, row["left_id"], row["right_id"], score=row["score"])
                )
        summaries.append(
            MasterSummary(
                entity=frames.entity,
                already_linked=frames.already_linked,
                auto=auto,
                suggested=found.height - auto,
                unlinked_kashflow=frames.kashflow.height - auto,
                unlinked_sage100=frames.sage100.height - auto,
            )
        )
    return StepOutput(tuple(summaries), tuple(results), tuple(links), tuple(problems))


def _links(frames: MasterFrames, config: MasterConfig) -> pl.DataFrame:
    """`link_masters` of the two sides, without the pairs someone unlinked."""
    left, right = frames.kashflow, frames.sage100
    if left.is_empty() or right.is_empty():
        return link_masters(left.clear(), right.clear(), config)
    found = link_masters(left, right, config)
    if not frames.withdrawn:
        return found
    keep = [
        (left_id, right_id) not in frames.withdrawn
        for left_id, right_id in found.select("left_id", "right_id").iter_rows()
    ]
    return found.filter(pl.Series(keep, dtype=pl.Boolean))


def _master_result(entity: str, row: dict[str, Any]) -> MatchResult:
    evidence: str = row["evidence"]
    return MatchResult(
        kind="master",
        group_id=f"{entity}:{row['left_id']}",
        score=row["score"],
        status=row["status"],
        left=("kashflow", entity, row["left_id"]),
        right=("sage100", entity, row["right_id"]),
        rules=agreeing_fields(evidence),
        detail={"evidence": evidence, "margin": round(row["margin"], 4)},
    )


def agreeing_fields(evidence: str) -> tuple[str, ...]:
    """The fields that agreed, from `link_masters` evidence ("name 0.96, email=" -> email)."""
    return tuple(part[:-1] for part in evidence.split(", ") if part.endswith("="))


# 2. Payments ---------------------------------------------------------------------------


@dataclass(frozen=True)
class PaymentSummary:
    payments: int = 0
    invoices: int = 0
    allocations: int = 0
    auto: int = 0


@dataclass(frozen=True)
class PaymentFrames:
    """Payments of one kind and the invoices they settle, both systems'
    (`matcher.frames.PAYMENT_SCHEMA`, `matcher.frames.INVOICE_SCHEMA`)."""

    invoice_entity: str
    payments: pl.DataFrame
    invoices: pl.DataFrame


def payment_step(
    pairings: Sequence[PaymentFrames], config: MatchConfig
) -> StepOutput[PaymentSummary]:
    """Pairs payments with the invoices open on each side; ``payment`` results."""
    results: list[MatchResult] = []
    problems: list[StepProblem] = []
    n_payments = n_invoices = 0
    for frames in pairings:
        n_payments += frames.payments.height
        n_invoices += frames.invoices.height
        for system in ACCOUNTING_SYSTEMS:
            allocations = attempt(
                "payments",
                f"matching {system} {frames.invoice_entity}s",
                problems,
                match_side,
                frames.payments,
                frames.invoices,
                system,
                config,
            )
            if allocations is not None:
                results.extend(_payment_results(allocations, system, frames.invoice_entity))
    summary = PaymentSummary(
        payments=n_payments,
        invoices=n_invoices,
        allocations=len(results),
        auto=sum(r.status == "auto" for r in results),
    )
    return StepOutput(summary, tuple(results), problems=tuple(problems))


def match_side(
    payments: pl.DataFrame, invoices: pl.DataFrame, system: str, config: MatchConfig
) -> pl.DataFrame:
    """Allocations to the invoices open in `system`: its own payments' unallocated part,
    the other system's payments whole unless they are linked to one of `system`'s."""
    own_links = payments.filter(pl.col("system") == system)["linked_to"].drop_nulls()
    candidates = payments.filter(
        (pl.col("system") == system)
        | pl.col("linked_to").is_null()
        | ~pl.col("linked_to").is_in(own_links.implode())
    ).with_columns(
        pl.when(pl.col("system") == system)
        .then(pl.col("unallocated"))
        .otherwise(pl.col("amount"))
        .alias("amount")
    )
    return match_payments(candidates, invoices.filter(pl.col("system") == system), config)


def _payment_results(
    allocations: pl.DataFrame, system: str, invoice_entity: str
) -> Iterable[MatchResult]:
    for row in allocations.iter_rows(named=True):
        pay_system, pay_key = row["payment_id"].split(":", 1)
        inv_system, inv_key = row["invoice_id"].split(":", 1)
        yield MatchResult(
            kind="payment",
            group_id=f"{system}:{row['match_id']}",
            score=row["score"],
            status=row["status"],
            left=(pay_system, "payment", pay_key),
            right=(inv_system, invoice_entity, inv_key),
            amount=row["allocated_amount"],
            rules=tuple(row["rules"]),
            detail={"write_off": str(row["write_off_amount"]), "invoices_of": system},
        )


# 3. Anomalies --------------------------------------------------------------------------


@dataclass(frozen=True)
class AnomalySummary:
    scored: int = 0
    flagged: int = 0


def anomaly_step(
    transactions: Mapping[tuple[str, str], pl.DataFrame], config: AnomalyConfig
) -> StepOutput[AnomalySummary]:
    """Scores each (system, invoice entity)'s transactions; ``anomaly`` results."""
    results: list[MatchResult] = []
    problems: list[StepProblem] = []
    scored_count = 0
    for (system, entity), frame in transactions.items():
        if frame.is_empty():
            continue
        scored = attempt(
            "anomalies", f"scoring {system} {entity}s", problems, score_transactions, frame, config
        )
        if scored is None:
            continue
        scored_count += scored.height
        for row in scored.filter(pl.col("is_anomaly")).iter_rows(named=True):
            results.append(
                MatchResult(
                    kind="anomaly",
                    group_id=f"{system}:{entity}:{row['transaction_id']}",
                    score=min(max(row["anomaly_score"], 0.0), 1.0),
                    status="flagged",
                    left=(system, entity, row["transaction_id"]),
                    amount=Decimal(str(row["gross_amount"])),
                    rules=tuple(row["rules"]),
                    detail={"reasons": list(row["reasons"])},
                )
            )
    summary = AnomalySummary(scored=scored_count, flagged=len(results))
    return StepOutput(summary, tuple(results), problems=tuple(problems))


# 4. GL suggestions ---------------------------------------------------------------------


@dataclass(frozen=True)
class GLConfig:
    """How GL suggestions are made."""

    min_history: int = 30
    """Labelled Sage lines (of two accounts or more) needed before a model is trained;
    with fewer, suggestions come from the nominal mapping table alone."""
    top_k: int = 3


@dataclass(frozen=True)
class GLSummary:
    history: int = 0
    """Labelled Sage purchase lines learnt from."""
    lines: int = 0
    """KashFlow purchase lines not yet in Sage, to suggest for."""
    suggested: int = 0
    source: str = "mapping"
    """"model" (trained on history), "unlabelled" (too little history, but at least
    `min_history` lines to suggest for and a chart: learnt from those lines without their
    accounts) or "mapping" (the mapping table, and the chart of accounts when there is one)."""


@dataclass(frozen=True)
class GLFrames:
    """Labelled Sage lines, KashFlow lines to suggest for, and the nominal mapping
    (`matcher.frames.GL_LINE_SCHEMA`, `matcher.frames.PENDING_LINE_SCHEMA`)."""

    history: pl.DataFrame
    pending: pl.DataFrame
    mapping: Mapping[str, str] = field(default_factory=dict)
    chart: Mapping[str, str] = field(default_factory=dict)
    """Sage 100 account -> its description: with too little history, the suggestion
    is chosen among the mapped account's siblings by the line's text."""


def train_suggester(
    history: pl.DataFrame,
    mapping: Mapping[str, str],
    config: GLConfig,
    chart: Mapping[str, str] | None = None,
    pending: pl.DataFrame | None = None,
) -> tuple[GLSuggester, str]:
    """A suggester trained on `history`; with too little history, one that learns the
    chart's accounts from the `pending` lines themselves (unlabelled), or the mapping
    table alone; with a note why."""
    suggester = GLSuggester(mapping, chart=chart)
    accounts = history["gl_account"].n_unique()
    if history.height < config.min_history or accounts < 2:
        thin = (
            f"too little history ({history.height} labelled Sage lines, {accounts} accounts;"
            f" {config.min_history} lines of two accounts needed)"
        )
        if chart and pending is not None and pending.height >= config.min_history:
            try:
                suggester.learn_unlabelled(pending, halves=False)
            except ValueError as error:
                return GLSuggester(mapping, chart=chart), (
                    f"{thin}; unlabelled learning failed ({error}): from the mapping table"
                )
            return suggester, (
                f"{thin}: learnt from {pending.height} unlabelled lines and the chart of"
                " accounts (confidence uncalibrated)"
            )
        return suggester, f"{thin}: suggested from the nominal mapping table"
    try:
        suggester.fit(history)
    except ValueError as error:  # e.g. descriptions too sparse for the vocabularies
        return (
            GLSuggester(mapping, chart=chart),
            f"model not trained ({error}): from the mapping table",
        )
    return suggester, f"model trained on {history.height} labelled Sage lines"


def gl_step(frames: GLFrames, config: GLConfig) -> StepOutput[GLSummary]:
    """Suggests Sage GL accounts for KashFlow purchase lines; ``gl_suggestion`` results."""
    suggester, note = train_suggester(
        frames.history, frames.mapping, config, frames.chart, frames.pending
    )
    lines = frames.pending
    results: list[MatchResult] = []
    if not lines.is_empty():
        suggestions = suggester.suggest(lines, config.top_k)
        for (line,), top in suggestions.sort("line", "rank").group_by("line", maintain_order=True):
            results.append(_gl_result(lines.row(line, named=True), top, note))
    summary = GLSummary(
        history=frames.history.height,
        lines=lines.height,
        suggested=len(results),
        source=(
            "model"
            if suggester.is_fitted
            else "unlabelled"
            if suggester.unlabelled is not None
            else "mapping"
        ),
    )
    return StepOutput(summary, tuple(results))


def _gl_result(pending: dict[str, Any], top: pl.DataFrame, note: str) -> MatchResult:
    best = top.row(0, named=True)
    return MatchResult(
        kind="gl_suggestion",
        group_id=pending["id"],
        score=min(max(best["probability"], 0.0), 1.0),
        status="suggested",
        left=("kashflow", "purchase_invoice", pending["purchase_key"]),
        right=("sage100", "gl_account", best["gl_account"]),
        amount=pending["net"],
        rules=(best["source"],),
        detail={
            "line_no": pending["line_no"],
            "top": [
                [account, round(probability, 4)]
                for account, probability in top.select("gl_account", "probability").iter_rows()
            ],
            "source": best["source"],
            "note": note,
        },
    )
