"""The README is true: every `ledgerbridge ...` command its code blocks show runs as shown
against the demo's state (the demo run once into a fresh database and a temporary
LEDGERBRIDGE_HOME), a command shown with its output prints exactly that output, and the
README links only to files inside the repository.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from ledgerbridge.cli import app
from ledgerbridge.testdb import create_database, drop_database, fresh_name

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"

NOT_RUN = {
    "ledgerbridge sandbox kashflow serve": "serves until stopped (the demo serves it instead)",
    "ledgerbridge worker": "polls until stopped (tests/cdc/test_worker.py runs one)",
    "ledgerbridge sync --once": "polls the systems configured, which the demo's sandboxes are"
    " not once it ends (the demo runs it against them; tests/cdc/test_sync_once.py too)",
}
"""Commands the test cannot run, by prefix, with the reason. An entry the README no
longer shows fails the test, so the list only shrinks."""

SHELL_BLOCKS = ("", "sh", "shell", "bash", "console")
_COMMAND = re.compile(r"^(?:\$ )?((?:[A-Z_][A-Z0-9_]*=\S* )*)(?:\.venv/bin/)?(ledgerbridge\b.*)$")


@dataclass(frozen=True)
class ShownCommand:
    line: int
    env: dict[str, str]
    args: list[str]
    output: list[str] | None
    """The lines the README shows the command printing, when it shows any."""

    @property
    def text(self) -> str:
        return shlex.join(["ledgerbridge", *self.args])


def code_blocks(markdown: str) -> Iterator[tuple[int, list[str]]]:
    """(first line number, lines) of each shell code block: fenced (``` or ```sh, ...)
    or indented by four spaces after a blank line."""
    lines = markdown.splitlines()
    index = 0
    while index < len(lines):
        fence = re.match(r"^```(\w*)\s*$", lines[index])
        if fence:
            end = next(i for i in range(index + 1, len(lines)) if lines[i].startswith("```"))
            if fence.group(1) in SHELL_BLOCKS:
                yield index + 2, lines[index + 1 : end]
            index = end + 1
            continue
        if lines[index].startswith("    ") and index > 0 and not lines[index - 1].strip():
            end = index
            while end < len(lines) and lines[end].startswith("    "):
                end += 1
            yield index + 1, [line[4:] for line in lines[index:end]]
            index = end
            continue
        index += 1


def shown_commands(markdown: str) -> list[ShownCommand]:
    commands: list[ShownCommand] = []
    for first, block in code_blocks(markdown):
        prompted = any(line.startswith("$ ") for line in block)
        for offset, line in enumerate(block):
            match = _COMMAND.match(line)
            if not match or (prompted and not line.startswith("$ ")):
                continue
            env = dict(pair.split("=", 1) for pair in match.group(1).split())
            words = shlex.split(match.group(2), comments=True)
            output = None
            if prompted:
                following = block[offset + 1 :]
                ends = [i for i, text in enumerate(following) if text.startswith("$ ")]
                output = following[: ends[0] if ends else len(following)]
            commands.append(ShownCommand(first + offset, env, words[1:], output))
    return commands


def test_the_readme_shows_commands_to_check() -> None:
    texts = [command.text for command in shown_commands(README.read_text())]
    assert "ledgerbridge demo" in texts
    assert any(text.startswith("ledgerbridge history sage100 customer") for text in texts)


def test_every_command_not_run_is_still_shown() -> None:
    texts = [command.text for command in shown_commands(README.read_text())]
    for prefix in NOT_RUN:
        assert any(text.startswith(prefix) for text in texts), f"{prefix}: drop it from NOT_RUN"


@pytest.fixture(scope="module")
def demo_state(
    pg_server: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Path, dict[str, str], Result]]:
    """The demo run once into a fresh database and a temporary working folder: the folder
    (also the working directory of every command), the environment, and the demo's result."""
    folder = tmp_path_factory.mktemp("readme")
    name = fresh_name("lbreadme")
    env = {
        "DATABASE_URL": create_database(pg_server, name),
        "LEDGERBRIDGE_HOME": str(folder / ".ledgerbridge"),
        "LEDGERBRIDGE_CONFIG": str(folder / "ledgerbridge.toml"),
    }
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(folder)
        demo = CliRunner().invoke(app, ["demo"], env=env)
    yield folder, env, demo
    drop_database(pg_server, name)


def test_every_command_the_readme_shows_runs_as_shown(
    demo_state: tuple[Path, dict[str, str], Result], monkeypatch: pytest.MonkeyPatch
) -> None:
    folder, env, demo = demo_state
    assert demo.exit_code == 0, demo.output
    monkeypatch.chdir(folder)
    failures = []
    for command in shown_commands(README.read_text()):
        if any(command.text.startswith(prefix) for prefix in NOT_RUN):
            continue
        if command.args == ["demo"] and not command.env:
            continue  # the state every command runs against: run once, above
        result = CliRunner().invoke(app, command.args, env={**env, **command.env})
        problem = _problem(command, result)
        if problem:
            failures.append(f"README line {command.line}: {command.text}: {problem}")
    assert failures == []


def _problem(command: ShownCommand, result: Result) -> str | None:
    printed = (result.stdout + result.stderr).splitlines()
    if command.output:
        failing = command.output[0].startswith("ledgerbridge")
        if failing == (result.exit_code == 0):
            return f"exit status {result.exit_code}"
        if printed != command.output:
            return f"printed {printed!r}"
        return None
    if result.exit_code != 0:
        return f"exit status {result.exit_code}: {result.stderr.strip()}"
    return None


def _slug(heading: str) -> str:
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def test_the_readme_links_only_to_files_in_the_repository() -> None:
    text = README.read_text()
    assert "../shared" not in text
    anchors = {_slug(h) for h in re.findall(r"^#+ (.+)$", text, re.MULTILINE)}
    for target in re.findall(r"\]\(([^)\s]+)\)", text):
        if target.startswith("#"):
            assert target[1:] in anchors, f"no heading for the link {target}"
            continue
        assert not re.match(r"^[a-z]+:", target), f"{target}: links stay inside the repository"
        path = (ROOT / target.split("#")[0]).resolve()
        assert path.is_relative_to(ROOT) and path.exists(), f"{target} is not in the repository"


def test_the_files_the_readme_names_exist() -> None:
    top = {p.name for p in ROOT.iterdir() if p.is_dir() and not p.name.startswith(".")}
    named = re.findall(r"`([\w.\-]+/[\w./\-]+\.(?:py|md|sql|sh|toml|yml))`", README.read_text())
    missing = [path for path in named if path.split("/")[0] in top and not (ROOT / path).exists()]
    assert named and missing == []
