"""Imports point down the flow: every `.py` of every package against the contracts in the
README ("Import contracts"), read with `ast` (module- and function-level
imports, `from x import y`, relative imports, `importlib.import_module("...")`).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

EVERYTHING = frozenset(
    {"canonical", "connectors", "ledger", "cdc", "matcher", "writer", "api", "ledgerbridge"}
    | {"sandbox", "migrations", "bench", "tests"}
)
"""Our top-level packages: an import of anything else is a library's, not ours."""

CONTRACTS: dict[str, frozenset[str]] = {
    "canonical": frozenset(),
    "connectors": frozenset({"canonical"}),
    "ledger": frozenset({"canonical"}),
    "migrations": frozenset({"ledger", "canonical"}),
    "cdc": frozenset({"connectors", "ledger", "canonical"}),
    "matcher": frozenset({"ledger", "canonical"}),
    "writer": frozenset({"connectors", "ledger", "matcher", "canonical"}),
    "api": frozenset({"cdc", "writer", "matcher", "ledger", "canonical"}),
    "ledgerbridge": EVERYTHING,
    "sandbox": frozenset({"canonical"}),
    "bench": EVERYTHING,
    "tests": EVERYTHING,
}
"""Package -> what of ours it may import (besides itself). `migrations` is the ledger's
schema and keeps to the ledger's contract. Each connector also knows only its own
system: `connectors.kashflow` never imports `connectors.sage100`, nor the reverse."""


PENDING: dict[str, str] = {}
"""Known violations being removed (module -> what it still imports), each with the work
that removes it. A pending entry no longer needed fails the suite: delete it."""


@dataclass(frozen=True)
class Violation:
    path: str
    line: int
    importer: str
    imported: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.importer} must not import {self.imported}"


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imported_modules(tree: ast.AST, module: str, is_package: bool) -> Iterator[tuple[int, str]]:
    """(line, dotted name) of everything `tree` imports, wherever the import statement is.

    `from a.b import c` yields `a.b.c` (c may be a submodule); a relative import is
    resolved against the module's own package.
    """
    package = module if is_package else module.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            for alias in node.names:
                yield node.lineno, base if alias.name == "*" else f"{base}.{alias.name}"
        elif (
            isinstance(node, ast.Call)
            and _called_name(node.func) in {"import_module", "__import__"}
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            yield node.lineno, node.args[0].value


def _called_name(func: ast.expr) -> str | None:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return None


def forbidden(importer: str, imported: str) -> bool:
    """Whether module `importer` breaks a contract by importing `imported`."""
    source, target = importer.split("."), imported.split(".")
    if target[0] not in EVERYTHING or target[0] == source[0]:
        if source[0] == target[0] == "connectors" and len(source) > 1 and len(target) > 1:
            return source[1] != target[1]
        return False
    return target[0] not in CONTRACTS[source[0]]


def violations(root: Path) -> list[Violation]:
    """Every import under `root` that breaks the contracts, in path order."""
    found: list[Violation] = []
    for package in sorted(CONTRACTS):
        for path in sorted((root / package).rglob("*.py")):
            if ".venv" in path.parts:
                continue
            module = module_name(path, root)
            tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
            for line, imported in imported_modules(tree, module, path.name == "__init__.py"):
                if forbidden(module, imported):
                    found.append(Violation(str(path.relative_to(root)), line, module, imported))
    return found


def _pending(violation: Violation) -> bool:
    allowed = PENDING.get(violation.importer)
    return allowed is not None and f"{violation.imported}.".startswith(f"{allowed}.")


@pytest.fixture(scope="module")
def found_in_tree() -> list[Violation]:
    return violations(ROOT)


def test_every_import_points_down_the_flow(found_in_tree: list[Violation]) -> None:
    broken = [v for v in found_in_tree if not _pending(v)]

    assert not broken, "imports against the README's import contracts:\n" + "\n".join(
        map(str, broken)
    )


def test_every_pending_violation_is_still_there(found_in_tree: list[Violation]) -> None:
    still = {v.importer for v in found_in_tree if _pending(v)}

    assert still == set(PENDING), f"fixed, delete from PENDING: {set(PENDING) - still}"


def test_every_package_of_ours_has_a_contract() -> None:
    packages = {
        path.parent.name
        for path in ROOT.glob("*/__init__.py")
        if not path.parent.name.startswith(".")
    }

    assert packages <= set(CONTRACTS), f"packages without a contract: {packages - set(CONTRACTS)}"


def _write(root: Path, relative: str, text: str) -> None:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def test_a_synthetic_violation_of_each_kind_is_caught(tmp_path: Path) -> None:
    _write(
        tmp_path,
        "matcher/steps.py",
        "def run() -> None:\n    from ledgerbridge.config import load_settings\n",
    )
    _write(tmp_path, "connectors/kashflow/__init__.py", "")
    _write(tmp_path, "connectors/kashflow/client.py", "from ..sage100 import keys\n")
    _write(tmp_path, "sandbox/sage100/seed.py", "import connectors.sage100.mapping as m\n")
    _write(tmp_path, "canonical/__init__.py", "from matcher import payments\n")
    _write(tmp_path, "ledger/store.py", "import importlib\nimportlib.import_module('writer')\n")
    _write(tmp_path, "cdc/poll.py", "from connectors import *\nfrom ledger import current\n")

    found = {(v.path, v.line, v.imported) for v in violations(tmp_path)}

    assert found == {
        ("canonical/__init__.py", 1, "matcher.payments"),
        ("connectors/kashflow/client.py", 1, "connectors.sage100.keys"),
        ("ledger/store.py", 2, "writer"),
        ("matcher/steps.py", 2, "ledgerbridge.config.load_settings"),
        ("sandbox/sage100/seed.py", 1, "connectors.sage100.mapping"),
    }


@pytest.mark.parametrize(
    ("importer", "imported", "allowed"),
    [
        ("connectors.sage100.odbc", "connectors.sage100.settings", True),
        ("connectors.sage100.odbc", "canonical.records", True),
        ("connectors.sage100.odbc", "ledgerbridge.config", False),
        ("connectors.kashflow", "connectors.sage100", False),
        ("connectors", "connectors.kashflow", True),
        ("writer.apply", "connectors.sage100.boi", True),
        ("api.app", "ledgerbridge.cli", False),
        ("ledgerbridge.cli", "sandbox.sage100.backend", True),
        ("sandbox.sage100.boi", "canonical", True),
        ("sandbox.kashflow.app", "connectors.kashflow.mapping", False),
        ("matcher.reconcile", "polars", True),
        ("tests.test_x", "sandbox.sage100.boi", True),
    ],
)
def test_the_contracts_read_as_designed(importer: str, imported: str, allowed: bool) -> None:
    assert forbidden(importer, imported) is not allowed
