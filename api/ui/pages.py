"""The review pages that show: the overview, unmatched items, matches, GL suggestions,
anomalies, approvals, dead letters, a record's history and the sync runs. Each reads through
`api.services`, the same functions the JSON API serves; filters arrive as text and a bad
one is named on the page rather than refused."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any, TypeVar, get_args

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, ValidationError

from api.auth import Conn
from api.services import (
    anomalies,
    approvals,
    audit,
    dead_letters,
    gl_suggestions,
    matches,
    runs,
    sync,
)
from api.services import unmatched as unmatched_items
from api.services.errors import ServiceError
from api.services.evidence import facts_of, purchase_line_facts
from api.services.health import stream_statuses
from api.services.overview import overview
from api.services.texts import Name, RecordKey
from api.services.unmatched import AGE_BUCKETS, KIND_ENTITIES
from api.ui.charts import age_chart
from api.ui.rendering import render
from api.ui.session import SignedIn
from canonical import ENTITIES, SYSTEMS
from ledger.runs import RUN_KINDS

router = APIRouter(prefix="/ui", include_in_schema=False)
Text = Annotated[str, Query(max_length=300)]
Cursor = Annotated[str | None, Query(max_length=2000)]
PAGE = 50
LAG_WARNING_SECONDS = 3600
Filters = TypeVar("Filters", bound=BaseModel)
RUN_STATUSES: tuple[str, ...] = get_args(runs.RunStatus)


def _choice(value: str, allowed: tuple[str, ...] | list[str]) -> str | None:
    return value if value in allowed else None


def _valid(
    model: type[Filters], values: dict[str, Any], typed: dict[str, str], problems: list[str]
) -> Filters:
    """`values` as `model`'s filters; one the model refuses is named in `problems`, as it
    was `typed`, and left out."""
    try:
        return model.model_validate(values)
    except ValidationError as error:
        refused = {str(e["loc"][0]): str(e["msg"]) for e in error.errors()}
    problems.extend(
        f"{name.replace('_', ' ')}: {typed[name]!r} is refused ({why[:1].lower()}{why[1:]})"
        for name, why in refused.items()
    )
    return model.model_validate({k: v for k, v in values.items() if k not in refused})


def _amount(text: str, label: str, problems: list[str]) -> Decimal | None:
    if not text.strip():
        return None
    try:
        value = Decimal(text.strip().replace(",", ""))
    except InvalidOperation:
        problems.append(f"{label}: {text!r} is not an amount")
        return None
    if not value.is_finite():
        problems.append(f"{label}: {text!r} is not an amount")
        return None
    return value


@router.get("", response_class=HTMLResponse)
def front_page(request: Request, conn: Conn, viewer: SignedIn) -> HTMLResponse:
    glance = overview(conn)
    charts = [(t, age_chart(glance.by_system_and_age, t.currency)) for t in glance.by_currency]
    return render(
        request, "overview.html", viewer, glance=glance, charts=charts,
        lag_warning=LAG_WARNING_SECONDS,
    )  # fmt: skip


@router.get("/unmatched", response_class=HTMLResponse)
def unmatched_page(
    request: Request,
    conn: Conn,
    viewer: SignedIn,
    system: Text = "",
    kind: Text = "",
    counterparty: Text = "",
    currency: Text = "",
    age_bucket: Text = "",
    min_amount: Text = "",
    max_amount: Text = "",
    cursor: Cursor = None,
) -> HTMLResponse:
    problems: list[str] = []
    form = {"system": system, "kind": kind, "counterparty": counterparty,
            "currency": currency, "age_bucket": age_bucket, "min_amount": min_amount,
            "max_amount": max_amount}  # fmt: skip
    filters = _valid(unmatched_items.UnmatchedFilters, {
        "system": _choice(system, SYSTEMS),
        "kind": _choice(kind, tuple(KIND_ENTITIES)),
        "counterparty": counterparty.strip() or None,
        "currency": currency.strip().upper() or None,
        "age_bucket": _choice(age_bucket, tuple(AGE_BUCKETS)),
        "min_amount": _amount(min_amount, "smallest amount", problems),
        "max_amount": _amount(max_amount, "largest amount", problems),
    }, form, problems)  # fmt: skip
    page = None
    try:
        page = unmatched_items.list_unmatched(conn, filters, cursor, PAGE)
    except ServiceError as error:
        problems.append(error.detail)
    return render(
        request, "unmatched.html", viewer, page=page, problems=problems,
        filtered=any(form.values()), systems=SYSTEMS, kinds=list(KIND_ENTITIES),
        buckets=list(AGE_BUCKETS), form=form,
    )  # fmt: skip


def _listing(
    request: Request,
    template: str,
    viewer: Any,
    load: Callable[[], Any],
    enrich: Callable[[Any], dict[str, Any]] | None = None,
    **context: Any,
) -> Any:
    """Renders a listing page (with what `enrich` adds about its items); a cursor that is
    not one of ours shows as a problem."""
    problems: list[str] = []
    page = None
    try:
        page = load()
    except ServiceError as error:
        problems.append(error.detail)
    if page is not None and enrich is not None:
        context.update(enrich(page))
    return render(request, template, viewer, page=page, problems=problems, **context)


@dataclass(frozen=True)
class Queue:
    """A page of things waiting on a person, one tab per status (the first is the default):
    how to read one page of it, and what else its rows need to be judged."""

    path: str
    template: str
    statuses: tuple[str, ...]
    load: Callable[[Any, str | None, str | None], Any]
    """(connection, status or None for all, cursor) -> one page from the service layer."""
    enrich: Callable[[Any, Any], dict[str, Any]] | None = None


QUEUES = (
    Queue(
        "/matches", "matches.html", ("suggested", "auto", "confirmed", "rejected"),
        lambda conn, status, cursor: matches.list_matches(
            conn, matches.MatchFilters.model_validate({"status": status}), cursor, PAGE),
        lambda conn, page: {"facts": facts_of(
            conn, [r for m in page.items for r in (m.payment, m.invoice)])},
    ),
    Queue(
        "/gl-suggestions", "gl_suggestions.html", ("suggested", "accepted", "rejected"),
        lambda conn, status, cursor: gl_suggestions.list_gl_suggestions(
            conn, gl_suggestions.GLFilters.model_validate({"status": status}), cursor, PAGE),
        lambda conn, page: {"lines": {
            s.id: purchase_line_facts(conn, s.purchase_key, s.line_no) for s in page.items}},
    ),
    Queue(
        "/anomalies", "anomalies.html", ("flagged", "dismissed", "escalated"),
        lambda conn, status, cursor: anomalies.list_anomalies(
            conn, anomalies.AnomalyFilters.model_validate({"status": status}), cursor, PAGE),
        lambda conn, page: {"facts": facts_of(conn, [a.record for a in page.items])},
    ),
    Queue(
        "/approvals", "approvals.html", ("pending", "approved", "rejected"),
        lambda conn, status, cursor: approvals.list_approvals(
            conn, approvals.ApprovalFilters.model_validate({"status": status}), cursor, PAGE),
    ),
    Queue(
        "/dead-letters", "dead_letters.html", ("open", "retry_requested"),
        lambda conn, status, cursor: dead_letters.list_dead_letters(
            conn, dead_letters.DeadLetterFilters.model_validate({"status": status}), cursor, PAGE),
    ),
)  # fmt: skip


def _queue_page(queue: Queue) -> Callable[..., HTMLResponse]:
    def page(
        request: Request, conn: Conn, viewer: SignedIn, status: Text = queue.statuses[0],
        cursor: Cursor = None,
    ) -> HTMLResponse:  # fmt: skip
        chosen = _choice(status, queue.statuses)
        enrich = queue.enrich
        return _listing(
            request, queue.template, viewer, lambda: queue.load(conn, chosen, cursor),
            (lambda page: enrich(conn, page)) if enrich else None,
            status=chosen or "", statuses=list(queue.statuses),
        )  # fmt: skip

    page.__name__ = queue.template.removesuffix(".html") + "_page"
    return page


for listed in QUEUES:
    router.add_api_route(
        listed.path, _queue_page(listed), methods=["GET"], response_class=HTMLResponse
    )


class RecordLookup(BaseModel):
    """The record page's form, with the limits of the audit's path in the API."""

    system: Name = None
    entity: Name = None
    key: RecordKey | None = None


@router.get("/records", response_class=HTMLResponse)
def record_lookup(
    request: Request, conn: Conn, viewer: SignedIn, system: Text = "", entity: Text = "",
    key: Text = "",
) -> HTMLResponse:  # fmt: skip
    record = None
    problems: list[str] = []
    form = {"system": system, "entity": entity, "key": key}
    asked = _valid(RecordLookup, {
        "system": system or None, "entity": entity or None, "key": key.strip() or None,
    }, form, problems)  # fmt: skip
    if asked.system and asked.entity and asked.key:
        try:
            record = audit.record_audit(conn, asked.system, asked.entity, asked.key)
        except ServiceError as error:
            problems.append(error.detail)
    return render(
        request, "record.html", viewer, record=record, problems=problems, systems=SYSTEMS,
        entities=ENTITIES, form=form, status_code=404 if problems and key else 200,
    )  # fmt: skip


@router.get("/sync", response_class=HTMLResponse)
def sync_page(
    request: Request, conn: Conn, viewer: SignedIn, kind: Text = "", status: Text = "",
    cursor: Cursor = None,
) -> HTMLResponse:  # fmt: skip
    filters = runs.RunFilters.model_validate(
        {"kind": _choice(kind, RUN_KINDS), "status": _choice(status, RUN_STATUSES)}
    )
    return _listing(
        request, "sync.html", viewer, lambda: runs.list_runs(conn, filters, cursor, PAGE),
        streams=stream_statuses(conn), lag_warning=LAG_WARNING_SECONDS,
        schedules=sync.list_schedules(conn, request.app.state.cdc),
        form={"kind": kind, "status": status}, filtered=any(filters.model_dump().values()),
        kinds=list(RUN_KINDS), run_statuses=list(RUN_STATUSES),
    )  # fmt: skip
