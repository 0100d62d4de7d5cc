"""The `reconcile` command: match what the ledger holds now and append the results.

`reconcile_command` is the command itself (register it with
``app.command("reconcile")(reconcile_command)``); `app` is a typer sub-app holding it,
for use on its own (``python -m ledgerbridge.reconcile_command reconcile``).
`summary_table` renders what a run did, step by step.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Annotated

import psycopg
import typer
from rich.console import Console
from rich.table import Table

from ledgerbridge.config import load_settings
from ledgerbridge.database import database_url
from ledgerbridge.reconcile import reconcile
from matcher.payments import MatchConfig
from matcher.reconcile import GLConfig, ReconcileConfig, ReconcileSummary

app = typer.Typer(help="Matching over the ledger.", no_args_is_help=True)
console = Console()
DEFAULTS = MatchConfig()
GL_DEFAULTS = GLConfig()


class DecimalRange:
    """A parser of option values: a finite decimal number within [minimum, maximum],
    parsed exactly (no float); a ValueError says what is wrong with the value."""

    def __init__(self, minimum: Decimal, maximum: Decimal | None = None) -> None:
        self.minimum, self.maximum = minimum, maximum

    def __call__(self, value: str | Decimal) -> Decimal:
        if isinstance(value, Decimal):
            return value
        try:
            number = Decimal(value.strip())
        except InvalidOperation:
            raise ValueError(f"{value!r} is not a number (write it like 2.50)") from None
        if not number.is_finite():
            raise ValueError(f"{value!r} is not a finite number")
        if number < self.minimum or (self.maximum is not None and number > self.maximum):
            wanted = (
                f"between {self.minimum} and {self.maximum}"
                if self.maximum is not None
                else f"at least {self.minimum}"
            )
            raise ValueError(f"{value} is not {wanted}")
        return number


AMOUNT = DecimalRange(Decimal(0))
SHARE = DecimalRange(Decimal(0), Decimal(1))


def reconcile_command(
    auto_threshold: float = typer.Option(
        DEFAULTS.auto_threshold,
        min=0.0,
        max=1.0,
        help="Score in [0, 1] from which an unambiguous payment match is auto.",
    ),
    tolerance_abs: Annotated[
        Decimal,
        typer.Option(parser=AMOUNT, help="Largest difference written off, in money (>= 0)."),
    ] = DEFAULTS.tolerance_abs,
    tolerance_pct: Annotated[
        Decimal,
        typer.Option(
            parser=SHARE,
            help="Largest difference written off, as a share of the invoice (0.005 = 0.5%).",
        ),
    ] = DEFAULTS.tolerance_pct,
    days_after_due: int = typer.Option(
        DEFAULTS.days_after_due,
        min=0,
        help="How many days after its due date a payment still counts (>= 0).",
    ),
    gl_min_history: int = typer.Option(
        GL_DEFAULTS.min_history,
        min=0,
        help="Labelled Sage purchase lines needed to train GL suggestions (else mapping).",
    ),
) -> None:
    """Link masters, pair payments, flag anomalies and suggest GL accounts over the ledger,
    and record every finding in one reconcile run."""
    config = ReconcileConfig(
        payments=MatchConfig(
            auto_threshold=auto_threshold,
            tolerance_abs=tolerance_abs,
            tolerance_pct=tolerance_pct,
            days_after_due=days_after_due,
        ),
        gl=GLConfig(min_history=gl_min_history),
    )
    with psycopg.connect(database_url(load_settings())) as conn:
        summary = reconcile(conn, config)
    console.print(summary_table(summary))
    for problem in summary.problems:
        console.print(f"[yellow]not reconciled[/yellow] {problem.line()}")


def summary_table(summary: ReconcileSummary) -> Table:
    """One row per step of the run: what it looked at and what it found."""
    table = Table(title=f"reconcile run {summary.run_id}")
    table.add_column("step")
    table.add_column("looked at")
    table.add_column("found")
    for masters in summary.masters:
        table.add_row(
            f"{masters.entity} links",
            f"{masters.already_linked} linked before",
            f"{masters.auto} auto-linked, {masters.suggested} to review; unlinked: "
            f"{masters.unlinked_kashflow} KashFlow, {masters.unlinked_sage100} Sage 100",
        )
    table.add_row(
        "payments",
        f"{summary.payments} payments, {summary.invoices} invoices",
        f"{summary.allocations} allocations ({summary.auto} auto, {summary.suggested} to review)",
    )
    table.add_row(
        "anomalies",
        f"{summary.anomalies.scored} invoices",
        f"{summary.anomalies.flagged} flagged",
    )
    table.add_row(
        "GL suggestions",
        f"{summary.gl.lines} KashFlow purchase lines not in Sage",
        f"{summary.gl.suggested} suggested (from the {summary.gl.source}, "
        f"{summary.gl.history} lines of history)",
    )
    return table


@app.callback()
def main() -> None:
    """Matching over the ledger."""


app.command("reconcile")(reconcile_command)


if __name__ == "__main__":
    app()
