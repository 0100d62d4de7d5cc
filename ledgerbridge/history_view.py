"""Renders one record's history as a rich table: every version and what changed in it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rich.console import Group
from rich.table import Table
from rich.text import Text

from ledger import StoredVersion, field_changes

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
