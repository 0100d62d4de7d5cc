"""What can go wrong talking to KashFlow, as the shared error hierarchy says it.

A KashFlow answer becomes one typed error: 400 -> `ValidationFailed` (with the field
and KashFlow's message), 404 -> `NotFound`, 401 -> `AuthenticationFailed` (or
`InvalidSessionToken`, which the client answers by logging in again), 429 ->
`RateLimited` with `retry_after`, 5xx -> `ServerError`, a lost connection or a cut-off
body -> `ConnectionLost`.
"""

from __future__ import annotations

import re
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from canonical import errors

SYSTEM = "kashflow"


class ServerError(errors.TransientError):
    """KashFlow answered 5xx: it may work later."""

    def __init__(self, message: str, *, status: int, **where: str | None) -> None:
        self.status = status
        super().__init__(message, **where)


class InvalidSessionToken(errors.AuthenticationFailed):
    """The session token expired or was refused; logging in again fixes it."""


class NotSent(errors.ConnectionLost):
    """The connection could not be made: the request surely did not reach KashFlow,
    so even a POST may be sent again."""


class UnexpectedResponse(errors.PermanentError):
    """KashFlow answered in a way the client does not understand."""


_FIELD_PREFIX = re.compile(r"^\s*([A-Za-z][\w.\[\]]*)\s*:\s*(.+)$", re.S)


def error_body(response: httpx.Response) -> tuple[str, str, str | None]:
    """(Error, Message, Field) of a KashFlow error body, tolerant of its casing."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        text = response.text.strip()[:300]
        return (response.reason_phrase or "Error", text or response.reason_phrase, None)
    folded = {str(k).lower(): v for k, v in body.items()}
    error = str(folded.get("error") or response.reason_phrase or "Error")
    message = str(folded.get("message") or error)
    field = folded.get("field")
    if not field:
        match = _FIELD_PREFIX.match(message)
        if match and " " not in match.group(1):
            field = match.group(1)
    return error, message, str(field) if field else None


def retry_after_seconds(value: str | None, now: float) -> float | None:
    """`Retry-After` as seconds from `now` (a Unix time): either delta-seconds or an HTTP date."""
    if value is None:
        return None
    text = value.strip()
    try:
        return max(0.0, float(text))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    return max(0.0, when.timestamp() - now)


def error_for(
    response: httpx.Response, *, entity: str | None, key: str | None, now: float
) -> errors.LedgerbridgeError:
    """The typed error for a KashFlow error answer."""
    error, message, field = error_body(response)
    status = response.status_code
    where: dict[str, Any] = {"system": SYSTEM, "entity": entity, "key": key}
    if status == 400 or status == 422:
        return errors.ValidationFailed(
            f"KashFlow refused the request ({error})", field=field, remote_message=message, **where
        )
    if status == 401:
        if error == "InvalidSessionToken":
            return InvalidSessionToken("session token refused", remote_message=message, **where)
        return errors.AuthenticationFailed(
            f"KashFlow refused the login ({error})", remote_message=message, **where
        )
    if status == 404:
        return errors.NotFound("not found in KashFlow", remote_message=message, **where)
    if status == 429:
        retry_after = retry_after_seconds(response.headers.get("retry-after"), now)
        return errors.RateLimited(
            "KashFlow asked us to slow down",
            retry_after=retry_after,
            remote_message=message,
            **where,
        )
    if status >= 500:
        return ServerError(
            f"KashFlow answered {status} ({error})", status=status, remote_message=message, **where
        )
    return UnexpectedResponse(
        f"KashFlow answered {status} ({error})", remote_message=message, **where
    )


__all__ = [
    "InvalidSessionToken",
    "NotSent",
    "ServerError",
    "UnexpectedResponse",
    "error_body",
    "error_for",
    "retry_after_seconds",
]
