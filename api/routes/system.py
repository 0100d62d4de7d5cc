"""`/health` (no token needed) and `/metrics` (Prometheus text)."""

from __future__ import annotations

import logging

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from api.auth import Reader
from api.routes.common import problems
from api.services.health import HealthOut, down, health

router = APIRouter(tags=["system"])
log = logging.getLogger("api")


@router.get(
    "/health", response_model=HealthOut,
    responses={503: {"model": HealthOut, "description": "The database does not answer."}},
)  # fmt: skip
def get_health(request: Request) -> Response:
    """The database, both systems (their streams' last polls) and the workers' heartbeat.
    200 while the database answers (status ok or degraded), else 503."""
    try:
        with request.app.state.pool.connection(timeout=3) as conn:
            found = health(conn)
    except Exception as error:
        log.warning("health: the database did not answer", extra={"error": type(error).__name__})
        return JSONResponse(down().model_dump(mode="json"), status_code=503)
    return JSONResponse(found.model_dump(mode="json"))


@router.get(
    "/metrics",
    response_class=Response,
    responses={
        200: {"content": {"text/plain": {"schema": {"type": "string"},
              "example": "ledgerbridge_dead_letters_open 2.0\n"}}},
        **problems(403),
    },
)  # fmt: skip
def metrics(request: Request, _: Reader) -> Response:
    """Prometheus text: records synced, lag per stream, dead letters, queue depth, latency."""
    return Response(
        generate_latest(request.app.state.metrics.registry), media_type=CONTENT_TYPE_LATEST
    )
