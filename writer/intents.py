"""Write intents: what a flow means to write to one system, keyed so it happens once.

A planner turns ledger state into `WriteIntent`s; the applier records each in
`ledger.write_intent` under its idempotency key before calling the target, and its
outcome in `ledger.write_outcome` after. The key is deterministic — flow, source record
and source version — so planning the same ledger state twice plans the same writes, and
a write already applied (or under way) is never applied again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from canonical import CanonicalRecord, System

Operation = Literal["create", "update", "delete"]


@dataclass(frozen=True)
class WriteIntent:
    """One write to one target system, from one version of one source record."""

    flow: str
    """The flow that planned it, e.g. ``sales_invoice_to_sage100``."""
    target_system: System
    operation: Operation
    record: CanonicalRecord
    """What to write, already in the target's terms (its system and key, mapped by rules)."""
    source_system: str
    source_entity: str
    source_key: str
    source_version: int
    depends_on: tuple[str, ...] = ()
    """Idempotency keys of intents that must succeed first (customer before invoice)."""
    requires_approval: bool = False
    warnings: tuple[str, ...] = field(default=())
    """What the plan changed on the way (a value cut to the target field's width, ...)."""
    native_fields: tuple[tuple[str, str], ...] = ()
    """Target columns the rules add that no canonical field carries (enrichment), as
    (column, value): e.g. Sage 100 ``SalespersonNo`` on a customer or invoice we create."""

    @property
    def entity(self) -> str:
        return self.record.entity

    @property
    def target_key(self) -> str:
        return self.record.key

    @property
    def idempotency_key(self) -> str:
        return idempotency_key(
            self.flow, self.source_system, self.source_entity, self.source_key, self.source_version
        )


def idempotency_key(
    flow: str, source_system: str, source_entity: str, source_key: str, source_version: int
) -> str:
    """The one key of a write: the same source version through the same flow, same key."""
    return f"{flow}:{source_system}:{source_entity}:{source_key}:v{source_version}"


@dataclass(frozen=True)
class SourceOf:
    """What an idempotency key says of its write: flow, source record and version."""

    flow: str
    system: str
    entity: str
    key: str
    version: int


def source_of(key: str) -> SourceOf:
    """Reads an idempotency key back (flows, systems and entities hold no colon; a source
    key may)."""
    flow, system, entity, rest = key.split(":", 3)
    source_key, _, version = rest.rpartition(":v")
    return SourceOf(flow, system, entity, source_key, int(version))
