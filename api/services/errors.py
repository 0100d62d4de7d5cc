"""What a service refuses, as exceptions that know their HTTP status and say in one line
what was wrong with which field (routes turn them into RFC 9457 problem details)."""

from __future__ import annotations

TITLES = {
    400: "Bad request", 401: "Unauthorized", 403: "Forbidden", 404: "Not found",
    405: "Method not allowed", 406: "Not acceptable", 409: "Conflict",
    413: "Content too large", 415: "Unsupported media type", 422: "Invalid request",
    429: "Too many requests", 500: "Internal error", 503: "Unavailable",
}  # fmt: skip
"""The problem title of each HTTP status an answer may have."""


class ServiceError(Exception):
    """A request the service will not carry out; its problem title is its status's."""

    status = 400

    def __init__(self, detail: str, field: str | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.field = field
        self.title = TITLES[self.status]


class InvalidRequest(ServiceError):
    status = 422


class NotFound(ServiceError):
    status = 404


class Conflict(ServiceError):
    """The subject is not in a state where this action applies (e.g. decided already)."""

    status = 409


class Unavailable(ServiceError):
    """Something the action needs is not there (no reconcile run yet, no job queue)."""

    status = 503
