"""The `ledgerbridge` command: demo, sync, worker, serve, db, history, reconcile, sandbox."""

from __future__ import annotations

import logging

import typer

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


@app.callback()
def main(
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Log at DEBUG level."),
) -> None:
    logging.basicConfig(level=logging.DEBUG if verbose else logging.INFO)
