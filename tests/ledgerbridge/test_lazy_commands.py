"""The `ledgerbridge` command imports a command's module only when that command runs: its
start (and `ledgerbridge --help`) loads none of the heavy libraries, and the listing says
of each command what the command's own help says."""

from __future__ import annotations

import inspect
import os
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from ledgerbridge.cli import Commands, SandboxCommands, app
from ledgerbridge.lazy_commands import LazyCommand
from matcher.allocator import ALLOCATOR_ENV, KEEP_FREED_CONF

HEAVY = ("sklearn", "scipy", "fastapi", "uvicorn", "alembic", "sqlalchemy", "polars")
"""Libraries only some commands need (the matcher's, the control API's, the migrations')."""

TABLES = {"": Commands.lazy_commands, "sandbox ": SandboxCommands.lazy_commands}
LISTED = [(prefix + name, lazy) for prefix, table in TABLES.items() for name, lazy in table.items()]


def _imported_after(code: str) -> list[str]:
    probe = f"import sys\n{code}\nprint(' '.join(sorted(sys.modules)))"
    run = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=120
    )
    loaded = set(run.stdout.split())
    return [name for name in HEAVY if name in loaded]


def test_the_shell_and_its_help_import_no_heavy_library() -> None:
    assert _imported_after("import ledgerbridge.cli") == []
    assert (
        _imported_after(
            "from ledgerbridge.cli import main\n"
            "try:\n    main(['--help'])\nexcept SystemExit:\n    pass"
        )
        == []
    )


def test_a_command_imports_what_it_needs_when_it_runs() -> None:
    assert "sklearn" in _imported_after(
        "from ledgerbridge.cli import main\n"
        "try:\n    main(['reconcile', '--help'])\nexcept SystemExit:\n    pass"
    )


def test_the_command_keeps_freed_memory_before_polars_loads() -> None:
    """polars appends the allocator settings it finds to its own: ours last means they
    were there before polars loaded, and win (`matcher.allocator`)."""
    probe = (
        "import os\nfrom ledgerbridge.cli import main\n"
        "try:\n    main(['reconcile', '--help'])\nexcept SystemExit:\n    pass\n"
        "import sys\nassert 'polars' in sys.modules\n"
        f"print(os.environ['{ALLOCATOR_ENV}'])"
    )
    env = {k: v for k, v in os.environ.items() if k != ALLOCATOR_ENV}
    run = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, env=env, check=True
    )
    settings = run.stdout.strip()
    assert settings.endswith(KEEP_FREED_CONF) and settings != KEEP_FREED_CONF


@pytest.mark.parametrize(("name", "lazy"), LISTED, ids=[name for name, _ in LISTED])
def test_the_listing_says_what_the_command_says(name: str, lazy: LazyCommand) -> None:
    command = lazy.load(name.split()[-1])
    first_paragraph = inspect.cleandoc(command.help or "").split("\n\n")[0]
    assert lazy.summary.split() == first_paragraph.split()


def test_the_listing_names_every_command() -> None:
    result = CliRunner().invoke(app, ["--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    for name in Commands.lazy_commands:
        assert f" {name} " in result.output
