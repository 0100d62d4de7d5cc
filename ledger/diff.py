"""Field-level differences between two versions of a record, for history and audit views."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class FieldChange:
    field: str
    before: Any
    after: Any

    @property
    def kind(self) -> str:
        if self.before is _ABSENT:
            return "added"
        if self.after is _ABSENT:
            return "removed"
        return "changed"


class _Absent:
    def __repr__(self) -> str:
        return "—"


_ABSENT: Any = _Absent()


def flatten(payload: Mapping[str, Any] | None, prefix: str = "") -> dict[str, Any]:
    """Nested payload as dotted paths: lines.0.net_amount -> "100.00"."""
    flat: dict[str, Any] = {}
    if payload is None:
        return flat
    for name, value in payload.items():
        path = f"{prefix}{name}"
        if isinstance(value, Mapping):
            flat.update(flatten(value, f"{path}."))
        elif isinstance(value, list | tuple):
            if not value:
                flat[path] = []
            for index, item in enumerate(value):
                if isinstance(item, Mapping):
                    flat.update(flatten(item, f"{path}.{index}."))
                else:
                    flat[f"{path}.{index}"] = item
        else:
            flat[path] = value
    return flat


def field_changes(
    before: Mapping[str, Any] | None, after: Mapping[str, Any] | None
) -> list[FieldChange]:
    """What changed from `before` to `after`, field by field, in path order."""
    old, new = flatten(before), flatten(after)
    changes = []
    for path in sorted(old.keys() | new.keys()):
        was, now = old.get(path, _ABSENT), new.get(path, _ABSENT)
        if was != now:
            changes.append(FieldChange(path, was, now))
    return changes
