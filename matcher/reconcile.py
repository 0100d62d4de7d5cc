"""Reconciling two systems' records: links masters, pairs payments, flags anomalies and
suggests GL accounts, as pure functions of the current canonical records and links.

`run_steps(inputs, config)` builds each step's frames (`matcher.frames`) from a
`ReconcileInput` and runs the steps (`matcher.steps`) in order: masters first, and the
``auto`` links found there count as links for the steps after, so those see both
systems' counterparties as one. A step that fails is a `StepProblem` and the others
still run. Reading the ledger and appending the run, its links and its results is the
shell's work (`ledgerbridge.reconcile`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar

import polars as pl

import canonical
from ledger import IdentityLink, MatchResult
from ledger.decisions import AcceptedAccount
from matcher.anomalies import AnomalyConfig
from matcher.frames import (
    Invoice,
    gl_history_frame,
    invoice_frame,
    nominal_map,
    party_frame,
    payment_frame,
    pending_line_frame,
    product_frame,
    same_purchases,
    shared_ids,
    supplier_names,
    transaction_frame,
)
from matcher.gl_feedback import accepted_frame
from matcher.masters import MasterConfig
from matcher.payments import MatchConfig
from matcher.steps import (
    AnomalySummary,
    GLConfig,
    GLFrames,
    GLSummary,
    MasterFrames,
    MasterSummary,
    PaymentFrames,
    PaymentSummary,
    StepOutput,
    StepProblem,
    anomaly_step,
    gl_step,
    master_step,
    payment_step,
)

__all__ = [
    "AnomalySummary",
    "GLConfig",
    "GLSummary",
    "MasterSummary",
    "ReconcileConfig",
    "ReconcileInput",
    "ReconcileOutcome",
    "ReconcileSummary",
    "StepProblem",
    "run_steps",
]

R = TypeVar("R", bound=canonical.CanonicalRecord)
Summary = TypeVar("Summary")

MASTER_ENTITIES = ("customer", "supplier", "product")
PAIRINGS = (
    ("receipt", "sales_invoice", "customer"),
    ("supplier_payment", "purchase_invoice", "supplier"),
)
"""(payment kind, the invoices it settles, the counterparty's entity)."""
STEPS = ("masters", "payments", "anomalies", "gl")
"""The steps of a run, in order."""


@dataclass(frozen=True)
class ReconcileConfig:
    """Settings of every step of a reconcile run."""

    payments: MatchConfig = field(default_factory=MatchConfig)
    masters: MasterConfig = field(default_factory=MasterConfig)
    anomalies: AnomalyConfig = field(default_factory=AnomalyConfig)
    gl: GLConfig = field(default_factory=GLConfig)


@dataclass(frozen=True)
class ReconcileInput:
    """What a run looks at: the current records of both systems and the links in force."""

    records: Mapping[str, Sequence[canonical.CanonicalRecord]]
    """entity -> the current records of both systems, by system and key."""
    links: Sequence[IdentityLink] = ()
    """Identity links in force, by entity and keys."""
    withdrawn: Mapping[str, frozenset[tuple[str, str]]] = field(default_factory=dict)
    """entity -> (kashflow_key, sage100_key) pairs someone unlinked."""
    accepted_gl: Sequence[AcceptedAccount] = ()
    """GL suggestions people accepted: labelled lines the suggester learns from too."""

    def of(self, entity: str, kind: type[R], system: str | None = None) -> list[R]:
        """The records of one entity (of one system, or both), as their canonical type."""
        return [
            record
            for record in self.records.get(entity, ())
            if isinstance(record, kind) and (system is None or record.system == system)
        ]

    def links_of(self, entity: str) -> list[IdentityLink]:
        return [link for link in self.links if link.entity == entity]


@dataclass(frozen=True)
class ReconcileOutcome:
    """What the steps found: summaries, results (in step order), new links, problems."""

    masters: tuple[MasterSummary, ...]
    payments: PaymentSummary
    anomalies: AnomalySummary
    gl: GLSummary
    results: tuple[MatchResult, ...]
    links: tuple[IdentityLink, ...]
    problems: tuple[StepProblem, ...]


@dataclass(frozen=True)
class ReconcileSummary:
    """What one reconcile run did, step by step (payment counts at the top level)."""

    run_id: int
    payments: int
    invoices: int
    allocations: int
    auto: int
    suggested: int
    masters: tuple[MasterSummary, ...] = ()
    links_appended: int = 0
    anomalies: AnomalySummary = field(default_factory=AnomalySummary)
    gl: GLSummary = field(default_factory=GLSummary)
    problems: tuple[StepProblem, ...] = ()
    """What could not be done (records that could not be read, steps that failed)."""

    @property
    def status(self) -> str:
        """ "succeeded", or "partial" when there were problems."""
        return "partial" if self.problems else "succeeded"

    def counts(self) -> dict[str, Any]:
        """The run's counts as the ledger records them with its end."""
        return {
            "masters": {
                m.entity: {
                    "already_linked": m.already_linked,
                    "auto": m.auto,
                    "suggested": m.suggested,
                    "unlinked_kashflow": m.unlinked_kashflow,
                    "unlinked_sage100": m.unlinked_sage100,
                }
                for m in self.masters
            },
            "links_appended": self.links_appended,
            "payments": self.payments,
            "invoices": self.invoices,
            "allocations": self.allocations,
            "auto": self.auto,
            "suggested": self.suggested,
            "anomalies": {"scored": self.anomalies.scored, "flagged": self.anomalies.flagged},
            "gl": {
                "history": self.gl.history,
                "lines": self.gl.lines,
                "suggested": self.gl.suggested,
                "source": self.gl.source,
            },
            "problems": [problem.as_json() for problem in self.problems],
        }


def run_steps(inputs: ReconcileInput, config: ReconcileConfig | None = None) -> ReconcileOutcome:
    """Runs every step over `inputs`; a step that fails is a problem, the others run."""
    cfg = config or ReconcileConfig()
    problems: list[StepProblem] = []
    masters = _run(
        "masters",
        problems,
        StepOutput[tuple[MasterSummary, ...]](()),
        lambda: master_step(master_frames(inputs), cfg.masters),
    )
    links = sorted(
        [*inputs.links, *masters.links],
        key=lambda link: (link.entity, link.kashflow_key, link.sage100_key),
    )
    linked = replace(inputs, links=links)
    payments = _run(
        "payments",
        problems,
        StepOutput(PaymentSummary()),
        lambda: payment_step(payment_frames(linked), cfg.payments),
    )
    anomalies = _run(
        "anomalies",
        problems,
        StepOutput(AnomalySummary()),
        lambda: anomaly_step(transaction_frames(linked), cfg.anomalies),
    )
    gl = _run("gl", problems, StepOutput(GLSummary()), lambda: gl_step(gl_frames(linked), cfg.gl))
    return ReconcileOutcome(
        masters=masters.summary,
        payments=payments.summary,
        anomalies=anomalies.summary,
        gl=gl.summary,
        results=(*masters.results, *payments.results, *anomalies.results, *gl.results),
        links=masters.links,
        problems=tuple(problems),
    )


def _run(
    step: str,
    problems: list[StepProblem],
    failed: StepOutput[Summary],
    work: Callable[[], StepOutput[Summary]],
) -> StepOutput[Summary]:
    """The step's output with its problems added to `problems`; `failed` (nothing found)
    and one problem when the step as a whole raises."""
    try:
        output = work()
    except Exception as error:  # one step failing must not stop the others
        problems.append(StepProblem(step, f"step failed: {type(error).__name__}: {error}"))
        return failed
    problems.extend(output.problems)
    return output


def master_frames(inputs: ReconcileInput) -> list[MasterFrames]:
    """Per entity, each side's records not yet linked, in the `link_masters` contract."""
    frames = []
    for entity in MASTER_ENTITIES:
        in_force = inputs.links_of(entity)
        linked = {("kashflow", link.kashflow_key) for link in in_force}
        linked |= {("sage100", link.sage100_key) for link in in_force}
        sides = []
        for system in canonical.ACCOUNTING_SYSTEMS:
            if entity == "product":
                products = inputs.of(entity, canonical.Product, system)
                sides.append(product_frame(p for p in products if (system, p.key) not in linked))
            else:
                kind: type[canonical.Customer | canonical.Supplier] = (
                    canonical.Customer if entity == "customer" else canonical.Supplier
                )
                parties = inputs.of(entity, kind, system)
                sides.append(party_frame(p for p in parties if (system, p.key) not in linked))
        kashflow, sage100 = sides
        withdrawn = inputs.withdrawn.get(entity, frozenset())
        frames.append(MasterFrames(entity, kashflow, sage100, len(in_force), withdrawn))
    return frames


def payment_frames(inputs: ReconcileInput) -> list[PaymentFrames]:
    """Per payment kind, its payments and the invoices they settle, both systems'."""
    payment_links = shared_ids(inputs.links_of("payment"))
    frames = []
    for kind, invoice_entity, party_entity in PAIRINGS:
        parties = shared_ids(inputs.links_of(party_entity))
        payments = [p for p in inputs.of("payment", canonical.Payment) if p.kind == kind]
        invoices: list[Invoice] = [
            *inputs.of(invoice_entity, canonical.SalesInvoice),
            *inputs.of(invoice_entity, canonical.PurchaseInvoice),
        ]
        frames.append(
            PaymentFrames(
                invoice_entity,
                payment_frame(payments, parties, payment_links),
                invoice_frame(invoices, parties),
            )
        )
    return frames


def transaction_frames(inputs: ReconcileInput) -> dict[tuple[str, str], pl.DataFrame]:
    """(system, invoice entity) -> its invoices in the `score_transactions` contract."""
    frames: dict[tuple[str, str], pl.DataFrame] = {}
    for system in canonical.ACCOUNTING_SYSTEMS:
        frames[(system, "sales_invoice")] = transaction_frame(
            inputs.of("sales_invoice", canonical.SalesInvoice, system)
        )
        frames[(system, "purchase_invoice")] = transaction_frame(
            inputs.of("purchase_invoice", canonical.PurchaseInvoice, system)
        )
    return frames


def gl_frames(inputs: ReconcileInput) -> GLFrames:
    """Labelled Sage purchase lines, the lines of KashFlow purchases not yet in Sage, and
    the nominal mapping between the two charts of accounts."""
    suppliers = shared_ids(inputs.links_of("supplier"))
    names = supplier_names(inputs.of("supplier", canonical.Supplier))
    kashflow = {
        p.key: p for p in inputs.of("purchase_invoice", canonical.PurchaseInvoice, "kashflow")
    }
    sage100 = inputs.of("purchase_invoice", canonical.PurchaseInvoice, "sage100")
    pairs = same_purchases(kashflow.values(), sage100, suppliers)
    return GLFrames(
        history=pl.concat(
            [
                gl_history_frame(sage100, pairs, kashflow, suppliers, names),
                accepted_frame(inputs.accepted_gl),  # what people chose teaches the model
            ]
        ),
        pending=pending_line_frame(
            (invoice for key, invoice in kashflow.items() if key not in pairs), names
        ),
        mapping=nominal_map(
            inputs.of("gl_account", canonical.GLAccount, "kashflow"),
            inputs.of("gl_account", canonical.GLAccount, "sage100"),
        ),
        chart={
            a.key: a.name
            for a in inputs.of("gl_account", canonical.GLAccount, "sage100")
            if a.active
        },
    )
