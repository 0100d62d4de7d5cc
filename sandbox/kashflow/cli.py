"""`ledgerbridge sandbox kashflow ...`: run the KashFlow sandbox server."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from sandbox.kashflow.config import SandboxConfig

DEFAULT_DB = Path(".ledgerbridge/kashflow.db")

app = typer.Typer(help="The KashFlow REST sandbox.", no_args_is_help=True)


@app.callback()
def kashflow() -> None:
    """The KashFlow REST sandbox."""


@app.command("serve")
def serve_command(
    port: Annotated[int, typer.Option("--port", help="Loopback port to listen on.")] = 8765,
    db: Annotated[
        Path, typer.Option("--db", help="SQLite file holding the sandbox state.")
    ] = DEFAULT_DB,
    size: Annotated[
        str, typer.Option("--size", help="Company size seeded on first start.")
    ] = "small",
    seed: Annotated[
        int, typer.Option("--seed", help="Generator seed (same as the Sage 100 sandbox).")
    ] = 42,
    rate_limit: Annotated[
        float | None,
        typer.Option("--rate-limit", help="Requests per second per session token (default 20)."),
    ] = None,
    host: Annotated[str, typer.Option("--host", help="Address to bind (loopback).")] = "127.0.0.1",
) -> None:
    """Serve the KashFlow REST API v2 sandbox; seeds the company on first start."""
    from sandbox.kashflow.server import open_sandbox, serve

    if size not in ("small", "medium", "large"):
        raise typer.BadParameter("size is small, medium or large", param_hint="--size")
    overrides: dict[str, object] = {"size": size, "seed": seed}
    if rate_limit is not None:
        overrides["rate_limit_per_second"] = rate_limit
    config = SandboxConfig(**overrides)  # type: ignore[arg-type]
    db.parent.mkdir(parents=True, exist_ok=True)
    sandbox = open_sandbox(db, config)
    typer.echo(
        f"KashFlow sandbox on http://{host}:{port}/v2 (user {config.username!r}; db {db};"
        f" rate limit {config.rate_limit_per_second}/s)"
    )
    serve(sandbox, host=host, port=port)
