"""Errors as RFC 9457 problem details (`application/problem+json`): a title, the status, one
line of detail naming what was wrong, the field at fault when there is one, and the
request's path. Never a stack trace or a secret: an unexpected error is logged with an id,
and the response carries only that id."""

from __future__ import annotations

import logging
import uuid
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.services.errors import TITLES, ServiceError

log = logging.getLogger("api")

MEDIA_TYPE = "application/problem+json"


class FieldProblem(BaseModel):
    field: str = Field(examples=["query.limit"])
    message: str = Field(examples=["Input should be less than or equal to 500"])


class Problem(BaseModel):
    """RFC 9457 problem details."""

    type: str = Field(default="about:blank")
    title: str = Field(examples=["Not found"])
    status: int = Field(examples=[404])
    detail: str | None = Field(default=None, examples=["no payment match 99"])
    instance: str | None = Field(default=None, examples=["/reconciliation/matches/99/confirm"])
    field: str | None = Field(default=None, examples=["path.match_id"])
    errors: list[FieldProblem] | None = None


def problem_response(
    request: Request,
    status: int,
    title: str,
    detail: str | None = None,
    field: str | None = None,
    errors: list[FieldProblem] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    body = Problem(
        title=title, status=status, detail=detail, instance=request.url.path, field=field,
        errors=errors,
    )  # fmt: skip
    return JSONResponse(
        body.model_dump(exclude_none=True), status_code=status, media_type=MEDIA_TYPE,
        headers=headers,
    )  # fmt: skip


def _field_of(location: tuple[Any, ...]) -> str:
    return ".".join(str(part) for part in location)


def install_problem_handlers(app: FastAPI) -> None:
    @app.exception_handler(ServiceError)
    async def service_error(request: Request, error: ServiceError) -> JSONResponse:
        return problem_response(request, error.status, error.title, error.detail, error.field)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, error: StarletteHTTPException) -> JSONResponse:
        title = TITLES.get(error.status_code, "Error")
        detail = error.detail if isinstance(error.detail, str) else None
        return problem_response(
            request, error.status_code, title, detail, headers=dict(error.headers or {})
        )

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, error: RequestValidationError) -> JSONResponse:
        # The input given is left out: it may be anything, a secret included.
        errors = [
            FieldProblem(field=_field_of(e.get("loc", ())), message=str(e.get("msg", "")))
            for e in error.errors()
        ]
        first = errors[0] if errors else None
        detail = f"{first.field}: {first.message}" if first else "the request is not valid"
        return problem_response(
            request, 422, "Invalid request", detail, first.field if first else None, errors
        )

    @app.exception_handler(Exception)
    async def unexpected(request: Request, error: Exception) -> JSONResponse:
        incident = uuid.uuid4().hex[:12]
        log.error(
            "unexpected error",
            exc_info=error,
            extra={"incident": incident, "path": request.url.path},
        )
        return problem_response(
            request, 500, "Internal error", f"something went wrong; incident {incident} is logged"
        )
