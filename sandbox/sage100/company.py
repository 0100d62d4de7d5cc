"""The Sage 100 sandbox company file: schema, column types, and Sage's audit stamps.

`create_company(path)` lays down the tables of `schema.sql` in a SQLite file. `columns_of`
reads each table's columns back with Sage's types (varchar width, decimal precision and
scale, date), which the BOI emulator validates against. `audit_stamp` gives the
DateUpdated/TimeUpdated/UserUpdatedKey values Sage writes: TimeUpdated is decimal hours
as text, "13.50000" being 13:30:00.
"""

from __future__ import annotations

import re
import sqlite3
import zlib
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Literal

ColumnKind = Literal["text", "number", "date"]


@dataclass(frozen=True)
class Column:
    """One Sage column: its name, kind, width (varchar length or decimal precision), scale."""

    name: str
    kind: ColumnKind
    width: int | None
    scale: int = 0
    primary_key: bool = False

    @property
    def boi_name(self) -> str:
        """The name a BOI script uses: string and date columns take a `$` suffix."""
        return self.name + "$" if self.kind in ("text", "date") else self.name


_DECLARED = re.compile(r"(?i)^(varchar|decimal|date|text)(?:\((\d+)(?:,(\d+))?\))?$")


def _column(name: str, declared: str, primary_key: bool) -> Column:
    match = _DECLARED.match(declared.replace(" ", ""))
    if match is None:
        raise ValueError(f"unknown Sage column type {declared!r} for {name}")
    kind_text, width, scale = match.groups()
    kind: ColumnKind = {"varchar": "text", "text": "text", "decimal": "number", "date": "date"}[
        kind_text.lower()
    ]  # type: ignore[assignment]
    return Column(name, kind, int(width) if width else None, int(scale or 0), primary_key)


def blank_value(column: Column) -> str | None:
    """What a column holds before anything is set: Sage keeps "" and 0, never NULL, except
    for dates, which the ODBC driver reports as NULL when empty."""
    if column.kind == "number":
        return "0"
    if column.kind == "text":
        return ""
    return None


AUDIT_COLUMNS = (
    "DateCreated date",
    "TimeCreated varchar(8)",
    "UserCreatedKey varchar(10)",
    "DateUpdated date",
    "TimeUpdated varchar(8)",
    "UserUpdatedKey varchar(10)",
)
"""The stamps Sage keeps on its tables, in the order most of them keep them."""
AUDIT_PLACE = "    -- audit stamps\n"
"""The line of `schema.sql` that stands for `AUDIT_COLUMNS` in a table."""


@cache
def schema_sql() -> str:
    """The DDL of every sandbox table: `schema.sql`, its audit-stamp places filled in."""
    text = resources.files("sandbox.sage100").joinpath("schema.sql").read_text()
    return text.replace(AUDIT_PLACE, "".join(f"    {column},\n" for column in AUDIT_COLUMNS))


def create_company(path: str | Path, *, overwrite: bool = False) -> Path:
    """A new, empty Sage 100 company file at `path` with every sandbox table."""
    target = Path(path)
    if target.exists():
        if not overwrite:
            raise FileExistsError(f"{target} already exists")
        target.unlink()
    target.parent.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(target) as db:
        db.executescript(schema_sql())
    db.close()
    return target


def connect_company(path: str | Path) -> sqlite3.Connection:
    """The emulator's own handle on the company file (readers use ODBC, not this)."""
    if not Path(path).is_file():
        raise FileNotFoundError(f"no Sage 100 sandbox company at {path}")
    db = sqlite3.connect(path, timeout=30)
    db.row_factory = sqlite3.Row
    return db


@cache
def _columns_from_schema() -> dict[str, tuple[Column, ...]]:
    db = sqlite3.connect(":memory:")
    try:
        db.executescript(schema_sql())
        tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        result: dict[str, tuple[Column, ...]] = {}
        for table in tables:
            rows = db.execute(f"PRAGMA table_info({table})").fetchall()
            result[table] = tuple(_column(r[1], r[2], bool(r[5])) for r in rows)
        return result
    finally:
        db.close()


def columns_of(table: str) -> tuple[Column, ...]:
    """The columns of a sandbox table, in schema order."""
    try:
        return _columns_from_schema()[table]
    except KeyError:
        raise KeyError(f"{table} is not a table of the Sage 100 sandbox") from None


def columns_in(db: sqlite3.Connection, table: str) -> tuple[Column, ...]:
    """The columns a company file holds now, user-defined (UDF_*) columns included."""
    rows = db.execute(f"PRAGMA table_info({table})").fetchall()
    if not rows:
        raise KeyError(f"{table} is not a table of the Sage 100 sandbox")
    return tuple(_column(r[1], r[2], bool(r[5])) for r in rows)


def table_names() -> tuple[str, ...]:
    return tuple(_columns_from_schema())


def sage_time(moment: datetime) -> str:
    """TimeUpdated as Sage stores it: decimal hours, five places ("13.50000" = 13:30:00)."""
    seconds = moment.hour * 3600 + moment.minute * 60 + moment.second
    hours = (Decimal(seconds) + Decimal(moment.microsecond) / 1_000_000) / 3600
    return str(hours.quantize(Decimal("0.00001"), rounding="ROUND_DOWN"))


def moment_of(day: date, time_text: str | None) -> datetime:
    """The instant a DateUpdated/TimeUpdated pair stands for (an empty time is midnight)."""
    start = datetime(day.year, day.month, day.day)
    text = (time_text or "").strip()
    if not text:
        return start
    microseconds = int(Decimal(text) * 3_600_000_000)
    return start + timedelta(microseconds=microseconds)


def user_key(user: str) -> str:
    """Sage keeps a ten-digit key per user in UserCreatedKey/UserUpdatedKey."""
    return f"{zlib.crc32(user.strip().lower().encode()) % 10**10:010d}"


def audit_stamp(moment: datetime, user: str, *, created: bool) -> dict[str, str]:
    """The audit columns Sage writes on every insert (created) or update."""
    stamp = {
        "DateUpdated": moment.date().isoformat(),
        "TimeUpdated": sage_time(moment),
        "UserUpdatedKey": user_key(user),
    }
    if created:
        stamp |= {
            "DateCreated": stamp["DateUpdated"],
            "TimeCreated": stamp["TimeUpdated"],
            "UserCreatedKey": stamp["UserUpdatedKey"],
        }
    return stamp
