"""What a service refuses, as exceptions that know their HTTP status and say in one line
what was wrong with which field (routes turn them into RFC 9457 problem details)."""

from __future__ import annotations


class ServiceError(Exception):
    """A request the service will not carry out."""

    status = 400
    title = "Bad request"

    def __init__(self, detail: str, field: str | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.field = field


class InvalidRequest(ServiceError):
    status = 422
    title = "Invalid request"


class NotFound(ServiceError):
    status = 404
    title = "Not found"


class Conflict(ServiceError):
    """The subject is not in a state where this action applies (e.g. decided already)."""

    status = 409
    title = "Conflict"


class Unavailable(ServiceError):
    """Something the action needs is not there (no reconcile run yet, no job queue)."""

    status = 503
    title = "Unavailable"
