"""Audit: one record's every version with the fields each changed (`ledger.diff`), the
writes it caused (and those made onto it) with their outcomes, and every decision taken on
it; and the state of everything as of any past instant, a page at a time."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, Literal

import psycopg
from psycopg.types.json import Jsonb
from pydantic import BaseModel, Field, TypeAdapter

from api.services.decisions import DecisionOut
from api.services.errors import InvalidRequest, NotFound
from api.services.pages import Listing, Page, check_limit
from api.services.sql import query
from api.services.texts import KeyText
from canonical import ENTITIES, SYSTEMS, System, canonical_json
from ledger import field_changes
from ledger.decisions import record_ref


class FieldChangeOut(BaseModel):
    field: str = Field(examples=["email"])
    kind: str = Field(examples=["changed"], description="added, removed or changed")
    before: Any = Field(default=None, examples=["old@example.com"])
    after: Any = Field(default=None, examples=["new@example.com"])


class VersionOut(BaseModel):
    version: int
    operation: str = Field(examples=["upsert"])
    observed_at: datetime
    source_updated_at: datetime | None
    run_id: int | None
    content_hash: str
    payload: dict[str, Any] | None
    changes: list[FieldChangeOut] = Field(description="What changed from the version before.")


class WriteOut(BaseModel):
    intent_id: int
    idempotency_key: str
    target_system: str
    entity: str
    operation: str
    target_key: str | None
    requires_approval: bool
    planned_at: datetime
    status: str | None = Field(description="The newest outcome: succeeded, failed_permanent ...")
    error: Any | None = None
    outcome_at: datetime | None = None
    direction: str = Field(description="caused: planned from this record; onto: written to it.")


class AuditOut(BaseModel):
    system: str
    entity: str
    key: str
    versions: list[VersionOut]
    writes: list[WriteOut]
    decisions: list[DecisionOut]


class AsOfRecord(BaseModel):
    system: str
    entity: str
    key: str
    version: int
    observed_at: datetime
    content_hash: str
    payload: dict[str, Any]


class AsOfPage(Page[AsOfRecord]):
    at: datetime


def record_audit(conn: psycopg.Connection[Any], system: str, entity: str, key: str) -> AuditOut:
    """One record's versions with their field diffs, the writes it caused and those made
    onto it, and the decisions taken on it."""
    row = conn.execute(query("record_audit"), audit_parameters(system, entity, key)).fetchone()
    return _audit_of(row, system, entity, key)


async def read_record_audit(
    conn: psycopg.AsyncConnection[Any], system: str, entity: str, key: str
) -> bytes:
    """`record_audit` on an async connection (the JSON API's), as JSON: one query."""
    found = await conn.execute(query("record_audit"), audit_parameters(system, entity, key))
    return _audit_of(await found.fetchone(), system, entity, key).model_dump_json().encode()


def audit_parameters(system: str, entity: str, key: str) -> dict[str, Any]:
    """The parameters of `record_audit` for one record (the bench explains the same)."""
    if entity not in ENTITIES:
        raise InvalidRequest(
            f"unknown entity {entity!r}; one of {', '.join(ENTITIES)}", field="entity"
        )
    if system not in SYSTEMS:
        raise InvalidRequest(f"unknown system {system!r}", field="system")
    return {
        "system": system, "entity": entity, "key": key,
        "source_pattern": f"%:{system}:{entity}:{_like(key)}:v%",
        "subject": Jsonb({"records": [record_ref(system, entity, key)]}, canonical_json),
    }  # fmt: skip


def _audit_of(row: Any, system: str, entity: str, key: str) -> AuditOut:
    """The audit from the row `record_audit` read: the versions' field diffs worked out."""
    versions = json.loads(row[0])
    if not versions:
        raise NotFound(f"no versions of {system} {entity} {key!r} in the ledger", field="key")
    before: dict[str, Any] | None = None
    for version in versions:
        version["changes"] = [
            FieldChangeOut(
                field=c.field,
                kind=c.kind,
                before=None if c.kind == "added" else c.before,
                after=None if c.kind == "removed" else c.after,
            )
            for c in field_changes(before, version["payload"])
        ]
        before = version["payload"]
    return AuditOut.model_validate({
        "system": system, "entity": entity, "key": key, "versions": versions,
        "writes": json.loads(row[1]), "decisions": json.loads(row[2]),
    })  # fmt: skip


def _like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _as_of_record(row: Any) -> AsOfRecord:
    return AsOfRecord(
        system=row[0], entity=row[1], key=row[2], version=row[3], payload=row[4],
        content_hash=row[5], observed_at=row[6],
    )  # fmt: skip


EntityName: Any = Literal[ENTITIES]
"""One of `ENTITIES`, the labels of the enum `ledger.entity` (typed Any: mypy takes no
Literal of a tuple's names, pydantic does)."""
AS_OF = Listing(
    "as-of", "records_as_of_page",
    {"after_system": "kashflow", "after_entity": "customer", "after_key": ""}, _as_of_record,
    sort_key=TypeAdapter(tuple[System, EntityName, KeyText]),
)  # fmt: skip
"""Starts before the smallest (system, entity, key) there is: enums sort in their declared
order, and a cursor's system and entity must be theirs (the query casts them)."""


def records_as_of(
    conn: psycopg.Connection[Any],
    at: datetime,
    system: str | None = None,
    entity: str | None = None,
    cursor: str | None = None,
    limit: int = 50,
) -> AsOfPage:
    """The state of everything as the ledger had observed it at `at`, in key order."""
    check_limit(limit)
    if at.tzinfo is None:
        raise InvalidRequest("ts needs a time zone (e.g. 2026-01-31T17:00:00Z)", field="ts")
    if entity is not None and entity not in ENTITIES:
        raise InvalidRequest(f"unknown entity {entity!r}", field="entity")
    after = AS_OF.after(cursor, limit)
    try:
        items, next_cursor = AS_OF.read(conn, after, limit, at=at, system=system, entity=entity)
    except psycopg.errors.InvalidTextRepresentation:
        conn.rollback()
        raise InvalidRequest(f"unknown system {system!r}", field="system") from None
    return AsOfPage(items=items, next_cursor=next_cursor, at=at)
