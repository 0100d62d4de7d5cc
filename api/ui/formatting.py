"""How the review pages show values: money with its currency and two decimals, dates and
times in one format (UTC), ages, scores and stream lags; registered as Jinja2 filters."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from jinja2 import Environment
from markupsafe import Markup, escape

SYMBOLS = {"GBP": "£", "USD": "$", "EUR": "€"}
DATE_FORMAT = "%d %b %Y"
TIME_FORMAT = "%d %b %Y %H:%M"


def money(amount: Any, currency: str | None = None) -> str:
    """`£1,234.50`, `-$12.00`, `1,000.00 CHF`; an empty cell for no amount."""
    if amount is None or amount == "":
        return ""
    try:
        value = Decimal(str(amount))
    except InvalidOperation:
        return str(amount)
    text = f"{abs(value):,.2f}"
    sign = "-" if value < 0 else ""
    code = (currency or "").upper()
    if code in SYMBOLS:
        return f"{sign}{SYMBOLS[code]}{text}"
    return f"{sign}{text} {code}".rstrip()


def day(value: date | datetime | str | None) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        try:
            return date.fromisoformat(value[:10]).strftime(DATE_FORMAT)
        except ValueError:
            return value
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime(DATE_FORMAT)
    return value.strftime(DATE_FORMAT)


def moment(value: datetime | None) -> str:
    """A time as `29 Nov 2026 14:08 UTC`."""
    if value is None:
        return ""
    return value.astimezone(UTC).strftime(TIME_FORMAT) + " UTC"


def duration(seconds: float | None) -> str:
    """`45 s`, `12 min`, `3 h 5 min`, `2 days`; empty when unknown."""
    if seconds is None:
        return ""
    whole = int(seconds)
    if whole < 90:
        return f"{whole} s"
    if whole < 3600:
        return f"{round(whole / 60)} min"
    if whole < 2 * 86400:
        hours, rest = divmod(whole, 3600)
        return f"{hours} h {rest // 60} min" if rest >= 60 else f"{hours} h"
    return f"{whole // 86400} days"


def percent(score: float | None) -> str:
    return "" if score is None else f"{round(score * 100)}%"


def words(name: str | None) -> str:
    """`sales_invoice` -> `sales invoice`, `amount_exact` -> `amount exact`."""
    return (name or "").replace("_", " ")


def shown(value: Any) -> str:
    """A payload value in a diff or evidence cell: text as is, nothing as an em dash."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dict | list):
        import orjson

        return orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode()
    return str(value)


def code_spans(text: str) -> Markup:
    """Text with `commands` in backticks shown as code (everything else escaped)."""
    return Markup(re.sub(r"`([^`]+)`", r"<code>\1</code>", str(escape(text))))


def install(environment: Environment) -> None:
    environment.filters.update(
        money=money, day=day, moment=moment, duration=duration, percent=percent, words=words,
        shown=shown, code_spans=code_spans,
    )  # fmt: skip
