"""`ledgerbridge serve` (the control API on uvicorn) and `ledgerbridge token create|list|revoke`
(API tokens: the secret is printed once, only its hash is kept)."""

from __future__ import annotations

import gc
import logging
from typing import Any

import psycopg
import typer
import uvicorn
from rich.console import Console
from rich.table import Table

from api.app import create_app
from api.services.errors import InvalidRequest, ServiceError
from api.services.tokens import SCOPES, create_token, list_tokens, revoke_token
from api.services.webhooks import WriterWork
from cdc.tasks import poll_requester
from ledgerbridge.config import Settings, load_settings
from ledgerbridge.database import database_url
from ledgerbridge.plan_view import configured_rules

token_app = typer.Typer(help="API tokens for the control API.", no_args_is_help=True)
console = Console()


def build_app(settings: Settings) -> Any:
    url = database_url(settings)
    writer = WriterWork(configured_rules(settings), settings.approval_threshold)
    return create_app(
        url, settings.api, poll_requester(url), cdc_settings=settings.cdc, writer=writer
    )


YOUNG_OBJECTS = 20_000
"""Allocations (net of frees) between two collections of the youngest generation: a request
makes hundreds of objects, and they all die by reference counting."""


def settle_heap() -> None:
    """Sets the serving process's garbage collector (not a test's, which would keep what
    it froze). What is there once the app is built (the modules, the app, its models: about
    130,000 objects) goes to the permanent generation, so no collection walks it again: a
    full collection of it took 100-500 ms on a busy machine, stopping every request in
    flight (the p99). The youngest generation is collected every 20,000 allocations
    instead of 700: a request's objects make no cycles (under load, collections freed
    nothing), so they die by reference counting before a collection would look at them."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(YOUNG_OBJECTS, 10, 10)


def worker_app() -> Any:
    """The app of one of `serve --workers N`'s processes (started afresh by uvicorn, so it
    reads the settings and sets up the command's logging itself)."""
    from ledgerbridge.cli import log_verbosity  # the shell's logging set-up, not a cycle at load

    log_verbosity(verbose=False, _version=False)
    app = build_app(load_settings())
    settle_heap()
    return app


def serve(
    host: str = typer.Option(None, help="Address to listen on (default: api.host setting)."),
    port: int = typer.Option(None, help="Port (default: api.port setting)."),
    workers: int = typer.Option(
        1, min=1, max=64, help="Processes serving the port (each with its own connection pool)."
    ),
) -> None:
    """Serve the control API (JSON, OpenAPI at /docs) until stopped."""
    settings = load_settings()
    served: Any = build_app(settings) if workers == 1 else f"{__name__}:worker_app"
    if workers == 1:
        settle_heap()
    uvicorn.run(
        served,
        factory=workers > 1,
        workers=workers,
        host=host or settings.api.host,
        port=port or settings.api.port,
        log_config=None,  # the command's logging (text or JSON lines) applies
        # Off unless its lines would be written: uvicorn builds a line's arguments (the
        # client, the quoted path) before the logger's level filters it.
        access_log=logging.getLogger("uvicorn.access").isEnabledFor(logging.INFO),
    )


def _fail(error: ServiceError) -> None:
    """One line on stderr; exit 2 for bad input, 1 when the ledger's state refuses it."""
    typer.echo(f"ledgerbridge: {error.detail}", err=True)
    raise typer.Exit(2 if isinstance(error, InvalidRequest) else 1)


@token_app.command("create")
def token_create(
    name: str = typer.Argument(..., help="Who or what holds it; decisions carry this name."),
    scope: str = typer.Option(..., help=f"One of: {', '.join(SCOPES)}"),
) -> None:
    """Make a token and print it, once: only its hash is kept."""
    with psycopg.connect(database_url(load_settings())) as conn:
        try:
            secret, token = create_token(conn, name, scope)
        except ServiceError as error:
            _fail(error)
            return
    console.print(f"token {token.name} ({token.scope}) made; it is shown this once:")
    typer.echo(secret)


@token_app.command("list")
def token_list(
    revoked: bool = typer.Option(False, "--revoked", help="Also list revoked tokens."),
) -> None:
    """The tokens, their scopes and when they were made (never the secrets)."""
    with psycopg.connect(database_url(load_settings())) as conn:
        tokens = list_tokens(conn, include_revoked=revoked)
    if not tokens:
        console.print("no tokens: make one with `ledgerbridge token create NAME --scope read`")
        return
    table = Table("name", "scope", "made", "by", "revoked")
    for token in tokens:
        table.add_row(
            token.name, token.scope, f"{token.created_at:%Y-%m-%d %H:%M}", token.made_by,
            f"{token.revoked_at:%Y-%m-%d %H:%M}" if token.revoked_at else "",
        )  # fmt: skip
    console.print(table)


@token_app.command("revoke")
def token_revoke(name: str = typer.Argument(..., help="The token's name.")) -> None:
    """Revoke a token: it is refused from now on."""
    with psycopg.connect(database_url(load_settings())) as conn:
        try:
            revoke_token(conn, name)
        except ServiceError as error:
            _fail(error)
            return
    console.print(f"token {name} revoked")
