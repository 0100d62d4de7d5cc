"""The error hierarchy every stage shares: transient (retry later) versus permanent (dead letter).

Each error names where it happened — system, entity, key, field — and carries the remote
system's own message, so a dead letter or an API response can say exactly what is wrong.
"""

from __future__ import annotations

from dataclasses import KW_ONLY, dataclass


@dataclass(eq=False, repr=False)
class LedgerbridgeError(Exception):
    """Base of every error Ledgerbridge raises on purpose."""

    message: str
    _: KW_ONLY
    system: str | None = None
    entity: str | None = None
    key: str | None = None
    field: str | None = None
    remote_message: str | None = None

    def __post_init__(self) -> None:
        super().__init__(self.__str__())

    def where(self) -> str:
        parts = [p for p in (self.system, self.entity, self.key) if p]
        place = "/".join(parts)
        if self.field:
            place = f"{place} field {self.field}" if place else f"field {self.field}"
        return place

    def __str__(self) -> str:
        place = self.where()
        text = f"{place}: {self.message}" if place else self.message
        if self.remote_message and self.remote_message not in text:
            text = f"{text} ({self.remote_message})"
        return text


class TransientError(LedgerbridgeError):
    """The same call may succeed later: rate limits, timeouts, locked records, lost connections."""


class PermanentError(LedgerbridgeError):
    """The call will fail again until somebody fixes the cause: validation, missing references."""


class ValidationFailed(PermanentError):
    """A record or a remote system refused a value; `field` names it."""


class NotFound(PermanentError):
    """The record asked for does not exist in the remote system."""


class AuthenticationFailed(PermanentError):
    """Credentials or session token refused."""


class RateLimited(TransientError):
    """The remote system asked us to slow down; `retry_after` is in seconds when it said."""

    def __init__(self, message: str, *, retry_after: float | None = None, **where: str | None):
        self.retry_after = retry_after
        super().__init__(message, **where)


class ConnectionLost(TransientError):
    """The connection dropped or timed out before an answer came."""


class RecordLocked(TransientError):
    """The remote record is in use by somebody else."""
