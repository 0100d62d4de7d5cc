"""What the routes share: paging parameters, the problem responses they document, and
where their inputs came from, to name the field of a service's refusal."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Annotated, Any, TypeVar

from fastapi import Path, Query

from api.problems import Problem
from api.services.errors import ServiceError
from api.services.pages import DEFAULT_LIMIT, MAX_LIMIT
from api.services.texts import NAME_MAX, NoNul

Cursor = Annotated[
    str | None,
    Query(description="Opaque: the `next_cursor` of the page before.", max_length=2000),
]
Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Items per page.")]
NamePath = Annotated[str, Path(max_length=NAME_MAX), NoNul]
"""A name (a system, an entity, a webhook's source) in a path."""
DEFAULT = DEFAULT_LIMIT
T = TypeVar("T")


class Inputs:
    """Where a route's inputs came from, to name the field of a service's refusal as FastAPI
    names the fields it refuses itself (`query.ts`, `path.letter_id`,
    `body.invoices.0.key`). A service names a field as it took it (`ts`, `id`,
    `invoices.0.key`): it cannot know where a value came from, as the review pages call it
    too, with their own forms and filters; the route knows. A field comes from `rest`
    (query, path or body) unless `named` places its first part (`id="path.letter_id"`)."""

    def __init__(self, rest: str, **named: str) -> None:
        self.rest = rest
        self.named = named

    def place(self, field: str | None) -> str | None:
        """`field` named where its value came from."""
        if field is None:
            return None
        first, dot, more = field.partition(".")
        return f"{self.named.get(first, f'{self.rest}.{first}')}{dot}{more}"

    async def located(self, work: Awaitable[T]) -> T:
        """What `work` answers; a `ServiceError` it raises names its field where it came
        from."""
        try:
            return await work
        except ServiceError as error:
            error.field = self.place(error.field)
            raise


QUERY = Inputs("query")
PATH = Inputs("path")
BODY = Inputs("body")


def problems(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI responses for these error statuses (plus 400, 401 and 422, which any call may
    get: a body that does not parse, no token, a parameter out of range)."""
    described = {
        400: "The request is not valid.",
        401: "No API token, or an unknown or revoked one.",
        403: "The token's scope does not reach this endpoint.",
        404: "No such thing.",
        409: "Not in a state where this applies (decided already, say).",
        413: "The body is over the size limit.",
        422: "A parameter or body field is not valid.",
        503: "Something it needs is not there yet.",
    }
    return {
        status: {"model": Problem, "description": described[status]}
        for status in sorted({400, 401, 422, *statuses})
    }
