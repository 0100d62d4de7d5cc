"""`ledgerbridge sandbox kashflow ...`: run the KashFlow sandbox server.

Options are checked where they are parsed: a port within 1..65535, a rate limit that is
a number from 0 (no limit) up, and a `--db` that is the sandbox's own state file (or a
new file in a directory that exists).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError

from sandbox.kashflow.config import MAX_RATE, MIN_RATE, SandboxConfig
from sandbox.kashflow.store import Store
from sandbox.state_file import check_db_option, refuse_foreign_file

DEFAULT_DB = Path(".ledgerbridge/kashflow.db")

app = typer.Typer(help="The KashFlow REST sandbox.", no_args_is_help=True)


@app.callback()
def kashflow() -> None:
    """The KashFlow REST sandbox."""


def checked_state_file(db: Path) -> Path:
    """`db` if the sandbox may keep its state there; else the reason, as `--db`'s bad value."""
    check_db_option(db, DEFAULT_DB)
    if db.exists() and not Store.holds_state(db):
        raise refuse_foreign_file(db, "a KashFlow sandbox state file")
    return db


def checked_rate(rate: float | None) -> float | None:
    """The rate limit, `None` for no limit (0), or the reason it cannot be used."""
    if rate is None or rate == 0:
        return None
    if not MIN_RATE <= rate <= MAX_RATE:  # also refuses nan
        raise typer.BadParameter(
            f"{rate:g} is not 0 (no limit) or between {MIN_RATE:g} and {MAX_RATE:g}",
            param_hint="--rate-limit",
        )
    return rate


@app.command("serve")
def serve_command(
    port: Annotated[
        int, typer.Option("--port", min=1, max=65535, help="Loopback port to listen on.")
    ] = 8765,
    db: Annotated[
        Path,
        typer.Option(
            "--db", help="SQLite file holding the sandbox state (its directory must exist)."
        ),
    ] = DEFAULT_DB,
    size: Annotated[
        str, typer.Option("--size", help="Company size seeded on first start.")
    ] = "small",
    seed: Annotated[
        int, typer.Option("--seed", help="Generator seed (same as the Sage 100 sandbox).")
    ] = 42,
    rate_limit: Annotated[
        float | None,
        typer.Option(
            "--rate-limit",
            help="Requests per second per session token (default 20; 0 for no limit).",
        ),
    ] = None,
    host: Annotated[str, typer.Option("--host", help="Address to bind (loopback).")] = "127.0.0.1",
) -> None:
    """Serve the KashFlow REST API v2 sandbox; seeds the company on first start."""
    from sandbox.kashflow.server import open_sandbox, serve

    if size not in ("small", "medium", "large"):
        raise typer.BadParameter("size is small, medium or large", param_hint="--size")
    rate = checked_rate(rate_limit)
    checked_state_file(db)
    overrides: dict[str, object] = {"size": size, "seed": seed}
    if rate_limit is not None:
        overrides["rate_limit_per_second"] = rate  # None: no limit
    try:
        config = SandboxConfig(**overrides)  # type: ignore[arg-type]
    except ValidationError as refused:
        first = refused.errors()[0]
        setting = "__".join(str(part) for part in first["loc"]).upper()
        raise typer.BadParameter(
            first["msg"], param_hint=f"LEDGERBRIDGE_KASHFLOW_SANDBOX_{setting}"
        ) from None
    sandbox = open_sandbox(db, config)
    typer.echo(
        f"KashFlow sandbox on http://{host}:{port}/v2 (user {config.username!r}; db {db};"
        f" rate limit {config.rate_limit_per_second}/s)"
    )
    serve(sandbox, host=host, port=port)
