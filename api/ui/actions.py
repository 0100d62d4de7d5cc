"""What the review pages' forms do: confirm or reject a match, accept a GL suggestion (or
choose another account) or reject it, dismiss or escalate an anomaly, approve or reject a
write, retry dead letters. Each checks the form's CSRF token and the token's scope, calls
the service layer (which records the decision with the person's token name), and goes back
to the page it came from with a one-line notice of what happened or why it could not."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

import psycopg
from fastapi import APIRouter, Form, Path, Request
from fastapi.responses import RedirectResponse

from api.auth import Conn
from api.services import anomalies, approvals, dead_letters, gl_suggestions, matches
from api.services.errors import ServiceError
from api.services.tokens import Scope
from api.ui.formatting import money
from api.ui.session import SignedIn, Viewer, check_csrf, safe_next, set_flash

router = APIRouter(prefix="/ui", include_in_schema=False)
Id = Annotated[int, Path(ge=1, le=2**62)]
Csrf = Annotated[str, Form(max_length=200)]
Back = Annotated[str, Form(max_length=2000)]
Reason = Annotated[str, Form(max_length=2000)]
VERBS = {"review": "decide", "admin": "retry"}


def _act(
    request: Request,
    conn: psycopg.Connection[Any],
    viewer: Viewer,
    csrf: str,
    back: str,
    needed: Scope,
    action: Callable[[], str],
) -> RedirectResponse:
    check_csrf(viewer, {"csrf": csrf})
    response = RedirectResponse(safe_next(back), status_code=303)
    if not viewer.may(needed):
        refusal = (
            f"Your token {viewer.name!r} has scope {viewer.scope};"
            f" to {VERBS[needed]} you need a token with scope {needed}."
        )
        set_flash(request, response, refusal, "error")
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


@router.post("/matches/{match_id}/{outcome}")
def decide_match(
    request: Request, conn: Conn, viewer: SignedIn, match_id: Id, outcome: str, csrf: Csrf = "",
    back: Back = "/ui/matches", reason: Reason = "",
) -> RedirectResponse:  # fmt: skip
    def act() -> str:
        chosen = {"confirm": "confirmed", "reject": "rejected"}.get(outcome)
        if chosen is None:
            raise ServiceError(f"{outcome!r} is not something a match can be")
        decided = matches.decide_match(conn, match_id, chosen, viewer.name, _reason(reason))  # type: ignore[arg-type]
        return f"Match {match_id} {chosen}, with {len(decided.matches)} allocation(s)."

    return _act(request, conn, viewer, csrf, back, "review", act)


@router.post("/gl-suggestions/{suggestion_id}/accept")
def accept_gl(
    request: Request, conn: Conn, viewer: SignedIn, suggestion_id: Id, csrf: Csrf = "",
    back: Back = "/ui/gl-suggestions", account: Annotated[str, Form(max_length=100)] = "",
    other_account: Annotated[str, Form(max_length=100)] = "", reason: Reason = "",
) -> RedirectResponse:  # fmt: skip
    def act() -> str:
        chosen = other_account.strip() or account.strip() or None
        decision = gl_suggestions.decide_gl_suggestion(
            conn, suggestion_id, "accepted", viewer.name, chosen, _reason(reason)
        )
        subject = decision.subject
        return f"Line {subject.get('group_id')} goes to GL account {subject.get('account')}."

    return _act(request, conn, viewer, csrf, back, "review", act)


@router.post("/gl-suggestions/{suggestion_id}/reject")
def reject_gl(
    request: Request, conn: Conn, viewer: SignedIn, suggestion_id: Id, csrf: Csrf = "",
    back: Back = "/ui/gl-suggestions", reason: Reason = "",
) -> RedirectResponse:  # fmt: skip
    def act() -> str:
        decision = gl_suggestions.decide_gl_suggestion(
            conn, suggestion_id, "rejected", viewer.name, reason=_reason(reason)
        )
        return f"Suggestion for line {decision.subject.get('group_id')} rejected."

    return _act(request, conn, viewer, csrf, back, "review", act)


@router.post("/anomalies/{anomaly_id}/{outcome}")
def decide_anomaly(
    request: Request, conn: Conn, viewer: SignedIn, anomaly_id: Id, outcome: str,
    csrf: Csrf = "", back: Back = "/ui/anomalies", reason: Reason = "",
) -> RedirectResponse:  # fmt: skip
    def act() -> str:
        chosen = {"dismiss": "dismissed", "escalate": "escalated"}.get(outcome)
        if chosen is None:
            raise ServiceError(f"{outcome!r} is not something an anomaly can be")
        anomalies.decide_anomaly(conn, anomaly_id, chosen, viewer.name, _reason(reason))  # type: ignore[arg-type]
        return f"Anomaly {anomaly_id} {chosen}."

    return _act(request, conn, viewer, csrf, back, "review", act)


@router.post("/approvals/{intent_id}/{outcome}")
def decide_approval(
    request: Request, conn: Conn, viewer: SignedIn, intent_id: Id, outcome: str,
    csrf: Csrf = "", back: Back = "/ui/approvals", reason: Reason = "",
) -> RedirectResponse:  # fmt: skip
    def act() -> str:
        chosen = {"approve": "approved", "reject": "rejected"}.get(outcome)
        if chosen is None:
            raise ServiceError(f"{outcome!r} is not something an approval can be")
        write = approvals.get_approval(conn, intent_id)
        approvals.decide_approval(conn, intent_id, chosen, viewer.name, _reason(reason))  # type: ignore[arg-type]
        what = f"{write.operation} {write.entity.replace('_', ' ')} in {write.target_system}"
        amount = f" for {money(write.amount, write.currency)}" if write.amount is not None else ""
        return f"{chosen.capitalize()}: {what}{amount}."

    return _act(request, conn, viewer, csrf, back, "review", act)


@router.post("/dead-letters/retry")
def retry_all(
    request: Request, conn: Conn, viewer: SignedIn, csrf: Csrf = "",
    back: Back = "/ui/dead-letters", reason: Reason = "",
) -> RedirectResponse:  # fmt: skip
    def act() -> str:
        done = dead_letters.retry_all_dead_letters(
            conn, viewer.name, request.app.state.request_poll, reason=_reason(reason)
        )
        if not done.retried:
            return "No open dead letters to retry."
        asked = len(done.retried)
        return f"Retry asked for {asked} dead letter(s); {done.polls_queued} poll(s) queued."

    return _act(request, conn, viewer, csrf, back, "admin", act)


@router.post("/dead-letters/{letter_id}/retry")
def retry_one(
    request: Request, conn: Conn, viewer: SignedIn, letter_id: Id, csrf: Csrf = "",
    back: Back = "/ui/dead-letters", reason: Reason = "",
) -> RedirectResponse:  # fmt: skip
    def act() -> str:
        done = dead_letters.retry_dead_letter(
            conn, letter_id, viewer.name, request.app.state.request_poll, _reason(reason)
        )
        return f"Dead letter {letter_id}: {done.action}."

    return _act(request, conn, viewer, csrf, back, "admin", act)
