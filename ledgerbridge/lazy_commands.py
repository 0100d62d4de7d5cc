"""Commands whose modules are imported only when they run: a group lists each by name and
summary, and loads its module (scikit-learn, FastAPI, alembic, the writer behind them) when
that command is invoked or its own help is asked, so `ledgerbridge --help` and every
command start without the others' imports."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

import typer
from typer import _click as click  # typer's own (vendored) click
from typer.core import TyperCommand, TyperGroup


@dataclass(frozen=True)
class LazyCommand:
    """A command function, a typer app or a click command at `target`, "module:attribute";
    `summary` is what the group's listing shows for it (the command's own short help)."""

    target: str
    summary: str

    def load(self, name: str) -> click.Command:
        """Imports the module and builds the command as typer would have, named `name`."""
        module, attribute = self.target.split(":")
        loaded = getattr(importlib.import_module(module), attribute)
        if isinstance(loaded, click.Command):
            return loaded
        if not isinstance(loaded, typer.Typer):
            single = typer.Typer(add_completion=False)
            single.command(name)(loaded)
            loaded = single
        command = typer.main.get_command(loaded)
        command.name = name
        return command


class ListedCommand(TyperCommand):
    """Stands for a lazy command in its group's listing; running it runs the loaded one."""

    def __init__(self, name: str, lazy: LazyCommand) -> None:
        super().__init__(name, help=lazy.summary)
        self.lazy = lazy

    def make_context(
        self,
        info_name: str | None,
        args: list[str],
        parent: click.Context | None = None,
        **extra: Any,
    ) -> click.Context:
        loaded = self.lazy.load(self.name or "")
        return loaded.make_context(info_name, args, parent=parent, **extra)


class LazyGroup(TyperGroup):
    """A typer group that also lists the commands in `lazy_commands`, loading each when used.
    Subclass it with the table (typer builds the group from its class)."""

    lazy_commands: ClassVar[Mapping[str, LazyCommand]] = {}

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        for name, lazy in self.lazy_commands.items():
            self.add_command(ListedCommand(name, lazy))


def run_alone(register: Callable[[typer.Typer], None]) -> None:
    """Runs the commands `register` adds as a program of their own, for
    `python -m ledgerbridge.<module>` (the workers the tests and benches start)."""
    alone = typer.Typer(no_args_is_help=True)
    register(alone)
    alone()
