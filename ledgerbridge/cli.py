"""The `ledgerbridge` command: demo, sync, worker, serve, db, history, reconcile, sandbox.

`main` is the console script. Any failure of any command, a configuration that cannot work
included, is answered by the app's group class (`ledgerbridge.error_boundary`): one line
on stderr and an exit status, no traceback unless `--verbose`.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping, Sequence
from importlib.metadata import version
from typing import ClassVar

import typer

from ledgerbridge.config import SettingsError, load_settings
from ledgerbridge.error_boundary import CommandGroup
from ledgerbridge.lazy_commands import LazyCommand, LazyGroup
from ledgerbridge.logs import configure_logging
from matcher.allocator import keep_freed_memory


class Commands(LazyGroup, CommandGroup):
    """The commands, each imported when it runs (`ledgerbridge --help` imports none)."""

    lazy_commands: ClassVar[Mapping[str, LazyCommand]] = {
        "serve": LazyCommand(
            "ledgerbridge.api_commands:serve",
            "Serve the control API (JSON, OpenAPI at /docs) until stopped.",
        ),
        "history": LazyCommand(
            "ledgerbridge.history_view:history_command",
            "Print every version of one record with a field-level diff between versions.",
        ),
        "reconcile": LazyCommand(
            "ledgerbridge.reconcile_command:reconcile_command",
            "Link masters, pair payments, flag anomalies and suggest GL accounts over the"
            " ledger, and record every finding in one reconcile run.",
        ),
        "sync": LazyCommand(
            "ledgerbridge.cdc_commands:sync",
            "Poll every stream once in dependency order and print what each did, then plan"
            " the writes every flow makes and store them for `ledgerbridge apply` (without"
            " --once: run a worker, as `ledgerbridge worker`). With --dry-run, print the"
            " planned writes instead of storing them (after polling, with --once).",
        ),
        "worker": LazyCommand(
            "ledgerbridge.cdc_commands:worker",
            "Run a worker: polls every stream on its schedule and, unless --read-only, plans"
            " and applies the writer's flows, until stopped (Ctrl-C). Run any number, on any"
            " machine that reaches the database.",
        ),
        "apply": LazyCommand(
            "ledgerbridge.writer_commands:apply_command",
            "Apply every pending write intent now (dependencies first; approvals and dead"
            " letters wait) and print what happened.",
        ),
        "plan": LazyCommand(
            "ledgerbridge.plan_view:plan_command",
            "Print the writes every flow would make now (flow, target, key, fields, approval"
            " needed, warnings), the conflicts resolved and the records refused; apply"
            " nothing.",
        ),
        "demo": LazyCommand(
            "ledgerbridge.demo:demo_command",
            "Run the storyline end to end on embedded defaults (safe to run again).",
        ),
        "db": LazyCommand("ledgerbridge.db_commands:app", "The ledger database."),
        "sandbox": LazyCommand(
            "ledgerbridge.cli:sandbox_commands", "Emulators of KashFlow and Sage 100."
        ),
        "ledger": LazyCommand(
            "ledgerbridge.ledger_commands:app",
            "Prove the ledger was not altered: seal its chain heads, verify its chains.",
        ),
        "token": LazyCommand(
            "ledgerbridge.api_commands:token_app", "API tokens for the control API."
        ),
        "schedule": LazyCommand(
            "ledgerbridge.cdc_commands:schedule_app", "How often each stream is polled."
        ),
        "approvals": LazyCommand(
            "ledgerbridge.writer_commands:approvals_app", "Writes that wait for a human approval."
        ),
        "deadletters": LazyCommand(
            "ledgerbridge.deadletter_commands:deadletters_app",
            "Writes refused for good, and their retry.",
        ),
    }


class SandboxCommands(LazyGroup):
    """The emulators' commands, each imported when it runs."""

    lazy_commands: ClassVar[Mapping[str, LazyCommand]] = {
        "kashflow": LazyCommand("sandbox.kashflow.cli:app", "The KashFlow REST sandbox."),
        "sage100": LazyCommand("sandbox.sage100.cli:app", "The Sage 100 sandbox company."),
    }


app = typer.Typer(
    cls=Commands,
    help="Ledgerbridge: KashFlow <-> Sage 100 sync and reconciliation.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
sandbox_commands = SandboxCommands(
    name="sandbox", help="Emulators of KashFlow and Sage 100.", no_args_is_help=True
)

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


def main(args: Sequence[str] | None = None) -> None:
    """Runs the `ledgerbridge` command on `args` (default: the process arguments)."""
    keep_freed_memory()  # before any command loads polars
    app(args=args, prog_name="ledgerbridge")
