"""`ledgerbridge sandbox sage100 ...`: create and seed the Sage 100 sandbox company."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer

from sandbox.datagen import SIZES, generate_company
from sandbox.sage100.seed import seed_company

app = typer.Typer(help="The Sage 100 sandbox company.", no_args_is_help=True)


@app.callback()
def sage100() -> None:
    """The Sage 100 sandbox company."""


@app.command()
def init(
    size: Annotated[str, typer.Option("--size", help="small, medium or large.")] = "small",
    db: Annotated[Path, typer.Option("--db", help="Where to write the company file.")] = Path(
        ".ledgerbridge/sage100.db"
    ),
    seed: Annotated[int, typer.Option("--seed", help="The generator's seed.")] = 42,
) -> None:
    """Seeds a realistic Sage 100 company (terms, GL chart, customers, vendors, items with
    stock, open invoices, history) into a SQLite file read through the SQLite ODBC driver."""
    if size not in SIZES:
        raise typer.BadParameter(f"size must be one of {', '.join(SIZES)}", param_hint="--size")
    started = time.perf_counter()
    company = generate_company(size, seed)  # type: ignore[arg-type]
    counts = seed_company(db, company)
    for table, count in sorted(counts.items()):
        typer.echo(f"{table:<26} {count:>8}")
    typer.echo(
        f"Seeded {db} ({size}, seed {seed}) in {time.perf_counter() - started:.1f}s."
        f" Connection string: DRIVER=SQLite3;Database={db.resolve()}"
    )
