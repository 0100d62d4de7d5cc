"""`ledgerbridge sandbox sage100 ...`: create and seed the Sage 100 sandbox company.

`init --db FILE` writes a new company file; it replaces an existing file only when that
file is a sandbox company and `--force` is given, and never creates missing directories
other than the default `.ledgerbridge/`.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer

from sandbox.datagen import SIZES, generate_company
from sandbox.sage100.seed import seed_company
from sandbox.state_file import check_db_option, refuse_foreign_file, sqlite_tables

DEFAULT_DB = Path(".ledgerbridge/sage100.db")
COMPANY_TABLES = frozenset({"AR_Customer", "AP_Vendor", "CI_Item", "GL_Account"})
"""Tables every sandbox company file holds: how a file is told to be one."""

app = typer.Typer(help="The Sage 100 sandbox company.", no_args_is_help=True)


@app.callback()
def sage100() -> None:
    """The Sage 100 sandbox company."""


def is_sandbox_company(path: Path) -> bool:
    """True when `path` is a SQLite file holding the sandbox company's tables."""
    return (sqlite_tables(path) or set()) >= COMPANY_TABLES


def checked_target(db: Path, force: bool) -> Path:
    """`db` if a company may be written there; else the reason, as `--db`'s bad value."""
    check_db_option(db, DEFAULT_DB)
    if db.exists():
        if not is_sandbox_company(db):
            raise refuse_foreign_file(db, "a Sage 100 sandbox company")
        if not force:
            raise typer.BadParameter(
                f"{db} already holds a Sage 100 sandbox company; add --force to replace it",
                param_hint="--db",
            )
    return db


@app.command()
def init(
    size: Annotated[str, typer.Option("--size", help="small, medium or large.")] = "small",
    db: Annotated[
        Path,
        typer.Option("--db", help="The company file to create (its directory must exist)."),
    ] = DEFAULT_DB,
    seed: Annotated[int, typer.Option("--seed", help="The generator's seed.")] = 42,
    force: Annotated[
        bool,
        typer.Option("--force", help="Replace an existing sandbox company file (only those)."),
    ] = False,
) -> None:
    """Seeds a realistic Sage 100 company (terms, GL chart, customers, vendors, items with
    stock, open invoices, history) into a SQLite file read through the SQLite ODBC driver."""
    if size not in SIZES:
        raise typer.BadParameter(f"size must be one of {', '.join(SIZES)}", param_hint="--size")
    checked_target(db, force)
    started = time.perf_counter()
    company = generate_company(size, seed)  # type: ignore[arg-type]
    counts = seed_company(db, company)
    for table, count in sorted(counts.items()):
        typer.echo(f"{table:<26} {count:>8}")
    typer.echo(
        f"Seeded {db} ({size}, seed {seed}) in {time.perf_counter() - started:.1f}s."
        f" Connection string: DRIVER=SQLite3;Database={db.resolve()}"
    )
