"""What every action shares: the records a decision concerns, the decision as the API
shows it, the actor (the token's name), and the reconcile run whose results are "now"."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Annotated, Any

import psycopg
from pydantic import BaseModel, ConfigDict, Field

from api.services.errors import InvalidRequest, Unavailable
from api.services.sql import query
from api.services.texts import NameText, NoNul, RecordKey
from ledger.decisions import Decision, append_decision

REASON_MAX = 2000
ReasonText = Annotated[str, Field(max_length=REASON_MAX), NoNul] | None
"""Why, in a person's words, as a request's body gives it (optional)."""


class RecordRef(BaseModel):
    """One record of the ledger: its system, entity and key in that system."""

    system: str = Field(examples=["kashflow"])
    entity: str = Field(examples=["sales_invoice"])
    key: str = Field(examples=["10042"])

    def as_subject(self) -> dict[str, str]:
        return {"system": self.system, "entity": self.entity, "key": self.key}


class RecordRefIn(RecordRef):
    """A record a request's body names, in texts no longer than the ledger's (a record the
    API answers with may be a dead letter's, whose key no canonical record took)."""

    system: NameText = Field(examples=["kashflow"])
    entity: NameText = Field(examples=["sales_invoice"])
    key: RecordKey = Field(examples=["10042"])


class DecisionOut(BaseModel):
    """A decision as the ledger holds it: who, what, when, and why."""

    decision_id: int
    kind: str = Field(examples=["match"])
    outcome: str = Field(examples=["confirmed"])
    actor: str = Field(description="The name of the API token that decided.", examples=["jo"])
    reason: str | None = None
    created_at: datetime
    subject: dict[str, Any]

    model_config = ConfigDict(from_attributes=True)

    @classmethod
    def of(cls, decision: Decision) -> DecisionOut:
        return cls.model_validate(decision)


class DecisionIn(BaseModel):
    """Why, in a person's words (optional, kept with the decision)."""

    reason: ReasonText = Field(default=None, examples=["checked the remittance"])


def decide(
    conn: psycopg.Connection[Any],
    kind: str,
    subject: Mapping[str, Any],
    outcome: str,
    actor: str,
    reason: str | None,
) -> DecisionOut:
    """Appends the decision (who and when recorded by the ledger) and returns it."""
    reason = check_reason(reason)
    return DecisionOut.of(append_decision(conn, kind, subject, outcome, actor, reason))


def check_reason(reason: str | None) -> str | None:
    """The reason a person gave, refused when over `REASON_MAX` characters."""
    if reason is not None and len(reason) > REASON_MAX:
        raise InvalidRequest(f"reason is longer than {REASON_MAX} characters", field="reason")
    return reason


class RunRef(BaseModel):
    run_id: int
    started_at: datetime
    finished_at: datetime


def latest_run(conn: psycopg.Connection[Any], kind: str = "reconcile") -> RunRef | None:
    """The newest run of `kind` that succeeded, or None."""
    row = conn.execute(query("latest_run"), {"kind": kind}).fetchone()
    return None if row is None else RunRef(run_id=row[0], started_at=row[1], finished_at=row[2])


def required_run(conn: psycopg.Connection[Any]) -> RunRef:
    run = latest_run(conn)
    if run is None:
        raise Unavailable("no reconcile run has succeeded yet: run `ledgerbridge reconcile`")
    return run
