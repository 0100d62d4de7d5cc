"""`ledgerbridge history`: one record's history as a rich table, every version and what
changed in it."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import psycopg
import typer
from rich.console import Console, Group
from rich.table import Table
from rich.text import Text

from canonical import ENTITIES, SYSTEMS
from ledger import StoredVersion, field_changes
from ledger import history as record_history
from ledgerbridge.config import load_settings
from ledgerbridge.database import database_url

MAX_VALUE = 60


def _short(value: Any) -> str:
    text = repr(value) if not isinstance(value, str) else value
    return text if len(text) <= MAX_VALUE else text[: MAX_VALUE - 1] + "…"


def history_table(versions: Sequence[StoredVersion]) -> Table:
    first = versions[0]
    table = Table(
        title=f"{first.system} {first.entity} {first.native_key}: {len(versions)} version(s)",
        show_lines=True,
    )
    table.add_column("v", justify="right")
    table.add_column("operation")
    table.add_column("observed at", no_wrap=True)
    table.add_column("source updated", no_wrap=True)
    table.add_column("run", justify="right")
    table.add_column("changes")
    previous: dict[str, Any] | None = None
    for version in versions:
        if version.operation == "delete":
            changes: Text | Group = Text("record deleted", style="red")
        elif previous is None:
            changes = Text(f"first seen ({len(version.payload or {})} fields)", style="green")
        else:
            lines = [
                Text.assemble(
                    (f"{change.field}: ", "bold"),
                    (_short(change.before), "red"),
                    " → ",
                    (_short(change.after), "green"),
                )
                for change in field_changes(previous, version.payload)
            ]
            changes = Group(*lines) if lines else Text("no field changed")
        table.add_row(
            str(version.version),
            version.operation,
            f"{version.observed_at:%Y-%m-%d %H:%M:%S}",
            f"{version.source_updated_at:%Y-%m-%d %H:%M:%S}" if version.source_updated_at else "",
            str(version.run_id or ""),
            changes,
        )
        if version.payload is not None:
            previous = version.payload
    return table


def one_of(names: Sequence[str], what: str) -> Callable[[str], str]:
    """A parser of an argument that must be one of `names`."""

    def parse(value: str) -> str:
        if value not in names:
            raise ValueError(f"unknown {what} {value!r}; one of {', '.join(names)}")
        return value

    return parse


def history_command(
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
    Console().print(history_table(versions))
