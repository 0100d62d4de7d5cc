"""The sandbox commands refuse bad options where they are parsed: the real `ledgerbridge`
command (typer's CliRunner on the shell's app), each case with its exit code and exact
message, no traceback, and no file written, overwritten or directory created."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ledgerbridge.cli import app

BOX = set("│╭╮╰╯─")


def squashed(text: str) -> str:
    """Text without whitespace or box lines, so a message matches however it was wrapped."""
    return "".join(ch for ch in text if not ch.isspace() and ch not in BOX)


@dataclass(frozen=True)
class BadOption:
    args: tuple[str, ...]
    message: str
    env: tuple[tuple[str, str], ...] = ()


KASHFLOW = ("sandbox", "kashflow", "serve")
SAGE100 = ("sandbox", "sage100", "init")
RATE = "0 (no limit) or between 0.01 and 100000"
INTEGER = "Input should be a valid integer, unable to parse string as an integer"
MISSING_DIRECTORY = (
    "directory {tmp}/missing/deeper does not exist; create it first (mkdir -p {tmp}/missing/deeper)"
)
NOT_A_COMPANY = (
    "exists and is not a Sage 100 sandbox company; it was left as it is (give another path)"
)


def serve(option: str, value: str, message: str) -> BadOption:
    """`sandbox kashflow serve` refusing one option's value."""
    return BadOption((*KASHFLOW, option, value), message)


def parsed(option: str, message: str) -> str:
    """How an option whose value the settings model checks is refused."""
    return f"Invalid value for '{option}': {message}"


def bad_db(command: tuple[str, ...], path: str, message: str, *more: str) -> BadOption:
    return BadOption((*command, "--db", path, *more), f"Invalid value for --db: {message}")


# `{tmp}` is the test's directory; `{tmp}/notes.txt` exists and holds text.
CASES = {
    "port 99999": serve(
        "--port", "99999", parsed("--port", "Input should be less than or equal to 65535")
    ),
    "port -1": serve(
        "--port", "-1", parsed("--port", "Input should be greater than or equal to 1")
    ),
    "port abc": serve("--port", "abc", parsed("--port", INTEGER)),
    "rate limit -1": serve(
        "--rate-limit", "-1", f"Invalid value for --rate-limit: -1 is not {RATE}"
    ),
    "rate limit abc": serve(
        "--rate-limit",
        "abc",
        parsed(
            "--rate-limit", "Input should be a valid number, unable to parse string as a number"
        ),
    ),
    "rate limit nan": serve(
        "--rate-limit", "nan", f"Invalid value for --rate-limit: nan is not {RATE}"
    ),
    "rate limit too slow": serve(
        "--rate-limit", "0.001", f"Invalid value for --rate-limit: 0.001 is not {RATE}"
    ),
    "kashflow size": BadOption(
        (*KASHFLOW, "--size", "huge", "--db", "{tmp}/k.db"),
        "Invalid value for --size: size is small, medium or large",
    ),
    "kashflow db a directory": bad_db(
        KASHFLOW, "{tmp}", "{tmp} is a directory; give a file in it, e.g. {tmp}/kashflow.db"
    ),
    "kashflow db in a missing directory": bad_db(
        KASHFLOW, "{tmp}/missing/deeper/k.db", MISSING_DIRECTORY
    ),
    "kashflow db someone else's file": bad_db(
        KASHFLOW,
        "{tmp}/notes.txt",
        "{tmp}/notes.txt exists and is not a KashFlow sandbox state file; it was left as it is"
        " (give another path)",
    ),
    "kashflow db under a file": bad_db(
        KASHFLOW, "{tmp}/notes.txt/k.db", "{tmp}/notes.txt is not a directory"
    ),
    "kashflow setting out of range": BadOption(
        (*KASHFLOW, "--db", "{tmp}/k.db"),
        "Invalid value for LEDGERBRIDGE_KASHFLOW_SANDBOX_SESSION_TIMEOUT_SECONDS: Input should"
        " be greater than 0",
        env=(("LEDGERBRIDGE_KASHFLOW_SANDBOX_SESSION_TIMEOUT_SECONDS", "-5"),),
    ),
    "sage100 size": BadOption(
        (*SAGE100, "--size", "huge", "--db", "{tmp}/s.db"),
        "Invalid value for --size: size must be one of small, medium, large",
    ),
    "sage100 db a directory": bad_db(
        SAGE100, "{tmp}", "{tmp} is a directory; give a file in it, e.g. {tmp}/sage100.db"
    ),
    "sage100 db in a missing directory": bad_db(
        SAGE100, "{tmp}/missing/deeper/s.db", MISSING_DIRECTORY
    ),
    "sage100 db someone else's file": bad_db(
        SAGE100, "{tmp}/notes.txt", f"{{tmp}}/notes.txt {NOT_A_COMPANY}"
    ),
    "sage100 --force on someone else's file": bad_db(
        SAGE100, "{tmp}/notes.txt", f"{{tmp}}/notes.txt {NOT_A_COMPANY}", "--force"
    ),
    "sage100 db an empty file": bad_db(
        SAGE100, "{tmp}/empty.db", f"{{tmp}}/empty.db {NOT_A_COMPANY}"
    ),
}

NOTES = "my own notes, not a database\n"


def tree(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes() if p.is_file() else b"" for p in root.rglob("*")
    }


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_a_bad_option_is_one_message_and_exit_2(tmp_path: Path, case: BadOption) -> None:
    (tmp_path / "notes.txt").write_text(NOTES)
    (tmp_path / "empty.db").write_bytes(b"")
    before = tree(tmp_path)
    args = [arg.replace("{tmp}", str(tmp_path)) for arg in case.args]
    result = CliRunner().invoke(app, args, env=dict(case.env))
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert squashed(case.message.replace("{tmp}", str(tmp_path))) in squashed(result.output)
    assert tree(tmp_path) == before, "nothing was written, overwritten or created"


def test_a_sandbox_company_is_replaced_only_with_force(tmp_path: Path) -> None:
    company = tmp_path / "sage100.db"
    runner = CliRunner()
    assert runner.invoke(app, [*SAGE100, "--db", str(company)]).exit_code == 0
    seeded = company.read_bytes()
    again = runner.invoke(app, [*SAGE100, "--db", str(company), "--seed", "7"])
    assert again.exit_code == 2
    assert squashed(
        f"Invalid value for --db: {company} already holds a Sage 100 sandbox company;"
        " add --force to replace it"
    ) in squashed(again.output)
    assert company.read_bytes() == seeded
    forced = runner.invoke(app, [*SAGE100, "--db", str(company), "--seed", "7", "--force"])
    assert forced.exit_code == 0, forced.output
    assert company.read_bytes() != seeded, "seed 7 replaced seed 42"


def test_only_the_default_directory_is_created(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, [*SAGE100])
    assert result.exit_code == 0, result.output
    assert (tmp_path / ".ledgerbridge" / "sage100.db").is_file()
    assert os.listdir(tmp_path) == [".ledgerbridge"]
