"""The review pages that show: the overview, unmatched items, matches, GL suggestions,
anomalies, approvals, dead letters, a record's history and the sync runs. Each reads through
`api.services`, the same functions the JSON API serves; filters arrive as text and a bad
one is named on the page rather than refused."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from api.auth import Conn
from api.services import anomalies, approvals, audit, dead_letters, gl_suggestions, matches, runs
from api.services import unmatched as unmatched_items
from api.services.errors import ServiceError
from api.services.evidence import facts_of, purchase_line_facts
from api.services.health import stream_statuses
from api.services.overview import overview
from api.services.unmatched import AGE_BUCKETS, KIND_ENTITIES
from api.ui.charts import age_chart
from api.ui.rendering import render
from api.ui.session import SignedIn
from canonical import ENTITIES, SYSTEMS

router = APIRouter(prefix="/ui", include_in_schema=False)
Text = Annotated[str, Query(max_length=300)]
Cursor = Annotated[str | None, Query(max_length=2000)]
PAGE = 50
LAG_WARNING_SECONDS = 3600


def _choice(value: str, allowed: tuple[str, ...] | list[str]) -> str | None:
    return value if value in allowed else None


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
    filters = unmatched_items.UnmatchedFilters(
        system=_choice(system, SYSTEMS),
        kind=_choice(kind, tuple(KIND_ENTITIES)),  # type: ignore[arg-type]
        counterparty=counterparty.strip() or None,
        currency=currency.strip().upper()[:3] or None,
        age_bucket=_choice(age_bucket, tuple(AGE_BUCKETS)),  # type: ignore[arg-type]
        min_amount=_amount(min_amount, "smallest amount", problems),
        max_amount=_amount(max_amount, "largest amount", problems),
    )
    page = None
    try:
        page = unmatched_items.list_unmatched(conn, filters, cursor, PAGE)
    except ServiceError as error:
        problems.append(error.detail)
    filtered = any(v for v in (system, kind, counterparty, currency, age_bucket, min_amount,
                               max_amount))  # fmt: skip
    return render(
        request, "unmatched.html", viewer, page=page, problems=problems, filtered=filtered,
        systems=SYSTEMS, kinds=list(KIND_ENTITIES), buckets=list(AGE_BUCKETS),
        form={"system": system, "kind": kind, "counterparty": counterparty,
              "currency": currency, "age_bucket": age_bucket, "min_amount": min_amount,
              "max_amount": max_amount},
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


@router.get("/matches", response_class=HTMLResponse)
def matches_page(
    request: Request, conn: Conn, viewer: SignedIn, status: Text = "suggested",
    cursor: Cursor = None,
) -> HTMLResponse:  # fmt: skip
    chosen = _choice(status, ("suggested", "auto", "confirmed", "rejected"))
    filters = matches.MatchFilters(status=chosen)  # type: ignore[arg-type]
    return _listing(
        request, "matches.html", viewer,
        lambda: matches.list_matches(conn, filters, cursor, PAGE),
        lambda page: {"facts": facts_of(
            conn, [r for m in page.items for r in (m.payment, m.invoice)])},
        status=chosen or "", statuses=["suggested", "auto", "confirmed", "rejected"],
    )  # fmt: skip


@router.get("/gl-suggestions", response_class=HTMLResponse)
def gl_page(
    request: Request, conn: Conn, viewer: SignedIn, status: Text = "suggested",
    cursor: Cursor = None,
) -> HTMLResponse:  # fmt: skip
    chosen = _choice(status, ("suggested", "accepted", "rejected"))
    filters = gl_suggestions.GLFilters(status=chosen)  # type: ignore[arg-type]
    return _listing(
        request, "gl_suggestions.html", viewer,
        lambda: gl_suggestions.list_gl_suggestions(conn, filters, cursor, PAGE),
        lambda page: {"lines": {
            s.id: purchase_line_facts(conn, s.purchase_key, s.line_no) for s in page.items}},
        status=chosen or "", statuses=["suggested", "accepted", "rejected"],
    )  # fmt: skip


@router.get("/anomalies", response_class=HTMLResponse)
def anomalies_page(
    request: Request, conn: Conn, viewer: SignedIn, status: Text = "flagged",
    cursor: Cursor = None,
) -> HTMLResponse:  # fmt: skip
    chosen = _choice(status, ("flagged", "dismissed", "escalated"))
    filters = anomalies.AnomalyFilters(status=chosen)  # type: ignore[arg-type]
    return _listing(
        request, "anomalies.html", viewer,
        lambda: anomalies.list_anomalies(conn, filters, cursor, PAGE),
        lambda page: {"facts": facts_of(conn, [a.record for a in page.items])},
        status=chosen or "", statuses=["flagged", "dismissed", "escalated"],
    )  # fmt: skip


@router.get("/approvals", response_class=HTMLResponse)
def approvals_page(
    request: Request, conn: Conn, viewer: SignedIn, status: Text = "pending",
    cursor: Cursor = None,
) -> HTMLResponse:  # fmt: skip
    chosen = _choice(status, ("pending", "approved", "rejected"))
    filters = approvals.ApprovalFilters(status=chosen)  # type: ignore[arg-type]
    return _listing(
        request, "approvals.html", viewer,
        lambda: approvals.list_approvals(conn, filters, cursor, PAGE),
        status=chosen or "", statuses=["pending", "approved", "rejected"],
    )  # fmt: skip


@router.get("/dead-letters", response_class=HTMLResponse)
def dead_letters_page(
    request: Request, conn: Conn, viewer: SignedIn, status: Text = "open",
    cursor: Cursor = None,
) -> HTMLResponse:  # fmt: skip
    chosen = _choice(status, ("open", "retry_requested"))
    filters = dead_letters.DeadLetterFilters(status=chosen)  # type: ignore[arg-type]
    return _listing(
        request, "dead_letters.html", viewer,
        lambda: dead_letters.list_dead_letters(conn, filters, cursor, PAGE),
        status=chosen or "", statuses=["open", "retry_requested"],
    )  # fmt: skip


@router.get("/records", response_class=HTMLResponse)
def record_lookup(
    request: Request, conn: Conn, viewer: SignedIn, system: Text = "", entity: Text = "",
    key: Text = "",
) -> HTMLResponse:  # fmt: skip
    record = None
    problems: list[str] = []
    if system and entity and key.strip():
        try:
            record = audit.record_audit(conn, system, entity, key.strip())
        except ServiceError as error:
            problems.append(error.detail)
    return render(
        request, "record.html", viewer, record=record, problems=problems, systems=SYSTEMS,
        entities=ENTITIES, form={"system": system, "entity": entity, "key": key},
        status_code=404 if problems and key else 200,
    )  # fmt: skip


@router.get("/sync", response_class=HTMLResponse)
def sync_page(
    request: Request, conn: Conn, viewer: SignedIn, kind: Text = "", status: Text = "",
    cursor: Cursor = None,
) -> HTMLResponse:  # fmt: skip
    filters = runs.RunFilters(
        kind=kind.strip() or None,
        status=_choice(status, ("running", "succeeded", "failed", "partial")),  # type: ignore[arg-type]
    )
    return _listing(
        request, "sync.html", viewer, lambda: runs.list_runs(conn, filters, cursor, PAGE),
        streams=stream_statuses(conn), lag_warning=LAG_WARNING_SECONDS,
        form={"kind": kind, "status": status},
        kinds=["poll", "scan", "webhook", "reconcile", "write", "demo"],
        run_statuses=["running", "succeeded", "failed", "partial"],
    )  # fmt: skip
