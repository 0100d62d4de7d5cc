"""Sage 100 errors as Ledgerbridge's typed exceptions.

A BOI call that returns 0 leaves its reason in `sLastErrorMsg`; a COM call that fails
outright raises. Both become one of three errors, each carrying the business object,
the record's key, the field and Sage's own message (`remote_message`):

- `SageRefused` (permanent, a `ValidationFailed`): Sage will refuse it again until the
  data is fixed: unknown customer, inactive item, required field, value too long...
- `SageRecordLocked` (transient, a `RecordLocked`): somebody holds the record.
- `SageConnectionLost` (transient, a `ConnectionLost`): the Sage host or COM server went away.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from canonical import ConnectionLost, LedgerbridgeError, RecordLocked, ValidationFailed

SYSTEM = "sage100"

_LOCKED = re.compile(r"(?i)\bin use\b|\blocked\b")


class SageError(LedgerbridgeError):
    """What every Sage 100 error carries besides the shared fields: the business object
    (`AR_Customer_bus`, `SY_Session`, ...) whose call failed."""

    def __init__(self, message: str, *, bus_object: str, **where: str | None) -> None:
        self.bus_object = bus_object
        where.setdefault("system", SYSTEM)
        super().__init__(message, **where)


class SageRefused(SageError, ValidationFailed):
    """A business object refused a value or a write; it will refuse it again."""


class SageRecordLocked(SageError, RecordLocked):
    """The record is in use by another Sage user or task; try again later."""


class SageConnectionLost(SageError, ConnectionLost):
    """The COM call failed: the Sage host, or the connection to it, is gone."""


_NAMES_A_COLUMN = re.compile(r"^The ([A-Z][a-z]+[A-Z][A-Za-z0-9]*)\b")


def field_named(message: str, columns: Iterable[str]) -> str | None:
    """The column a Sage message is about: "The TermsCode is required." -> TermsCode;
    failing that, the first of `columns` the message mentions."""
    match = _NAMES_A_COLUMN.match(message)
    if match:
        return match.group(1)
    words = set(re.findall(r"[A-Za-z][A-Za-z0-9]*", message))
    for column in columns:
        if column in words:
            return column
    return None


def refusal(
    remote_message: str,
    *,
    bus_object: str,
    entity: str,
    key: str,
    field: str | None,
    call: str,
) -> LedgerbridgeError:
    """The typed error for a BOI call that returned 0 with `remote_message`."""
    where: dict[str, str | None] = {
        "system": SYSTEM,
        "entity": entity,
        "key": key,
        "field": field,
        "remote_message": remote_message,
    }
    text = f"{bus_object}.{call} refused: {remote_message}"
    if _LOCKED.search(remote_message):
        return SageRecordLocked(text, bus_object=bus_object, **where)
    return SageRefused(text, bus_object=bus_object, **where)
