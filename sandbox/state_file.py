"""The SQLite files the sandboxes keep their state in, checked before a command uses one:
`--db` must name a file in a directory that exists, and an existing file is only used
when its tables say it is the sandbox's own."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import typer


def sqlite_tables(path: Path) -> set[str] | None:
    """The table names of the SQLite file at `path` (opened read only); None when it is
    not a SQLite file or cannot be read."""
    try:
        with path.open("rb") as head:
            if head.read(16) != b"SQLite format 3\x00":
                return None
        db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        try:
            rows = db.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
        finally:
            db.close()
    except (OSError, sqlite3.Error):
        return None
    return {str(name) for (name,) in rows}


def check_db_option(db: Path, default: Path) -> None:
    """Refuses, as `--db`'s bad value, a directory or a file in a directory that does not
    exist; creates the directory of `default` (the sandbox's own home) and no other."""
    if db.is_dir():
        raise typer.BadParameter(
            f"{db} is a directory; give a file in it, e.g. {db / default.name}", param_hint="--db"
        )
    parent = db.parent
    if parent.is_dir():
        return
    if parent.exists():
        raise typer.BadParameter(f"{parent} is not a directory", param_hint="--db")
    if db != default:
        raise typer.BadParameter(
            f"directory {parent} does not exist; create it first (mkdir -p {parent})",
            param_hint="--db",
        )
    parent.mkdir(parents=True)


def refuse_foreign_file(db: Path, what: str) -> typer.BadParameter:
    """The refusal for an existing file at `--db` that is not `what`: it is left alone."""
    return typer.BadParameter(
        f"{db} exists and is not {what}; it was left as it is (give another path)",
        param_hint="--db",
    )
