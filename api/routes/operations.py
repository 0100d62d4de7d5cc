"""`/dead-letters`, `/audit`, `/sync`: what operations look into and set going again."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Body, Path, Query, Request, Response
from pydantic import TypeAdapter

from api.auth import Admin, Caller, Reader
from api.routes.common import BODY, DEFAULT, PATH, QUERY, Cursor, Inputs, Limit, NamePath, problems
from api.routes.listings import add_listing_route
from api.services import audit, dead_letters, runs, sync
from api.services.decisions import DecisionIn
from api.services.texts import KEY_MAX, Name, NoNul

router = APIRouter()
JSON = "application/json"
Id = Annotated[int, Path(ge=1, le=2**62)]
NameQuery = Annotated[Name, Query()]
KeyPath = Annotated[str, Path(max_length=KEY_MAX), NoNul]
RECORD_PATH: TypeAdapter[tuple[str, str, str]] = TypeAdapter(tuple[NamePath, NamePath, KeyPath])
"""The audit's path parameters (system, entity, key), checked as its route checks them."""


add_listing_route(router, "/dead-letters", dead_letters.list_dead_letters, tags=["dead-letters"])


@router.post(
    "/dead-letters/retry", response_model=dead_letters.RetryAllOut, responses=problems(403),
    tags=["dead-letters"],
)  # fmt: skip
async def retry_all(
    request: Request,
    who: Admin,
    stage: NameQuery = None,
    system: NameQuery = None,
    entity: NameQuery = None,
    body: Annotated[DecisionIn | None, Body()] = None,
) -> dead_letters.RetryAllOut:
    """Retry every open dead letter (of one stage, system or entity): one poll per stream."""
    filters = dead_letters.DeadLetterFilters(stage=stage, system=system, entity=entity)
    return await Inputs("query", reason="body.reason").located(who.run(
        dead_letters.retry_all_dead_letters, who.name, request.app.state.request_poll, filters,
        body.reason if body else None,
    ))  # fmt: skip


@router.post(
    "/dead-letters/{letter_id}/retry", response_model=dead_letters.RetryOut,
    responses=problems(403, 404, 409), tags=["dead-letters"],
)  # fmt: skip
async def retry_one(
    request: Request,
    who: Admin,
    letter_id: Id,
    body: Annotated[DecisionIn | None, Body()] = None,
) -> dead_letters.RetryOut:
    """Retry one dead letter: its stream is polled again, or its write tried again."""
    return await Inputs("body", id="path.letter_id").located(who.run(
        dead_letters.retry_dead_letter, letter_id, who.name, request.app.state.request_poll,
        body.reason if body else None,
    ))  # fmt: skip


@router.get("/audit/as-of", response_model=audit.AsOfPage, responses=problems(403), tags=["audit"])
async def as_of(
    caller: Reader,
    ts: Annotated[datetime, Query(description="An instant with its time zone.")],
    system: NameQuery = None,
    entity: NameQuery = None,
    cursor: Cursor = None,
    limit: Limit = DEFAULT,
) -> audit.AsOfPage:
    """Every record as the ledger had observed it at `ts`, in (system, entity, key) order."""
    return await QUERY.located(caller.run(audit.records_as_of, ts, system, entity, cursor, limit))


@router.get(
    "/audit/{system}/{entity}/{key}", response_model=audit.AuditOut,
    responses=problems(403, 404), tags=["audit"],
)  # fmt: skip
async def record_audit(
    caller: Reader,
    system: NamePath,
    entity: NamePath,
    key: KeyPath,
) -> Response:
    """One record's every version with field diffs, the writes it caused, the decisions."""
    body = await PATH.located(record_audit_body(caller, system, entity, key))
    return Response(body, media_type=JSON)


async def record_audit_body(caller: Caller, system: str, entity: str, key: str) -> bytes:
    """The audit as JSON (served by the route, and ahead of it by `api.hot_reads`)."""
    return await caller.read(audit.read_record_audit, system, entity, key)


add_listing_route(router, "/sync/runs", runs.list_runs, tags=["sync"])


@router.get(
    "/sync/schedules", response_model=list[sync.ScheduleOut], responses=problems(403),
    tags=["sync"],
)  # fmt: skip
async def get_schedules(request: Request, caller: Reader) -> list[sync.ScheduleOut]:
    """Every CDC stream, how often it is polled, where that comes from, its last poll."""
    return await caller.run(sync.list_schedules, request.app.state.cdc)


@router.put(
    "/sync/schedules", response_model=sync.SchedulesOut, responses=problems(403),
    tags=["sync"],
)  # fmt: skip
async def put_schedules(
    request: Request, who: Admin, change: sync.SchedulesIn
) -> sync.SchedulesOut:
    """Set the interval (30s, 5m, 1h, off) of the streams named; workers pick it up."""
    return await BODY.located(who.run(sync.set_schedules, change, who.name, request.app.state.cdc))


@router.post(
    "/sync/run", response_model=sync.SyncRunOut, status_code=202,
    responses=problems(403, 503), tags=["sync"],
)  # fmt: skip
async def run_sync(
    request: Request, who: Admin,
    asked: Annotated[sync.SyncRunIn | None, Body()] = None,
) -> sync.SyncRunOut:  # fmt: skip
    """Ask the workers to poll streams now (all of them when none are named)."""
    return await BODY.located(who.run(
        sync.request_sync, asked or sync.SyncRunIn(), who.name, request.app.state.request_poll
    ))  # fmt: skip
