"""The listing endpoints (dead letters, runs, approvals ...), made by one factory from the
service's listing function: each is `GET <path>` by anyone with scope read, whose query
parameters are the fields of the function's filters model (each optional, validated as the
model says) and `cursor` and `limit`, answered by the page the function returns and
described by its docstring."""

# No `from __future__ import annotations` here: FastAPI reads the endpoint's annotations,
# and the filters' model is the listing's own, so it must be the object itself.

import inspect
from collections.abc import Callable
from enum import Enum
from typing import Annotated, Any, get_type_hints

import psycopg
from fastapi import APIRouter, Query
from pydantic import BaseModel

from api.auth import Reader
from api.routes.common import DEFAULT, QUERY, Cursor, Limit, problems

ListPage = Callable[[psycopg.Connection[Any], Any, str | None, int], BaseModel]
"""A service's listing function: `(conn, filters, cursor, limit) -> page`, its parameter
`filters` annotated with the filters' model and its return with the page's."""


def add_listing_route(
    router: APIRouter,
    path: str,
    list_page: ListPage,
    *,
    description: str | None = None,
    tags: list[str | Enum] | None = None,
) -> None:
    """Adds `GET path` answering `list_page(connection, filters, cursor, limit)`, named as
    the function is and described by `description` (by default its docstring)."""
    hints = get_type_hints(list_page)
    filters_model: type[BaseModel] = hints["filters"]
    Filters = Annotated[filters_model, Query()]  # type: ignore[valid-type]

    async def endpoint(
        caller: Reader, filters: Filters, cursor: Cursor = None, limit: Limit = DEFAULT
    ) -> Any:
        return await QUERY.located(caller.run(list_page, filters, cursor, limit))

    router.add_api_route(
        path,
        endpoint,
        methods=["GET"],
        name=list_page.__name__,
        description=inspect.getdoc(list_page) if description is None else description,
        response_model=hints["return"],
        responses=problems(403),
        tags=tags,
    )
