"""The decision endpoints (confirm, reject, approve, dismiss ...), made by one factory: each
is `POST <path>` by a person with scope review, about the subject the path names by id,
with an optional reason, answered by what the service's decide function returns."""

# No `from __future__ import annotations` here: FastAPI reads the endpoint's annotations,
# and the id's is made per route (its name in the path), so it must be the object itself.

from collections.abc import Callable
from enum import Enum
from typing import Annotated, Any

import psycopg
from fastapi import APIRouter, Body, Path
from pydantic import BaseModel

from api.auth import Reviewer
from api.routes.common import Inputs, problems
from api.services.decisions import DecisionIn, DecisionOut

Decide = Callable[[psycopg.Connection[Any], int, Any, str, str | None], BaseModel]
"""Records a decision: (connection, subject id, outcome, actor, reason) -> what to answer."""
Reason = Annotated[DecisionIn | None, Body()]


def add_decision_route(
    router: APIRouter,
    path: str,
    outcome: str,
    decide: Decide,
    *,
    name: str,
    description: str = "",
    response_model: type[BaseModel] = DecisionOut,
    id_description: str | None = None,
    tags: list[str | Enum] | None = None,
) -> None:
    """Adds `POST path` deciding `outcome` about the subject whose id is the path's one
    parameter (`/approvals/{intent_id}/approve`); `name` is the operation's name."""
    id_name = path.split("{", 1)[1].split("}", 1)[0]
    SubjectId = Annotated[int, Path(alias=id_name, ge=1, le=2**62, description=id_description)]
    inputs = Inputs("body", id=f"path.{id_name}")

    async def endpoint(who: Reviewer, subject_id: SubjectId, body: Reason = None) -> Any:
        reason = body.reason if body else None
        return await inputs.located(who.run(decide, subject_id, outcome, who.name, reason))

    router.add_api_route(
        path, endpoint, methods=["POST"], name=name, description=description,
        response_model=response_model, responses=problems(403, 404, 409), tags=tags,
    )  # fmt: skip
