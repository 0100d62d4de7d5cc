"""Sync runs on demand and the continuous CDC schedule: `POST /sync/run` asks the workers
to poll streams now (`cdc.request_poll`: a stream already queued is not queued twice);
the schedule of each (system, entity) stream is read and set in the ledger
(`ledger.schedule`, append-only: the newest row per stream wins), as
`ledgerbridge schedule` does. Both are recorded as decisions of the token that asked."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any, Literal

import psycopg
from pydantic import BaseModel, Field

from api.services.decisions import DecisionOut, ReasonText, decide
from api.services.errors import InvalidRequest, Unavailable
from api.services.texts import NameText, NoNul, StreamName
from cdc.settings import CdcSettings, interval_text, parse_interval
from cdc.streams import STREAMS, Stream
from cdc.tasks import interval_of
from ledger.schedules import current_schedules, last_poll_starts, set_schedule

PollRequest = Callable[[str, str, str], "int | None"]
ScheduleSource = Literal["schedule", "configuration", "default"]


class ScheduleOut(BaseModel):
    stream: str = Field(examples=["sage100:customer"])
    system: str = Field(examples=["sage100"])
    entity: str = Field(examples=["customer"])
    interval: str = Field(description="30s, 5m, 1h, or off.", examples=["30s"])
    interval_seconds: int | None = Field(examples=[30])
    source: ScheduleSource = Field(
        description="Where the interval comes from: set in the ledger, configuration, default."
    )
    set_by: str | None = None
    set_at: datetime | None = None
    last_poll_started: datetime | None = None


IntervalText = Annotated[str, Field(max_length=20), NoNul]
"""A stream's interval as a person writes it: 30s, 5m, 1h, a number of seconds, or off."""


class ScheduleIn(BaseModel):
    system: NameText = Field(examples=["sage100"])
    entity: NameText = Field(examples=["customer"])
    interval: IntervalText = Field(description="30s, 5m, 1h, or off.", examples=["5m"])


class SchedulesIn(BaseModel):
    """The streams whose schedule changes (the others keep theirs)."""

    schedules: list[ScheduleIn] = Field(min_length=1, max_length=100)
    reason: ReasonText = None


class SchedulesOut(BaseModel):
    schedules: list[ScheduleOut]
    decision: DecisionOut | None = None


class SyncRunIn(BaseModel):
    streams: list[StreamName] | None = Field(
        default=None, max_length=100,
        description="system:entity of each stream to poll; all of them when omitted.",
        examples=[["sage100:customer", "kashflow:sales_invoice"]],
    )  # fmt: skip
    reason: ReasonText = None


class PollAsked(BaseModel):
    stream: str = Field(examples=["sage100:customer"])
    job: int | None = Field(description="The job queued; null when one was queued already.")


class SyncRunOut(BaseModel):
    polls: list[PollAsked]
    decision: DecisionOut


def stream_named(name: str, field: str) -> Stream:
    """The CDC stream `system:entity`; refused naming `field` when there is none."""
    system, _, entity = name.partition(":")
    for known in STREAMS:
        if (known.system, known.entity) == (system, entity):
            return known
    raise InvalidRequest(
        f"no CDC stream {name!r}; streams: {', '.join(s.name for s in STREAMS)}", field=field
    )


def list_schedules(conn: psycopg.Connection[Any], settings: CdcSettings) -> list[ScheduleOut]:
    """Every stream with its interval now, where it comes from and its last poll."""
    stored = current_schedules(conn)
    started = last_poll_starts(conn, "poll")
    shown = []
    for target in STREAMS:
        key = (target.system, target.entity)
        entry = stored.get(key)
        seconds = interval_of(target, settings, stored)
        source: ScheduleSource = (
            "schedule" if entry is not None
            else "configuration" if target.name in settings.intervals
            else "default"
        )  # fmt: skip
        shown.append(
            ScheduleOut(
                stream=target.name,
                system=target.system,
                entity=target.entity,
                interval=interval_text(seconds),
                interval_seconds=seconds,
                source=source,
                set_by=entry.set_by if entry else None,
                set_at=entry.created_at if entry else None,
                last_poll_started=started.get(key),
            )
        )
    return shown


def set_schedules(
    conn: psycopg.Connection[Any], change: SchedulesIn, actor: str, settings: CdcSettings
) -> SchedulesOut:
    """Sets the interval of each stream named (all checked before any is set)."""
    parsed = []
    for index, entry in enumerate(change.schedules):
        target = stream_named(f"{entry.system}:{entry.entity}", f"schedules.{index}.entity")
        try:
            seconds = parse_interval(entry.interval)
        except ValueError as bad:
            raise InvalidRequest(str(bad), field=f"schedules.{index}.interval") from None
        parsed.append((target, seconds))
    for target, seconds in parsed:
        set_schedule(conn, target.system, target.entity, seconds, set_by=actor)
    decision = decide(
        conn, "schedule",
        {"schedules": [{"stream": t.name, "interval_seconds": s} for t, s in parsed],
         "records": []},
        "set", actor, change.reason,
    )  # fmt: skip
    return SchedulesOut(schedules=list_schedules(conn, settings), decision=decision)


def request_sync(
    conn: psycopg.Connection[Any],
    asked: SyncRunIn,
    actor: str,
    request_poll: PollRequest | None,
) -> SyncRunOut:
    """Asks the workers to poll the streams named (all, in dependency order) now."""
    if request_poll is None:
        raise Unavailable("no job queue here: run `ledgerbridge worker` against this database")
    names = asked.streams or [s.name for s in STREAMS]
    targets = [stream_named(name, f"streams.{index}") for index, name in enumerate(names)]
    decision = decide(
        conn, "sync", {"streams": [t.name for t in targets], "records": []}, "requested", actor,
        asked.reason,
    )  # fmt: skip
    polls = [
        PollAsked(stream=t.name, job=request_poll(t.system, t.entity, f"api: {actor}"))
        for t in targets
    ]
    return SyncRunOut(polls=polls, decision=decision)
