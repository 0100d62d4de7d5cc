"""`ledgerbridge deadletters list | show ID | retry ID | retry --all`: the writes a system
refused for good, and trying them again once the cause is fixed. A retry is recorded in
the ledger (who asked, when) and applied at once: a new attempt of the same intent, which
searches the target first, so it lands once.
"""

from __future__ import annotations

import json

import psycopg
import typer
from rich import box
from rich.console import Console
from rich.table import Table

from ledgerbridge.config import load_settings
from ledgerbridge.database import database_url
from ledgerbridge.writer_commands import open_applier, report_table
from writer.dead_letters import ask_retry, ask_retry_all, writer_dead_letters

console = Console()
deadletters_app = typer.Typer(
    help="Writes refused for good, and their retry.", no_args_is_help=True
)


@deadletters_app.command("list")
def deadletters_list(
    everything: bool = typer.Option(
        False, "--all", help="Also those whose write has landed since."
    ),
) -> None:
    """Dead letters of the writer, oldest first: what, where, and the exact message."""
    with psycopg.connect(database_url(load_settings()), autocommit=True) as conn:
        letters = writer_dead_letters(conn)
    table = Table(title="writer dead letters", box=box.SIMPLE_HEAD)
    table.add_column("id", justify="right", no_wrap=True)
    table.add_column("record (system entity key)", overflow="fold")
    table.add_column("field", overflow="fold")
    table.add_column("message", overflow="fold", ratio=1)
    table.add_column("now", no_wrap=True)
    for letter in letters:
        if letter.now == "succeeded" and not everything:
            continue
        record = " ".join(p for p in (letter.system, letter.entity, letter.key) if p)
        table.add_row(
            str(letter.dead_letter_id), record, letter.field or "",
            f"{letter.error_type}: {letter.message}", letter.now,
        )  # fmt: skip
    console.print(table)


@deadletters_app.command("show")
def deadletters_show(dead_letter_id: int) -> None:
    """One dead letter in full, with the record it would have written."""
    with psycopg.connect(database_url(load_settings()), autocommit=True) as conn:
        found = writer_dead_letters(conn, dead_letter_id)
    if not found:
        console.print(f"[red]no writer dead letter {dead_letter_id}[/red]")
        raise typer.Exit(1)
    letter = found[0]
    for name in ("dead_letter_id", "system", "entity", "key", "idempotency_key", "error_type",
                 "field", "message", "created_at", "now"):  # fmt: skip
        console.print(f"[bold]{name}[/bold]: {getattr(letter, name)}")
    console.print("[bold]payload[/bold]:")
    console.print_json(json.dumps(letter.payload, default=str))


@deadletters_app.command("retry")
def deadletters_retry(
    dead_letter_id: int | None = typer.Argument(None, help="The dead letter to retry."),
    retry_all: bool = typer.Option(False, "--all", help="Every write dead-lettered now."),
    by: str = typer.Option("cli", "--by", help="Who asks (recorded in the ledger)."),
) -> None:
    """Try a dead-lettered write again (after fixing its cause), and apply it now."""
    if (dead_letter_id is None) == (not retry_all):
        raise typer.BadParameter("give a dead letter ID or --all (not both)")
    settings = load_settings()
    with psycopg.connect(database_url(settings), autocommit=True) as conn:
        try:
            keys = (
                ask_retry_all(conn, by) if retry_all else [ask_retry(conn, dead_letter_id or 0, by)]
            )
        except ValueError as refused:
            console.print(f"[red]{refused}[/red]")
            raise typer.Exit(1) from None
    if not keys:
        console.print("nothing to retry")
        return
    with open_applier(settings) as applier:
        report = applier.apply(keys)
    console.print(report_table(report))
    if report.dead_lettered:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.add_typer(deadletters_app, name="deadletters")
