"""`/health` (no token needed) and `/metrics` (Prometheus text)."""

from __future__ import annotations

import logging

from fastapi import APIRouter, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

from api.auth import Reader
from api.database import Database
from api.routes.common import problems
from api.services.health import HealthOut, down, read_health

router = APIRouter(tags=["system"])
log = logging.getLogger("api")
JSON = "application/json"


@router.get(
    "/health", response_model=HealthOut,
    responses={503: {"model": HealthOut, "description": "The database does not answer."}},
)  # fmt: skip
async def get_health(request: Request) -> Response:
    """The database, both systems (their streams' last polls) and the workers' heartbeat.
    200 while the database answers (status ok or degraded), else 503."""
    status, body = await health_answer(request.app.state.database)
    return Response(body, status_code=status, media_type=JSON)


async def health_answer(database: Database) -> tuple[int, bytes]:
    """`/health`'s status and body (served by the route, and ahead of it by
    `api.hot_reads`): read on a connection of the async pool, on the event loop
    (autocommit: no BEGIN and COMMIT); 503 when the database does not answer."""
    try:
        async with database.reads.connection(timeout=3) as conn:
            found = await read_health(conn)
    except Exception as error:
        log.warning("health: the database did not answer", extra={"error": type(error).__name__})
        return 503, down().model_dump_json().encode()
    return 200, found.model_dump_json().encode()


@router.get(
    "/metrics",
    response_class=Response,
    responses={
        200: {"content": {"text/plain": {"schema": {"type": "string"},
              "example": "ledgerbridge_dead_letters_open 2.0\n"}}},
        **problems(403),
    },
)  # fmt: skip
async def metrics(request: Request, caller: Reader) -> Response:
    """Prometheus text: records synced, lag per stream, dead letters, queue depth, latency."""
    # On a worker thread but holding no connection: the ledger collector takes its own,
    # so a pool of one connection still serves a scrape.
    database: Database = request.app.state.database
    registry: CollectorRegistry = request.app.state.metrics.registry
    text = await database.run(generate_latest, registry)
    return Response(text, media_type=CONTENT_TYPE_LATEST)
