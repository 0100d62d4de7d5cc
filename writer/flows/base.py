"""What a flow planner returns: write intents, the merge conflicts it resolved, and the
records it could not plan (with the record, the field and why), plus what every flow
shares: naming, approval routing and "already planned".
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, fields
from decimal import Decimal
from typing import Any

from canonical import CanonicalRecord, System
from writer.flows.state import LedgerState
from writer.intents import Operation, WriteIntent
from writer.rules import Rules, fit_record


@dataclass(frozen=True)
class Conflict:
    """A field changed on both sides since the last sync (or different before the first),
    resolved by the system of record. Recorded as a `ledger.decision` (kind
    ``merge_conflict``) by `writer.plan.record_conflicts`."""

    entity: str
    kashflow_key: str
    sage100_key: str
    field: str
    kashflow_value: Any
    sage100_value: Any
    base_value: Any
    """What both sides held after the last sync; None before the first."""
    winner: System
    idempotency_key: str
    """The intent that writes the winner's value to the other side."""
    first_sync: bool = False
    """No write between the pair yet: a difference, not a change on both sides."""

    def subject(self) -> dict[str, Any]:
        """The decision's subject: every field but the winner (the decision's outcome)."""
        return {
            f.name: _jsonable(getattr(self, f.name)) for f in fields(self) if f.name != "winner"
        }


def _jsonable(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, tuple):
        return list(value)
    return value


@dataclass(frozen=True)
class Rejection:
    """A source record no intent could be planned for, and why (one line)."""

    flow: str
    system: str
    entity: str
    key: str
    field: str | None
    message: str
    version: int | None = None
    """The version of the source record refused (a new version is judged anew)."""

    def line(self) -> str:
        where = f"{self.system} {self.entity} {self.key}"
        return (
            f"{where}: {self.field}: {self.message}" if self.field else f"{where}: {self.message}"
        )


@dataclass
class FlowPlan:
    """One or more flows' planned writes."""

    intents: list[WriteIntent] = field(default_factory=list)
    conflicts: list[Conflict] = field(default_factory=list)
    rejections: list[Rejection] = field(default_factory=list)

    def extend(self, other: FlowPlan) -> None:
        self.intents.extend(other.intents)
        self.conflicts.extend(other.conflicts)
        self.rejections.extend(other.rejections)


@dataclass(frozen=True)
class Source:
    """The version of the source record a write comes from."""

    system: str
    entity: str
    key: str
    version: int


class Planner:
    """Shared by the flows: builds intents (fitted, routed) and skips what is planned."""

    def __init__(self, state: LedgerState, rules: Rules, threshold: Decimal) -> None:
        self.state, self.rules = state, rules
        self.threshold = rules.routing.approval_threshold or threshold
        self.plan = FlowPlan()

    def intent(
        self,
        flow: str,
        operation: Operation,
        record: CanonicalRecord,
        source: Source,
        *,
        amount: Decimal | None = None,
        depends_on: tuple[str | None, ...] = (),
        warnings: tuple[str, ...] = (),
        native_fields: tuple[tuple[str, str], ...] = (),
    ) -> WriteIntent | None:
        """Plans one write, unless its idempotency key was planned before (then None).
        `depends_on` holds the idempotency keys of the intents it waits for (None: a
        record that waits for nothing, e.g. a counterpart that exists already).

        The record is fitted to its target (normalised, cut to widths with a warning); a
        value the rules refuse to cut rejects it instead."""
        if record.system not in ("kashflow", "sage100"):
            raise ValueError(f"{flow}: writes go to KashFlow or Sage 100, not {record.system}")
        fitted = fit_record(record, record.system, self.rules)
        if fitted.problems:
            for problem in fitted.problems:
                self.reject(flow, source, None, problem)
            return None
        intent = WriteIntent(
            flow=flow,
            target_system=record.system,
            operation=operation,
            record=fitted.record,
            source_system=source.system,
            source_entity=source.entity,
            source_key=source.key,
            source_version=source.version,
            depends_on=tuple(dict.fromkeys(key for key in depends_on if key)),
            requires_approval=self.needs_approval(flow, amount),
            warnings=(*warnings, *fitted.warnings),
            native_fields=native_fields,
        )
        if self.state.planned(intent.idempotency_key):
            return None
        self.plan.intents.append(intent)
        return intent

    def salesperson(self) -> tuple[tuple[str, str], ...]:
        """Enrichment of what we create in Sage 100: the default salesperson, if any."""
        rules = self.rules.enrichment
        if not rules.default_salesperson:
            return ()
        return (
            ("SalespersonDivisionNo", rules.salesperson_division),
            ("SalespersonNo", rules.default_salesperson),
        )

    def needs_approval(self, flow: str, amount: Decimal | None) -> bool:
        if amount is None or flow in self.rules.routing.exempt_flows:
            return False
        return abs(amount) > self.threshold

    def written_before(
        self,
        flow: str,
        source: Source,
        current: CanonicalRecord,
        compared: tuple[str, ...],
        field: str,
        why: Callable[[Any], str],
    ) -> bool:
        """Whether `flow` wrote this source record before (then nothing more is planned for
        it); if any of `compared` changed since, the change is refused with `why(written)`
        (a document posted once is corrected in the target by hand, never reposted)."""
        before = self.state.written_from(flow, source.system, source.key)
        if not before:
            return False
        written = before[-1].record()
        if any(getattr(written, f) != getattr(current, f) for f in compared):
            self.reject(flow, source, field, why(written))
        return True

    def reject(self, flow: str, source: Source, field: str | None, message: str) -> None:
        self.plan.rejections.append(
            Rejection(
                flow, source.system, source.entity, source.key, field, message, source.version
            )
        )
