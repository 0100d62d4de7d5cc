"""The `reconcile` command: match what the ledger holds now and append the results.

`reconcile_command` is the command itself (register it with
``app.command("reconcile")(reconcile_command)``); `app` is a typer sub-app holding it,
for use on its own (``python -m matcher.cli reconcile``).
"""

from __future__ import annotations

from decimal import Decimal

import psycopg
import typer
from rich.console import Console

from ledgerbridge.config import load_settings
from ledgerbridge.database import database_url
from matcher.payments import MatchConfig
from matcher.reconcile import reconcile

app = typer.Typer(help="Matching over the ledger.", no_args_is_help=True)
console = Console()
DEFAULTS = MatchConfig()


def reconcile_command(
    auto_threshold: float = typer.Option(
        DEFAULTS.auto_threshold, help="Score from which an unambiguous match is auto."
    ),
    tolerance_abs: str = typer.Option(
        str(DEFAULTS.tolerance_abs), help="Largest difference written off, in money."
    ),
    tolerance_pct: str = typer.Option(
        str(DEFAULTS.tolerance_pct), help="Largest difference written off, share of the invoice."
    ),
    days_after_due: int = typer.Option(
        DEFAULTS.days_after_due, help="How long after its due date a payment still counts."
    ),
) -> None:
    """Pair payments with open invoices on both sides and record the matches in the ledger."""
    config = MatchConfig(
        auto_threshold=auto_threshold,
        tolerance_abs=Decimal(tolerance_abs),
        tolerance_pct=Decimal(tolerance_pct),
        days_after_due=days_after_due,
    )
    with psycopg.connect(database_url(load_settings())) as conn:
        summary = reconcile(conn, config)
    console.print(
        f"reconcile run {summary.run_id}: {summary.payments} payments, {summary.invoices} "
        f"invoices -> {summary.allocations} allocations ({summary.auto} auto, "
        f"{summary.suggested} to review)"
    )


@app.callback()
def main() -> None:
    """Matching over the ledger."""


app.command("reconcile")(reconcile_command)


if __name__ == "__main__":
    app()
