"""The Business Object Interface's call conventions, shared by sessions and the writer.

Every BOI method answers 1 (ok), -1 (warning, kept) or 0 (error, reason in
`sLastErrorMsg`); string and date columns take `$` and dates are "YYYYMMDD".
`BusinessObjectCall` drives one business object for one record with every call checked,
so a refusal becomes the typed error of `connectors.sage100.errors`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from connectors.sage100.errors import SageConnectionLost, field_named, refusal

if TYPE_CHECKING:
    from connectors.sage100.boi import BOISession

OK, WARNING, ERROR = 1, -1, 0


def boi_date(value: date) -> str:
    return value.strftime("%Y%m%d")


def boi_value(column: str, value: Any) -> tuple[str, Any]:
    """The BOI column name and value: `$` and text for strings and dates, numbers bare."""
    if isinstance(value, bool):
        raise TypeError(f"{column}: Sage has no boolean columns")
    if isinstance(value, date):
        return column + "$", boi_date(value)
    if isinstance(value, Decimal | int | float):
        return column, str(value) if isinstance(value, Decimal) else value
    return column + "$", "" if value is None else str(value)


def _bound(method: Callable[..., Any], *args: Any) -> Callable[[], Any]:
    return lambda: method(*args)


class BusinessObjectCall:
    """One business object being driven for one record: every call checked. `key` names
    the record in errors; it changes once Sage hands out a document number."""

    def __init__(
        self, session: BOISession, name: str, *, entity: str, key: str, warnings: list[str]
    ) -> None:
        self.session = session
        self.name = name
        self.entity = entity
        self.key = key
        self.warnings = warnings
        self.columns: list[str] = []
        self.obj = self.guard("NewObject", lambda: session.open_object(name))

    def guard(self, call: str, action: Callable[[], Any]) -> Any:
        try:
            return action()
        except self.session.connection_errors as exc:
            raise SageConnectionLost(
                f"{self.name}.{call} failed: the Sage host did not answer",
                bus_object=self.name,
                entity=self.entity,
                key=self.key,
                remote_message=str(exc),
            ) from None

    def check(self, call: str, result: Any, target: Any, field: str | None = None) -> Any:
        status = result[0] if isinstance(result, tuple) else result
        if status == ERROR:
            message = str(target.sLastErrorMsg)
            self.guard("nClear", self.obj.nClear)
            raise refusal(
                message,
                bus_object=self.name,
                entity=self.entity,
                key=self.key,
                field=field or field_named(message, self.columns),
                call=call,
            )
        if status == WARNING:
            self.warnings.append(f"{self.name} {self.key}: {target.sLastErrorMsg}")
        return result

    def key_value(self, column: str, value: str) -> None:
        self.columns.append(column)
        self.check(
            "nSetKeyValue",
            self.guard("nSetKeyValue", lambda: self.obj.nSetKeyValue(column + "$", value)),
            self.obj,
            column,
        )

    def set_key(self, *key: Any) -> int:
        result = self.guard("nSetKey", lambda: self.obj.nSetKey(*key))
        self.check("nSetKey", result, self.obj)
        return int(result)

    def values(self, fields: Mapping[str, Any], target: Any = None) -> None:
        target = target if target is not None else self.obj
        for column, value in fields.items():
            self.columns.append(column)
            name, text = boi_value(column, value)
            result = self.guard("nSetValue", _bound(target.nSetValue, name, text))
            self.check("nSetValue", result, target, column)

    def lines(self, lines: Iterable[Mapping[str, Any]]) -> None:
        for fields in lines:
            lines_object = self.obj.oLines
            self.check(
                "oLines.nAddLine", self.guard("nAddLine", lines_object.nAddLine), lines_object
            )
            self.values(fields, lines_object)
            self.check("oLines.nWrite", self.guard("nWrite", lines_object.nWrite), lines_object)

    def write(self) -> None:
        self.check("nWrite", self.guard("nWrite", self.obj.nWrite), self.obj)

    def delete(self) -> None:
        self.check("nDelete", self.guard("nDelete", self.obj.nDelete), self.obj)

    def next_number(self, method: str) -> str:
        result = self.guard(method, lambda: getattr(self.obj, method)(""))
        self.check(method, result, self.obj)
        if isinstance(result, tuple):
            return str(result[1])
        raise SageConnectionLost(
            f"{self.name}.{method} gave no number back",
            bus_object=self.name,
            entity=self.entity,
            key=self.key,
        )
