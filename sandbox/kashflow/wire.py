"""How the sandbox writes and reads JSON the way KashFlow does.

Amounts go out as JSON numbers with four decimals (`46.0000`), dates as
`"2013-06-07 12:00:00"` (space, no zone), and request bodies are read with their keys
matched case-insensitively (`UserName` and `username` are the same field).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any

FOUR_PLACES = Decimal("0.0001")


def amount_text(value: Decimal) -> str:
    """`46` -> `46.0000`, as KashFlow writes amounts."""
    return format(value.quantize(FOUR_PLACES), "f")


def date_text(value: date | datetime) -> str:
    """A date as KashFlow writes it: `2013-06-07 12:00:00` (dates without a time at midnight)."""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    return f"{value.isoformat()} 00:00:00"


def dumps(value: Any) -> str:
    """JSON text with decimals as 4-place numbers and dates in KashFlow's form."""
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, Decimal):
        return amount_text(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return amount_text(Decimal(repr(value)))
    if isinstance(value, date):
        return json.dumps(date_text(value))
    if isinstance(value, Mapping):
        return "{" + ",".join(f"{json.dumps(str(k))}:{dumps(v)}" for k, v in value.items()) + "}"
    if isinstance(value, Iterable):
        return "[" + ",".join(dumps(v) for v in value) + "]"
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


def loads(text: str | bytes) -> Any:
    """JSON with every number that has a fraction read as an exact `Decimal`."""
    return json.loads(text, parse_float=Decimal)


class Body:
    """A request body whose keys are matched case-insensitively, as KashFlow does."""

    def __init__(self, raw: Mapping[str, Any]) -> None:
        self.raw = raw
        self._folded = {str(k).lower(): v for k, v in raw.items()}

    def __contains__(self, name: str) -> bool:
        return name.lower() in self._folded

    def get(self, name: str, default: Any = None) -> Any:
        return self._folded.get(name.lower(), default)

    def text(self, name: str) -> str | None:
        value = self.get(name)
        if value is None:
            return None
        return str(value).strip()

    def child(self, name: str) -> Body | None:
        value = self.get(name)
        return Body(value) if isinstance(value, Mapping) else None

    def children(self, name: str) -> list[Body]:
        value = self.get(name)
        if not isinstance(value, list):
            return []
        return [Body(item) for item in value if isinstance(item, Mapping)]
