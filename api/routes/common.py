"""What the routes share: paging parameters and the problem responses they document."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Path, Query

from api.problems import Problem
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
