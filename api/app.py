"""The control API's FastAPI app: `create_app(database_url, settings)` wires the pooled
database connection, problem details, metrics, the routes and the OpenAPI document."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from psycopg_pool import AsyncConnectionPool, ConnectionPool

from api.database import Database
from api.hot_reads import HotReads
from api.metrics import ApiMetrics
from api.openapi import custom_openapi
from api.problems import install_problem_handlers
from api.routes import operations, reconciliation, review, system, webhooks
from api.services.webhooks import WebhookPolicy, WriterWork
from api.settings import ApiSettings
from api.token_cache import TokenCache
from api.ui.router import install_ui
from cdc.settings import CdcSettings

PollRequest = Callable[[str, str, str], "int | None"]

DESCRIPTION = """Ledgerbridge's control surface: what does not reconcile, matches to confirm,
GL suggestions to accept, anomalies, approvals, dead letters to retry, every record's
history, sync runs and schedules, health and metrics.

Every endpoint but `/health` needs `Authorization: Bearer <token>` (`ledgerbridge token
create NAME --scope read|review|admin`). Listings page with opaque cursors: pass a page's
`next_cursor` as `cursor`. Errors are RFC 9457 problem details."""


def create_app(
    database_url: str,
    settings: ApiSettings | None = None,
    request_poll: PollRequest | None = None,
    pool_size: int | None = None,
    cdc_settings: CdcSettings | None = None,
    writer: WriterWork | None = None,
) -> FastAPI:
    """The app, its pool opened on startup and closed on shutdown. `request_poll` asks the
    CDC workers for a poll of a stream (dead-letter retries, webhooks, `/sync/run`);
    `cdc_settings` gives the configured intervals `/sync/schedules` shows; `writer` plans
    the writer flows a webhook event concerns (none planned without it)."""
    chosen = settings or ApiSettings()
    pool: ConnectionPool[Any] = ConnectionPool(
        database_url,
        min_size=1,
        max_size=pool_size or chosen.pool_size,
        open=False,
        timeout=10,
        name="ledgerbridge-api",
    )

    reads: AsyncConnectionPool[Any] = AsyncConnectionPool(
        database_url,
        min_size=1,
        max_size=pool_size or chosen.pool_size,
        kwargs={"autocommit": True},
        open=False,
        timeout=10,
        name="ledgerbridge-api-reads",
    )
    database = Database(pool, reads)
    tokens = TokenCache(database_url)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        pool.open(wait=False)
        await database.open()
        try:
            yield
        finally:
            tokens.close()
            await database.close()
            pool.close()

    app = FastAPI(
        title="Ledgerbridge control API", version="1.0.0", description=DESCRIPTION,
        lifespan=lifespan,
    )  # fmt: skip
    app.state.pool = pool
    app.state.database = database
    app.state.tokens = tokens
    app.state.request_poll = request_poll
    app.state.writer = writer
    app.state.cdc = cdc_settings or CdcSettings()
    app.state.webhooks = WebhookPolicy(
        dict(chosen.webhook_secrets), chosen.webhook_tolerance_seconds, chosen.webhook_max_bytes
    )
    app.state.metrics = ApiMetrics(pool)
    install_problem_handlers(app)
    app.add_middleware(HotReads, state=app.state)  # inside the latency histogram
    app.state.metrics.install(app)
    for router in (
        reconciliation.router, review.router, operations.router, system.router, webhooks.router,
    ):  # fmt: skip
        app.include_router(router)
    install_ui(app)
    app.openapi = lambda: custom_openapi(app)  # type: ignore[method-assign]
    return app
