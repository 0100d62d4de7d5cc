"""Dead letters: what could not be read, stored or written, with the record, field and
message; retried one at a time or all at once once the cause is fixed.

A retry is a decision of kind ``retry`` about the dead letter (who asked, when), and then:
for a CDC dead letter, a poll of its stream is asked of the workers (`request_poll`), so
the record is read again; a writer dead letter's retry is asked through the writer's own
`writer.dead_letters.request_retry` (refused once its write has landed), and the applier
picks it up on its next pass.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, Literal

import psycopg
from pydantic import BaseModel, Field

from api.services.decisions import DecisionOut, RecordRef, check_reason, decide
from api.services.errors import Conflict
from api.services.pages import Listing, Page
from api.services.texts import Name
from writer.dead_letters import request_retry

NEWEST = 2**62
PollRequest = Callable[[str, str, str], "int | None"]
"""Asks the workers to poll (system, entity) now, for a reason; returns the job id or None
(a poll is queued already, or the stream is not one CDC polls)."""
DeadLetterStatus = Literal["open", "retry_requested"]


class DeadLetterOut(BaseModel):
    id: int
    stage: str = Field(examples=["cdc"])
    record: RecordRef | None
    idempotency_key: str | None = None
    error_type: str = Field(examples=["ValidationFailed"])
    field: str | None = Field(examples=["lines.0.net_amount"])
    message: str = Field(examples=["net_amount: Input should be a valid decimal"])
    payload: Any | None = None
    run_id: int | None
    created_at: datetime
    status: DeadLetterStatus
    retry_requested_by: str | None = None
    retry_requested_at: datetime | None = None


class DeadLetterPage(Page[DeadLetterOut]):
    pass


class DeadLetterFilters(BaseModel):
    stage: Name = None
    system: Name = None
    entity: Name = None
    status: DeadLetterStatus | None = None


class RetryOut(BaseModel):
    decision: DecisionOut
    poll_job: int | None = Field(default=None, description="The poll queued, if one was.")
    action: str = Field(
        description="What the retry set in motion.", examples=["poll queued for sage100:customer"]
    )


class RetryAllOut(BaseModel):
    retried: list[RetryOut]
    polls_queued: int


def _out(row: Any) -> DeadLetterOut:
    (letter_id, stage, system, entity, key, idempotency, error_type, field, message, payload,
     run_id, created_at, actor, asked_at) = row  # fmt: skip
    return DeadLetterOut(
        id=letter_id, stage=stage,
        record=(
            RecordRef(system=system, entity=entity, key=key)
            if system and entity and key else None
        ),
        idempotency_key=idempotency, error_type=error_type, field=field, message=message,
        payload=payload, run_id=run_id, created_at=created_at,
        status="retry_requested" if actor else "open",
        retry_requested_by=actor, retry_requested_at=asked_at,
    )  # fmt: skip


DEAD_LETTERS = Listing(
    "dead-letters", "dead_letters_page", {"before": NEWEST}, _out,
    defaults={"dead_letter_id": None, "stage": None, "system": None, "entity": None,
              "status": None},
)  # fmt: skip


def list_dead_letters(
    conn: psycopg.Connection[Any],
    filters: DeadLetterFilters,
    cursor: str | None = None,
    limit: int = 50,
) -> DeadLetterPage:
    """What could not be read, stored or written, newest first, with field and message."""
    items, next_cursor = DEAD_LETTERS.page(conn, cursor, limit, **filters.model_dump())
    return DeadLetterPage(items=items, next_cursor=next_cursor)


def get_dead_letter(conn: psycopg.Connection[Any], letter_id: int) -> DeadLetterOut:
    return DEAD_LETTERS.one(conn, f"no dead letter {letter_id}", dead_letter_id=letter_id)


def _retry(
    conn: psycopg.Connection[Any],
    letter: DeadLetterOut,
    actor: str,
    request_poll: PollRequest | None,
    polled: dict[tuple[str, str], int | None],
    reason: str | None,
) -> RetryOut:
    if letter.stage == "writer" and letter.idempotency_key:
        try:
            asked = request_retry(conn, letter.id, actor, check_reason(reason))
        except ValueError as refused:
            raise Conflict(str(refused)) from None
        decision = DecisionOut.of(asked)
    else:
        subject: dict[str, Any] = {
            "dead_letter_id": letter.id,
            "stage": letter.stage,
            "records": [letter.record.as_subject()] if letter.record else [],
        }
        if letter.idempotency_key:
            subject["idempotency_key"] = letter.idempotency_key
        decision = decide(conn, "retry", subject, "requested", actor, reason)
    job = None
    if letter.stage == "cdc" and letter.record is not None:
        stream = (letter.record.system, letter.record.entity)
        if request_poll is None:
            action = "retry recorded; no job queue here to poll the stream"
        elif stream in polled:
            job = polled[stream]
            action = f"poll of {stream[0]}:{stream[1]} asked for already"
        else:
            job = polled[stream] = request_poll(*stream, f"retry dead letter {letter.id}")
            action = f"poll queued for {stream[0]}:{stream[1]}"
    elif letter.idempotency_key:
        action = f"the applier retries {letter.idempotency_key} on its next pass"
    else:
        action = "retry recorded"
    return RetryOut(decision=decision, poll_job=job, action=action)


def retry_dead_letter(
    conn: psycopg.Connection[Any],
    letter_id: int,
    actor: str,
    request_poll: PollRequest | None = None,
    reason: str | None = None,
) -> RetryOut:
    letter = get_dead_letter(conn, letter_id)
    if letter.status == "retry_requested":
        raise Conflict(f"a retry of dead letter {letter_id} was asked for already")
    return _retry(conn, letter, actor, request_poll, {}, reason)


def retry_all_dead_letters(
    conn: psycopg.Connection[Any],
    actor: str,
    request_poll: PollRequest | None = None,
    filters: DeadLetterFilters | None = None,
    reason: str | None = None,
) -> RetryAllOut:
    """Retries every open dead letter (under `filters`); one poll per stream at most."""
    chosen = (filters or DeadLetterFilters()).model_copy(update={"status": "open"})
    polled: dict[tuple[str, str], int | None] = {}
    retried = []
    before = NEWEST
    while True:
        rows = DEAD_LETTERS.rows(conn, before=before, limit=500, **chosen.model_dump())
        if not rows:
            break
        for row in rows:
            try:
                retried.append(_retry(conn, _out(row), actor, request_poll, polled, reason))
            except Conflict:
                continue  # a write that has landed since: nothing left to retry
        before = rows[-1][0]
    return RetryAllOut(retried=retried, polls_queued=sum(1 for job in polled.values() if job))
