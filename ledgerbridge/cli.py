"""The `ledgerbridge` command: demo, sync, worker, serve, db, history, reconcile, sandbox.

`main` is the console script: the typer `app`, with a configuration that cannot work
told in one line on stderr (exit status 2) instead of a traceback.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import psycopg
import typer
from rich.console import Console

from canonical import ENTITIES, SYSTEMS
from ledger import history as record_history
from ledger.migrate import upgrade
from ledgerbridge.config import SettingsError, load_settings
from ledgerbridge.database import database_url, redact
from ledgerbridge.history_view import history_table
from ledgerbridge.reconcile_command import reconcile_command
from sandbox.kashflow.cli import app as kashflow_sandbox_app
from sandbox.sage100.cli import app as sage100_sandbox_app

app = typer.Typer(
    help="Ledgerbridge: KashFlow <-> Sage 100 sync and reconciliation.", no_args_is_help=True
)
db_app = typer.Typer(help="The ledger database.", no_args_is_help=True)
sandbox_app = typer.Typer(help="Emulators of KashFlow and Sage 100.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(sandbox_app, name="sandbox")
sandbox_app.add_typer(kashflow_sandbox_app, name="kashflow")
sandbox_app.add_typer(sage100_sandbox_app, name="sage100")

console = Console()


@app.callback()
def log_verbosity(
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Log at DEBUG level."),
) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s %(message)s",
    )


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Create or migrate the ledger schema to the newest revision."""
    url = database_url(load_settings())
    upgrade(url)
    console.print(f"ledger schema is up to date on {redact(url)}")


@app.command()
def history(
    system: str = typer.Argument(..., help=f"One of: {', '.join(SYSTEMS)}"),
    entity: str = typer.Argument(..., help=f"One of: {', '.join(ENTITIES)}"),
    key: str = typer.Argument(..., help="The record's key in that system"),
) -> None:
    """Print every version of one record with a field-level diff between versions."""
    if system not in SYSTEMS:
        raise typer.BadParameter(f"unknown system {system!r}; one of {', '.join(SYSTEMS)}")
    if entity not in ENTITIES:
        raise typer.BadParameter(f"unknown entity {entity!r}; one of {', '.join(ENTITIES)}")
    with psycopg.connect(database_url(load_settings())) as conn:
        versions = record_history(conn, system, entity, key)
    if not versions:
        console.print(f"no versions of {system} {entity} {key!r} in the ledger")
        raise typer.Exit(1)
    console.print(history_table(versions))


app.command("reconcile")(reconcile_command)


@app.command()
def demo() -> None:
    """Run the storyline end to end on embedded defaults (safe to run again)."""
    from ledgerbridge.demo import run_demo

    run_demo(load_settings(), console)


def main(args: Sequence[str] | None = None) -> None:
    """Runs the `ledgerbridge` command on `args` (default: the process arguments)."""
    try:
        app(args=args, prog_name="ledgerbridge")
    except SettingsError as exc:
        typer.echo(f"ledgerbridge: {exc}", err=True)
        raise SystemExit(2) from None
