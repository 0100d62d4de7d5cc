"""The `ledgerbridge` command: demo, sync, worker, serve, db, history, reconcile, sandbox.

`main` is the console script. Any failure of any command, a configuration that cannot work
included, is answered by the app's group class (`ledgerbridge.error_boundary`): one line
on stderr and an exit status, no traceback unless `--verbose`.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Sequence
from importlib.metadata import version

import psycopg
import typer
from rich.console import Console

from canonical import ENTITIES, SYSTEMS
from ledger import history as record_history
from ledgerbridge import cdc_commands, db_commands
from ledgerbridge.api_commands import serve, token_app
from ledgerbridge.config import SettingsError, load_settings
from ledgerbridge.database import database_url, owner_database_url, prepare_ledger, redact
from ledgerbridge.error_boundary import CommandGroup
from ledgerbridge.history_view import history_table
from ledgerbridge.ledger_commands import app as ledger_app
from ledgerbridge.logs import configure_logging
from ledgerbridge.reconcile_command import reconcile_command
from sandbox.kashflow.cli import app as kashflow_sandbox_app
from sandbox.sage100.cli import app as sage100_sandbox_app

app = typer.Typer(
    cls=CommandGroup,
    help="Ledgerbridge: KashFlow <-> Sage 100 sync and reconciliation.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="The ledger database.", no_args_is_help=True)
sandbox_app = typer.Typer(help="Emulators of KashFlow and Sage 100.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(sandbox_app, name="sandbox")
app.add_typer(ledger_app, name="ledger")
app.add_typer(token_app, name="token")
app.command("serve")(serve)
sandbox_app.add_typer(kashflow_sandbox_app, name="kashflow")
sandbox_app.add_typer(sage100_sandbox_app, name="sage100")

OWN_PACKAGES = (
    "ledgerbridge",
    "canonical",
    "connectors",
    "cdc",
    "ledger",
    "matcher",
    "writer",
    "api",
)
"""Loggers LEDGERBRIDGE_LOG_LEVEL sets (the sandboxes stand in for other systems)."""

console = Console()
db_commands.register(db_app)


def _print_version(asked: bool) -> None:
    if asked:
        typer.echo(f"ledgerbridge {version('ledgerbridge')}")
        raise typer.Exit()


@app.callback()
def log_verbosity(
    verbose: bool = typer.Option(
        False, "--verbose", "-v", help="Log at DEBUG level; show the traceback of a failure."
    ),
    _version: bool = typer.Option(
        False,
        "--version",
        callback=_print_version,
        is_eager=True,
        help="Print the version and exit.",
    ),
) -> None:
    """Ledgerbridge logs at LEDGERBRIDGE_LOG_LEVEL, the libraries it uses at WARNING;
    everything at DEBUG with --verbose; as JSON lines with LEDGERBRIDGE_LOG_FORMAT=json.
    A configuration that cannot work is told by the command that reads it, so the
    sandboxes still run."""
    try:
        settings = load_settings()
        level, log_format = settings.log_level, settings.log_format
    except SettingsError:
        level = "INFO"
        wanted = os.environ.get("LEDGERBRIDGE_LOG_FORMAT", "").lower()
        log_format = "json" if wanted == "json" else "text"
    configure_logging("DEBUG" if verbose else "WARNING", log_format)
    for package in OWN_PACKAGES:
        logging.getLogger(package).setLevel(logging.DEBUG if verbose else level)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Create or migrate the ledger schema as its owner; the app's login may read and append."""
    settings = load_settings()
    try:
        warnings = prepare_ledger(settings)
    except PermissionError as error:
        console.print(str(error), soft_wrap=True)
        raise typer.Exit(1) from None
    console.print(f"ledger schema is up to date on {redact(owner_database_url(settings))}")
    for warning in warnings:
        console.print(f"warning: {warning}", soft_wrap=True)


def one_of(names: Sequence[str], what: str) -> Callable[[str], str]:
    """A parser of an argument that must be one of `names`."""

    def parse(value: str) -> str:
        if value not in names:
            raise ValueError(f"unknown {what} {value!r}; one of {', '.join(names)}")
        return value

    return parse


@app.command()
def history(
    system: str = typer.Argument(
        ..., parser=one_of(SYSTEMS, "system"), help=f"One of: {', '.join(SYSTEMS)}"
    ),
    entity: str = typer.Argument(
        ..., parser=one_of(ENTITIES, "entity"), help=f"One of: {', '.join(ENTITIES)}"
    ),
    key: str = typer.Argument(..., help="The record's key in that system"),
) -> None:
    """Print every version of one record with a field-level diff between versions."""
    with psycopg.connect(database_url(load_settings())) as conn:
        versions = record_history(conn, system, entity, key)
    if not versions:
        typer.echo(
            f"ledgerbridge: no versions of {system} {entity} {key!r} in the ledger:"
            " check the key (as that system spells it) or read the system first",
            err=True,
        )
        raise typer.Exit(1)
    console.print(history_table(versions))


app.command("reconcile")(reconcile_command)
cdc_commands.register(app)


@app.command()
def demo() -> None:
    """Run the storyline end to end on embedded defaults (safe to run again)."""
    from ledgerbridge.demo import run_demo

    run_demo(load_settings(), console)


def main(args: Sequence[str] | None = None) -> None:
    """Runs the `ledgerbridge` command on `args` (default: the process arguments)."""
    app(args=args, prog_name="ledgerbridge")
