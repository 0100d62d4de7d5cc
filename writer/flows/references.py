"""How a document flow finds, on the other side, what a source record refers to: the
counterpart of a customer, supplier, product or invoice, and the intent (planned now or
before) that creates it, which the document's intent then depends on.
"""

from __future__ import annotations

from dataclasses import dataclass

from writer.flows.base import Planner
from writer.flows.masters import flow_name
from writer.rules.model import System


@dataclass(frozen=True)
class Counterpart:
    """The key a referenced record has (or will have) in the target, and the intent
    creating it there when it is not there yet."""

    key: str
    depends_on: str | None = None


def master_counterpart(
    planner: Planner, entity: str, source_system: System, key: str
) -> Counterpart | None:
    """`key` of `source_system`'s `entity` on the other side: linked, created by an
    intent planned before or in this plan, or None when nothing says."""
    target: System = "sage100" if source_system == "kashflow" else "kashflow"
    flow = flow_name(entity, target)
    for intent in planner.plan.intents:
        if intent.flow == flow and intent.source_key == key and intent.operation == "create":
            return Counterpart(intent.target_key, intent.idempotency_key)
    pairs = planner.state.pairs(
        entity, (flow_name(entity, "sage100"), flow_name(entity, "kashflow"))
    )
    if source_system == "kashflow":
        other = pairs.get(key)
    else:
        other = next((left for left, right in pairs.items() if right == key), None)
    if other is None:
        return None
    pending = [
        i
        for i in planner.state.intents_from(flow, source_system, key)
        if i.operation == "create" and i.status != "succeeded" and not i.failed
    ]
    return Counterpart(other, pending[-1].idempotency_key if pending else None)
