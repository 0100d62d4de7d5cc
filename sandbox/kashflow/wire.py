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


MAX_BODY_BYTES = 1_048_576
"""The largest request body the sandbox reads (1 MiB); a larger one is answered 400."""
MAX_JSON_DEPTH = 20
"""How deeply objects and arrays may nest in a request body; deeper is answered 400."""


class Invalid(Exception):
    """A request value the sandbox refuses: answered 400 with the field and message."""

    def __init__(self, field: str, message: str, error: str = "ValidationError") -> None:
        self.field = field
        self.message = message
        self.error = error
        super().__init__(f"{field}: {message}")


class BodyRefused(Exception):
    """A request body that is not one JSON object within the limits: answered 400."""

    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(message)


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def loads(text: str | bytes) -> Any:
    """JSON with every number that has a fraction read as an exact `Decimal`; `NaN` and
    `Infinity` are refused (they are not JSON)."""
    return json.loads(text, parse_float=Decimal, parse_constant=_no_constant)


def nesting_depth(value: Any) -> int:
    """How many objects and arrays deep `value` goes (a scalar is 0); a string that UTF-8
    cannot hold (a lone surrogate such as `"\\ud800"`) raises `BodyRefused`."""
    deepest = 0
    pending: list[tuple[Any, int]] = [(value, 0)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, str):
            _check_unicode(item)
            continue
        if isinstance(item, dict):
            children: Iterable[Any] = [*item.keys(), *item.values()]
        elif isinstance(item, list):
            children = item
        else:
            continue
        deepest = max(deepest, depth + 1)
        pending.extend((child, depth + 1) for child in children)
    return deepest


def _check_unicode(text: str) -> None:
    if text.isascii():
        return
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise BodyRefused("The request body holds a string that is not valid Unicode.") from None


def request_object(raw: bytes) -> dict[str, Any]:
    """A request body as one JSON object within the size and depth limits, or `BodyRefused`."""
    value = request_json(raw)
    if not isinstance(value, dict):
        raise BodyRefused("The request body must be a JSON object.")
    return value


def request_json(raw: bytes) -> Any:
    """A request body as JSON within the size and depth limits (empty: `{}`), or
    `BodyRefused`."""
    if len(raw) > MAX_BODY_BYTES:
        raise BodyRefused(f"The request body is larger than {MAX_BODY_BYTES} bytes.")
    if not raw.strip():
        return {}
    try:
        value = loads(raw)
    except RecursionError:
        raise BodyRefused(_too_deep()) from None
    except ValueError:
        raise BodyRefused("The request body is not valid JSON.") from None
    if nesting_depth(value) > MAX_JSON_DEPTH:
        raise BodyRefused(_too_deep())
    return value


def _too_deep() -> str:
    return f"The request body nests objects and arrays deeper than {MAX_JSON_DEPTH} levels."


def shown(value: Any, limit: int = 40) -> str:
    """A value as an error message quotes it: its repr, cut to `limit` characters."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


class Body:
    """A request body whose keys are matched case-insensitively, as KashFlow does.

    `path` is where this body sits in the request (`LineItems[2]`), so a refusal names
    the field in full."""

    def __init__(self, raw: Mapping[str, Any], path: str = "") -> None:
        self.raw = raw
        self.path = path
        self._folded = {str(k).lower(): v for k, v in raw.items()}

    def where(self, name: str) -> str:
        """The full name of field `name` for an error message."""
        return f"{self.path}.{name}" if self.path else name

    def __contains__(self, name: str) -> bool:
        return name.lower() in self._folded

    def get(self, name: str, default: Any = None) -> Any:
        return self._folded.get(name.lower(), default)

    def text(self, name: str) -> str | None:
        """A text field; a number is taken as its digits, an object, array or boolean is
        refused."""
        value = self.get(name)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, str | int | Decimal):
            raise Invalid(self.where(name), "must be text")
        return str(value).strip()

    def string(self, name: str) -> str | None:
        """A field that must be a JSON string, taken exactly as sent (credentials)."""
        value = self.get(name)
        if value is None or isinstance(value, str):
            return value
        raise Invalid(self.where(name), "must be a JSON string")

    def child(self, name: str) -> Body | None:
        value = self.get(name)
        if value is None:
            return None
        if not isinstance(value, Mapping):
            raise Invalid(self.where(name), "must be an object")
        return Body(value, self.where(name))

    def children(self, name: str, limit: int | None = None) -> list[Body]:
        """The objects of array field `name`; more than `limit` of them is refused."""
        value = self.get(name)
        if value is None:
            return []
        if not isinstance(value, list):
            raise Invalid(self.where(name), "must be an array")
        if limit is not None and len(value) > limit:
            raise Invalid(
                self.where(name), f"holds {len(value)} items; at most {limit} are allowed"
            )
        items = []
        for index, item in enumerate(value):
            if not isinstance(item, Mapping):
                raise Invalid(f"{self.where(name)}[{index}]", "must be an object")
            items.append(Body(item, f"{self.where(name)}[{index}]"))
        return items
