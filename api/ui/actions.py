"""What the review pages' forms do: confirm or reject a match, accept a GL suggestion (or
choose another account) or reject it, dismiss or escalate an anomaly, approve or reject a
write, retry dead letters, match items a person ticked on the unmatched page, change a
stream's polling schedule. Each checks the form's CSRF token and the token's scope, calls
the service layer (which records the decision with the person's token name), and goes back
to the page it came from with a one-line notice of what happened or why it could not."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Annotated, Any

import psycopg
from fastapi import APIRouter, Form, Path, Request
from fastapi.responses import RedirectResponse
from pydantic import Field, TypeAdapter, ValidationError

from api.auth import Conn
from api.services import anomalies, approvals, dead_letters, gl_suggestions, matches, sync
from api.services.decisions import ReasonText, RecordRef
from api.services.errors import InvalidRequest, ServiceError
from api.services.texts import KEY_MAX, NAME_MAX, NoNul, RecordKey, StreamName
from api.services.tokens import Scope
from api.ui.formatting import money
from api.ui.session import SignedIn, Viewer, check_csrf, safe_next, set_flash

router = APIRouter(prefix="/ui", include_in_schema=False)
Id = Annotated[int, Path(ge=1, le=2**62)]
Csrf = Annotated[str, Form(max_length=200)]
Back = Annotated[str, Form(max_length=2000)]
Text = Annotated[str, Form()]
"""A text input of a form, checked by `_act` with its rule in `FORM_TEXTS` (not here, where
FastAPI would refuse it with JSON before the form's route runs)."""
VERBS = {"review": "decide", "admin": "retry"}
Ticked = Annotated[str, Field(max_length=2 * NAME_MAX + KEY_MAX + 2), NoNul]
"""A record ticked on the unmatched page: `system:entity:key`."""
FORM_TEXTS: dict[str, TypeAdapter[Any]] = {
    "reason": TypeAdapter(ReasonText),
    "account": TypeAdapter(RecordKey),
    "other_account": TypeAdapter(RecordKey),
    "item": TypeAdapter(Ticked),
    "stream": TypeAdapter(StreamName),
    "interval": TypeAdapter(sync.IntervalText),
    "enabled": TypeAdapter(Annotated[str, Field(max_length=10), NoNul]),
}
"""The rule of each text input of the forms, by its name: the API's for what it holds (a
reason, a GL account, a stream, an interval), so a form takes what a request's body takes
and refuses, as it does, a text too long or holding a NUL (which PostgreSQL cannot hold)."""
SHOWN = 40
"""The most of a refused text a notice quotes: it is one line, kept in a cookie."""


def _refused(texts: Mapping[str, str | list[str]]) -> str | None:
    """The first of a form's `texts` (by field) that its rule refuses, named as a page names
    a filter it refuses; None when all are taken."""
    for name, given in texts.items():
        for text in [given] if isinstance(given, str) else given:
            try:
                FORM_TEXTS[name].validate_python(text)
            except ValidationError as error:
                why = str(error.errors()[0]["msg"])
                shown = repr(text) if len(text) <= SHOWN else f"{text[:SHOWN]!r}…"
                return f"{name.replace('_', ' ')}: {shown} is refused ({why[:1].lower()}{why[1:]})"
    return None


def _act(
    request: Request,
    conn: psycopg.Connection[Any],
    viewer: Viewer,
    csrf: str,
    back: str,
    needed: Scope,
    action: Callable[[], str],
    texts: Mapping[str, str | list[str]],
    verb: str | None = None,
) -> RedirectResponse:
    """Acts for a form whose text inputs are `texts` (by field) when its CSRF token, the
    token's scope and the texts allow it, and goes `back` saying what was done or why not."""
    check_csrf(viewer, {"csrf": csrf})
    response = RedirectResponse(safe_next(back), status_code=303)
    if not viewer.may(needed):
        refusal = (
            f"Your token {viewer.name!r} has scope {viewer.scope};"
            f" to {verb or VERBS[needed]} you need a token with scope {needed}."
        )
        set_flash(request, response, refusal, "error")
        return response
    refused = _refused(texts)
    if refused is not None:
        set_flash(request, response, refused, "error")
        return response
    try:
        done = action()
        # Committed before the redirect is sent: the page it leads to must see the decision.
        conn.commit()
        set_flash(request, response, done)
    except ServiceError as error:
        conn.rollback()
        set_flash(request, response, error.detail[:1].upper() + error.detail[1:], "error")
    return response


def _reason(text: str) -> str | None:
    return text.strip() or None


@router.post("/gl-suggestions/{suggestion_id}/accept")
def accept_gl(
    request: Request, conn: Conn, viewer: SignedIn, suggestion_id: Id, csrf: Csrf = "",
    back: Back = "/ui/gl-suggestions", account: Text = "", other_account: Text = "",
    reason: Text = "",
) -> RedirectResponse:  # fmt: skip
    def act() -> str:
        chosen = other_account.strip() or account.strip() or None
        decision = gl_suggestions.decide_gl_suggestion(
            conn, suggestion_id, "accepted", viewer.name, chosen, _reason(reason)
        )
        subject = decision.subject
        return f"Line {subject.get('group_id')} goes to GL account {subject.get('account')}."

    texts = {"account": account, "other_account": other_account, "reason": reason}
    return _act(request, conn, viewer, csrf, back, "review", act, texts)


def _decided_gl_suggestion(
    conn: psycopg.Connection[Any], result_id: int, outcome: str, actor: str, reason: str | None
) -> str:
    decision = gl_suggestions.decide_gl_suggestion(conn, result_id, outcome, actor, reason=reason)  # type: ignore[arg-type]
    return f"Suggestion for line {decision.subject.get('group_id')} {outcome}."


def _decided_match(
    conn: psycopg.Connection[Any], match_id: int, outcome: str, actor: str, reason: str | None
) -> str:
    decided = matches.decide_match(conn, match_id, outcome, actor, reason)  # type: ignore[arg-type]
    return f"Match {match_id} {outcome}, with {len(decided.matches)} allocation(s)."


def _decided_anomaly(
    conn: psycopg.Connection[Any], anomaly_id: int, outcome: str, actor: str, reason: str | None
) -> str:
    anomalies.decide_anomaly(conn, anomaly_id, outcome, actor, reason)  # type: ignore[arg-type]
    return f"Anomaly {anomaly_id} {outcome}."


def _decided_approval(
    conn: psycopg.Connection[Any], intent_id: int, outcome: str, actor: str, reason: str | None
) -> str:
    write = approvals.get_approval(conn, intent_id)
    approvals.decide_approval(conn, intent_id, outcome, actor, reason)  # type: ignore[arg-type]
    what = f"{write.operation} {write.entity.replace('_', ' ')} in {write.target_system}"
    amount = f" for {money(write.amount, write.currency)}" if write.amount is not None else ""
    return f"{outcome.capitalize()}: {what}{amount}."


Decided = Callable[[psycopg.Connection[Any], int, str, str, "str | None"], str]
"""Records a decision (connection, subject id, outcome, actor, reason); says what it did."""


def decision_form(listing: str, what: str, outcomes: dict[str, str], decided: Decided) -> None:
    """Adds `POST /ui/<listing>/{id}/{verb}`: the form button `verb` (a key of `outcomes`)
    decides the subject's outcome, and the page says what was done."""

    @router.post(f"/{listing}/{{subject_id}}/{{verb}}", name=f"decide_{listing}")
    def decide(
        request: Request, conn: Conn, viewer: SignedIn, subject_id: Id, verb: str,
        csrf: Csrf = "", back: Back = f"/ui/{listing}", reason: Text = "",
    ) -> RedirectResponse:  # fmt: skip
        def act() -> str:
            outcome = outcomes.get(verb)
            if outcome is None:
                raise ServiceError(f"{verb!r} is not something {what} can be")
            return decided(conn, subject_id, outcome, viewer.name, _reason(reason))

        return _act(request, conn, viewer, csrf, back, "review", act, {"reason": reason})


decision_form("matches", "a match", {"confirm": "confirmed", "reject": "rejected"}, _decided_match)
# After `accept_gl` above, which takes the accept button's form (an account to choose).
decision_form("gl-suggestions", "a GL suggestion", {"reject": "rejected"}, _decided_gl_suggestion)
decision_form(
    "anomalies", "an anomaly", {"dismiss": "dismissed", "escalate": "escalated"}, _decided_anomaly
)
decision_form(
    "approvals", "an approval", {"approve": "approved", "reject": "rejected"}, _decided_approval
)


@router.post("/dead-letters/retry")
def retry_all(
    request: Request, conn: Conn, viewer: SignedIn, csrf: Csrf = "",
    back: Back = "/ui/dead-letters", reason: Text = "",
) -> RedirectResponse:  # fmt: skip
    def act() -> str:
        done = dead_letters.retry_all_dead_letters(
            conn, viewer.name, request.app.state.request_poll, reason=_reason(reason)
        )
        if not done.retried:
            return "No open dead letters to retry."
        asked = len(done.retried)
        return f"Retry asked for {asked} dead letter(s); {done.polls_queued} poll(s) queued."

    return _act(request, conn, viewer, csrf, back, "admin", act, {"reason": reason})


@router.post("/dead-letters/{letter_id}/retry")
def retry_one(
    request: Request, conn: Conn, viewer: SignedIn, letter_id: Id, csrf: Csrf = "",
    back: Back = "/ui/dead-letters", reason: Text = "",
) -> RedirectResponse:  # fmt: skip
    def act() -> str:
        done = dead_letters.retry_dead_letter(
            conn, letter_id, viewer.name, request.app.state.request_poll, _reason(reason)
        )
        return f"Dead letter {letter_id}: {done.action}."

    return _act(request, conn, viewer, csrf, back, "admin", act, {"reason": reason})


@router.post("/unmatched/match")
def match_selected(
    request: Request, conn: Conn, viewer: SignedIn, csrf: Csrf = "",
    back: Back = "/ui/unmatched", reason: Text = "",
    item: Annotated[list[str], Form(max_length=201)] = [],  # noqa: B006 (FastAPI copies it)
) -> RedirectResponse:  # fmt: skip
    """The ticked items (`system:entity:key` each): one payment and the invoices it settles,
    each allocated what it has open until the payment is used up."""

    def act() -> str:
        refs = []
        for ticked in item:
            system, _, rest = ticked.partition(":")
            entity, _, key = rest.partition(":")
            refs.append(RecordRef(system=system, entity=entity, key=key))
        payments = [r for r in refs if r.entity == "payment"]
        invoices = [r for r in refs if r.entity != "payment"]
        if len(payments) != 1 or not invoices:
            raise InvalidRequest(
                "tick one payment and the invoices it settles"
                f" (you ticked {len(payments)} payment(s) and {len(invoices)} invoice(s))"
            )
        match = matches.allocate_open(conn, payments[0], invoices, _reason(reason))
        matches.manual_match(conn, match, viewer.name)
        allocated = ", ".join(f"{a.key} ({money(a.amount)})" for a in match.invoices)
        return f"Payment {payments[0].key} matched to {allocated}."

    texts: dict[str, str | list[str]] = {"item": item, "reason": reason}
    return _act(request, conn, viewer, csrf, back, "review", act, texts)


@router.post("/sync/schedules")
def set_schedule(
    request: Request, conn: Conn, viewer: SignedIn, csrf: Csrf = "", back: Back = "/ui/sync",
    stream: Text = "", interval: Text = "", enabled: Text = "", reason: Text = "",
) -> RedirectResponse:  # fmt: skip
    """One stream's schedule as the sync page's row form sets it: an interval, or off when
    `enabled` is not ticked."""

    def act() -> str:
        target = sync.stream_named(stream, "stream")
        every = interval.strip() if enabled else "off"
        if enabled and every in ("", "off"):
            raise InvalidRequest(f"{stream}: give an interval such as 30s, 5m or 1h to poll it")
        change = sync.SchedulesIn(
            schedules=[sync.ScheduleIn(system=target.system, entity=target.entity, interval=every)],
            reason=_reason(reason),
        )
        done = sync.set_schedules(conn, change, viewer.name, request.app.state.cdc)
        [now] = [s for s in done.schedules if s.stream == stream]
        if now.interval_seconds is None:
            return f"{stream} is not polled any more (off)."
        return f"{stream} is now polled every {now.interval}."

    texts = {"stream": stream, "interval": interval, "enabled": enabled, "reason": reason}
    return _act(request, conn, viewer, csrf, back, "admin", act, texts, "change a schedule")
