"""Customers, suppliers and products both ways, merged field by field.

For each pair of records known to be the same (an identity link, or a record we created
from the other side) the merge base is what the last write between them agreed: the
newest intent to either side. A field changed on one side since then flows to the other;
changed on both to different values is a conflict, resolved by the system of record of
the field (rules) and recorded (`Conflict`, appended to `ledger.decision` by
`writer.plan.record_conflicts`). Before the first write there is no base: a difference
is settled by the system of record, and recorded the same way.

Loop prevention: a side we wrote to counts as holding what we wrote until its next
version is read after the write succeeded; that version, when it is our write coming
back, equals the base and changes nothing. Values compare as both systems hold them
(`writer.rules.comparable`), so a value one side cannot hold exactly is no change.

A record with no counterpart is created on the other side, under the key that side
would give it; if a record already holds that key there, nothing is created: the pair
needs a link (`ledgerbridge reconcile`, or a confirmed match) first.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from canonical import CanonicalRecord, Customer, Supplier
from connectors.sage100 import keys
from ledger import StoredVersion
from writer.flows.base import Conflict, FlowPlan, Planner, Source
from writer.flows.state import LedgerState, PriorIntent
from writer.rules import MasterRules, comparable
from writer.rules.model import System

MasterEntity = Literal["customer", "supplier", "product"]
MASTER_ENTITIES: tuple[MasterEntity, ...] = ("customer", "supplier", "product")
OTHER: dict[System, System] = {"kashflow": "sage100", "sage100": "kashflow"}


def flow_name(entity: str, target: System) -> str:
    return f"{entity}_to_{target}"


def plan_masters(planner: Planner, entity: MasterEntity) -> FlowPlan:
    """Creates and updates of `entity` both ways; adds them to `planner.plan`."""
    state, rules = planner.state, planner.rules.masters.of(entity)
    flows = (flow_name(entity, "sage100"), flow_name(entity, "kashflow"))
    pairs = state.pairs(entity, flows)
    kashflow = state.of_entity("kashflow", entity)
    sage100 = state.of_entity("sage100", entity)
    for kashflow_key, sage100_key in sorted(pairs.items()):
        left, right = kashflow.get(kashflow_key), sage100.get(sage100_key)
        if left is not None and right is not None:
            _merge_pair(planner, entity, rules, left, right)
    paired_sage = set(pairs.values())
    for key, version in sorted(kashflow.items()):
        if key not in pairs:
            _create(planner, entity, version, "sage100")
    for key, version in sorted(sage100.items()):
        if key not in paired_sage:
            _create(planner, entity, version, "kashflow")
    return planner.plan


def counterpart_key(entity: str, record: CanonicalRecord, target: System, division: str) -> str:
    """The key `target` gives a record created from the other system."""
    if target == "sage100":
        if entity == "customer":
            return keys.customer_key(*_with_division(keys.customer_no_for(record.key), division))
        if entity == "supplier":
            return keys.vendor_key(*_with_division(keys.vendor_no_for(record.key), division))
        return keys.item_code_for(record.key)
    if isinstance(record, Customer | Supplier) and record.party_number:
        return record.party_number
    return record.key


def _with_division(parts: tuple[str, str], division: str) -> tuple[str, str]:
    return (division, parts[1]) if parts[0] == keys.DEFAULT_DIVISION else parts


def _create(planner: Planner, entity: MasterEntity, version: StoredVersion, target: System) -> None:
    flow = flow_name(entity, target)
    source = Source(version.system, entity, version.native_key, version.version)
    if planner.state.written_from(flow, version.system, version.native_key):
        return  # created before: the new version flows as an update once paired
    record = version.record()
    division = planner.rules.enrichment.default_division
    try:
        key = counterpart_key(entity, record, target, division)
    except ValueError as exc:
        planner.reject(flow, source, "key", str(exc))
        return
    if planner.state.version(target, entity, key) is not None:
        planner.reject(
            flow,
            source,
            "key",
            f"{target} already holds {entity} {key} but no link says it is this record:"
            " link them (ledgerbridge reconcile, or confirm the match) before syncing",
        )
        return
    update: dict[str, Any] = {"system": target, "key": key}
    if isinstance(record, Customer | Supplier):
        update["party_number"] = keys.split_party_key(key)[1] if target == "sage100" else key
    created = type(record).model_validate({**record.model_dump(), **update})
    enrich = planner.salesperson() if target == "sage100" and entity == "customer" else ()
    created = _only_flowing(created, target, planner, entity)
    planner.intent(flow, "create", created, source, native_fields=enrich)


def _only_flowing(
    created: CanonicalRecord, target: System, planner: Planner, entity: MasterEntity
) -> CanonicalRecord:
    """A created record carries the fields that flow to its system; others keep defaults."""
    rules = planner.rules.masters.of(entity)
    flowing = set(rules.flowing(target))
    blank = {
        name: info.default
        for name, info in type(created).model_fields.items()
        if name in rules.fields and name not in flowing and not info.is_required()
    }
    return created.model_copy(update=blank) if blank else created


def _merge_pair(
    planner: Planner,
    entity: MasterEntity,
    rules: MasterRules,
    kashflow: StoredVersion,
    sage100: StoredVersion,
) -> None:
    state = planner.state
    sides = {"kashflow": kashflow, "sage100": sage100}
    held = {system: _held(state, version) for system, version in sides.items()}
    last_write = _last_write(state, entity, kashflow.native_key, sage100.native_key)
    base = last_write.record() if last_write is not None else None
    fields = tuple(rules.fields)
    seen = {system: comparable(record, fields, planner.rules) for system, record in held.items()}
    agreed = _agreed(planner, entity, fields, base, kashflow.native_key, sage100.native_key)
    differing = tuple(f for f in fields if seen["kashflow"][f] != seen["sage100"][f])
    if differing:
        since = last_write.created_at if last_write is not None else None
        agreed.update(_agreed_since(planner, entity, differing, since, kashflow, sage100))
    updates: dict[System, dict[str, Any]] = {"kashflow": {}, "sage100": {}}
    conflicts: list[tuple[str, System]] = []
    for name in fields:
        if seen["kashflow"][name] == seen["sage100"][name]:
            continue
        changed: list[System] = [
            system for system in OTHER if name not in agreed or seen[system][name] != agreed[name]
        ]
        winner: System = changed[0] if len(changed) == 1 else rules.owner(name)
        loser = OTHER[winner]
        if name not in rules.flowing(loser):
            continue
        updates[loser][name] = getattr(held[winner], name)
        if len(changed) != 1:
            conflicts.append((name, winner))
    keys_by_target: dict[System, str] = {}
    for target, update in updates.items():
        if not update:
            continue
        source_version = sides[OTHER[target]]
        intent = planner.intent(
            flow_name(entity, target),
            "update",
            held[target].model_copy(update=update),
            Source(
                source_version.system, entity, source_version.native_key, source_version.version
            ),
        )
        if intent is not None:
            keys_by_target[target] = intent.idempotency_key
    for name, winner in conflicts:
        key = keys_by_target.get(OTHER[winner])
        if key is None:
            continue
        planner.plan.conflicts.append(
            Conflict(
                entity=entity,
                kashflow_key=kashflow.native_key,
                sage100_key=sage100.native_key,
                field=name,
                kashflow_value=getattr(held["kashflow"], name),
                sage100_value=getattr(held["sage100"], name),
                base_value=getattr(base, name) if base is not None else agreed.get(name),
                winner=winner,
                idempotency_key=key,
                first_sync=name not in agreed,
            )
        )


def _agreed(
    planner: Planner,
    entity: str,
    fields: tuple[str, ...],
    base: CanonicalRecord | None,
    kashflow_key: str,
    sage100_key: str,
) -> dict[str, Any]:
    """Field -> the value both sides agreed on at the last sync: the newest write between
    them; before any, the fields both held alike when they were linked. A field missing
    here has no base, and any difference in it is settled by its system of record."""
    if base is not None:
        return comparable(base, fields, planner.rules)
    snapshot = planner.state.linked_at.get((entity, kashflow_key, sage100_key))
    if snapshot is None:
        return {}
    left, right = (comparable(record, fields, planner.rules) for record in snapshot)
    return {name: left[name] for name in fields if left[name] == right[name]}


def _held(state: LedgerState, version: StoredVersion) -> CanonicalRecord:
    """What a side holds, for the merge: its current record, or, while our newest write to
    it has not come back (not applied yet, or applied but not read since), that write."""
    written = state.intents_to(version.system, version.entity, version.native_key)
    if written:
        newest = written[-1]
        if not _came_back(newest, version):
            return newest.record()
    return version.record()


def _came_back(intent: PriorIntent, version: StoredVersion) -> bool:
    return (
        intent.status == "succeeded"
        and intent.outcome_at is not None
        and version.observed_at >= intent.outcome_at
    )


def _last_write(
    state: LedgerState, entity: str, kashflow_key: str, sage100_key: str
) -> PriorIntent | None:
    """The newest write between the pair (its record is what both agreed), or None."""
    written = [
        *state.intents_to("kashflow", entity, kashflow_key),
        *state.intents_to("sage100", entity, sage100_key),
    ]
    return max(written, key=lambda i: i.created_at) if written else None


def _agreed_since(
    planner: Planner,
    entity: str,
    fields: tuple[str, ...],
    since: datetime | None,
    kashflow: StoredVersion,
    sage100: StoredVersion,
) -> dict[str, Any]:
    """Fields both sides came to hold alike on their own after `since` (both set the same
    value between two syncs): that value is their base now. Read from both records'
    histories, in the order the ledger observed their versions."""
    history = planner.state.history
    if history is None:
        return {}
    events = sorted(
        [(v.observed_at, 0, v) for v in history("kashflow", entity, kashflow.native_key)]
        + [(v.observed_at, 1, v) for v in history("sage100", entity, sage100.native_key)],
        key=lambda event: (event[0], event[1]),
    )
    held: list[dict[str, Any] | None] = [None, None]
    agreed: dict[str, Any] = {}
    for observed_at, side, version in events:
        held[side] = (
            comparable(version.record(), fields, planner.rules)
            if version.operation == "upsert"
            else None
        )
        left, right = held
        if left is None or right is None or (since is not None and observed_at <= since):
            continue
        agreed.update({name: left[name] for name in fields if left[name] == right[name]})
    return agreed
