"""Loading the writer's rules: the shipped defaults, overridden key by key by a user file.

A rules file that cannot work (not TOML, an unknown key, a wrong type, a lookup that
points nowhere) raises `RulesError`: one line naming the file the key came from, the
key and what is wrong.
"""

from __future__ import annotations

import tomllib
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from writer.rules.model import Rules

DEFAULTS_NAME = "defaults.toml"
DEFAULTS_LABEL = "writer/rules/defaults.toml"


class RulesError(ValueError):
    """A rules file that cannot work, in one line: file, key, what is wrong."""


def default_rules_text() -> str:
    return resources.files("writer.rules").joinpath(DEFAULTS_NAME).read_text(encoding="utf-8")


def load_rules(path: Path | None = None) -> Rules:
    """The shipped defaults, with the tables and keys of the file at `path` over them."""
    defaults = _parse(default_rules_text(), DEFAULTS_LABEL)
    user: dict[str, Any] = {}
    if path is not None:
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise RulesError(f"{path}: cannot read the rules file: {exc.strerror}") from None
        user = _parse(text, str(path))
    try:
        return Rules.model_validate(_merged(defaults, user))
    except ValidationError as exc:
        problems = [_problem(error, user, path) for error in exc.errors()]
        raise RulesError("; ".join(dict.fromkeys(problems))) from None


def _parse(text: str, label: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise RulesError(f"{label}: not valid TOML: {exc}") from None


def _merged(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    """`base` with `over` laid on it: tables merge key by key, any other value replaces."""
    merged = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merged(merged[key], value)
        else:
            merged[key] = value
    return merged


def _problem(error: Any, user: dict[str, Any], path: Path | None) -> str:
    location = [str(part) for part in error["loc"] if part != "[key]"]
    key = ".".join(location) or "(rules)"
    message = str(error["msg"]).removeprefix("Value error, ")
    if error["type"] == "extra_forbidden":
        message = "not a rule (mistyped?)"
    elif error["type"] == "literal_error":
        message = f"{message}, not {error['input']!r}"
    source = str(path) if path is not None and _present(user, location) else DEFAULTS_LABEL
    return f"{source}: {key}: {message}"


def _present(table: dict[str, Any], location: list[str]) -> bool:
    """Whether the user file set the key at `location`."""
    node: Any = table
    for part in location:
        if not isinstance(node, dict) or part not in node:
            return False
        node = node[part]
    return True
