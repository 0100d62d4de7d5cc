"""The one place where a failed `ledgerbridge` command becomes an answer: one line on
stderr saying what is wrong and what to do, and an exit status (2 for bad input or
configuration, 1 for a failure, 130 when interrupted) — never a traceback unless
`--verbose`, never a secret.

`CommandGroup` is the typer group class of the shell's app, so the real command, the
console script and typer's CliRunner all answer the same way. `ANSWERS` is the table from
exception to answer; the first row whose type matches (and whose test passes) answers.
"""

from __future__ import annotations

import re
import sys
import traceback
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, NoReturn

import psycopg
import pydantic
import typer
from pydantic import BaseModel, SecretStr
from typer._click import exceptions as cli_errors  # typer's own (vendored) click errors
from typer.core import TyperGroup

from canonical.errors import LedgerbridgeError
from ledgerbridge.config import Settings, SettingsError, load_settings
from ledgerbridge.redaction import redact_text

USAGE, FAILURE, INTERRUPTED = 2, 1, 130
PROGRAM = "ledgerbridge"
VERBOSE_FLAGS = ("--verbose", "-v")
UPGRADE_HINT = "run `ledgerbridge db upgrade`"


@dataclass(frozen=True)
class Answer:
    """How one kind of failure is told: `message(exc, ledger)` where `ledger` describes the
    configured ledger database (no secret in it)."""

    kind: type[BaseException]
    exit_code: int
    message: Callable[[Any, str], str]
    applies: Callable[[Any], bool] = lambda _exc: True


def _usage(exc: cli_errors.UsageError, _ledger: str) -> str:
    command = exc.ctx.command_path if exc.ctx is not None else PROGRAM
    message = exc.format_message().replace("Value error, ", "")
    return f"{command}: {message} (see `{command} --help`)"


def _connection(exc: psycopg.OperationalError, ledger: str) -> str:
    text = str(exc)
    pgconn = exc.pgconn
    host = _text(pgconn.host) if pgconn is not None else ""
    port = _text(pgconn.port) if pgconn is not None else ""
    place = f"{host}:{port}" if host and port else (host or ledger)
    fix = "start PostgreSQL there or correct DATABASE_URL"
    unreachable = "cannot reach the ledger database"
    if unknown := re.search(
        r"failed to resolve host '([^']*)'|translate host name \"([^\"]*)\"", text
    ):
        name = unknown.group(1) or unknown.group(2)
        return f"{unreachable}: unknown host {name!r}; correct the host in DATABASE_URL"
    if "Connection refused" in text:
        return f"{unreachable}: nothing listens at {place} (connection refused); {fix}"
    if missing := re.search(r'database "([^"]*)" does not exist', text):
        return (
            f"database {missing.group(1)!r} does not exist on {place}: create it"
            f" (createdb {missing.group(1)}) or correct DATABASE_URL, then {UPGRADE_HINT}"
        )
    if "authentication failed" in text or "no password supplied" in text:
        return (
            f"PostgreSQL at {place} refused the login: check the user and password in DATABASE_URL"
        )
    if "timeout" in text.lower():
        return f"{unreachable}: no answer from {place} in time; {fix}"
    return f"cannot use the ledger database {ledger}: {_first_line(text)}"


def _not_migrated(exc: psycopg.Error, ledger: str) -> str:
    missing = exc.diag.message_primary or "part of the ledger schema is missing"
    return f"the ledger in {ledger} is not migrated ({missing}): {UPGRADE_HINT}"


def _mentions_the_ledger_schema(exc: psycopg.Error) -> bool:
    return "ledger" in (exc.diag.message_primary or "")


def _database(exc: psycopg.Error, ledger: str) -> str:
    return (
        f"the ledger database {ledger} refused: {_first_line(exc.diag.message_primary or str(exc))}"
    )


def _invalid(exc: pydantic.ValidationError, _ledger: str) -> str:
    problems = "; ".join(
        f"{'.'.join(str(p) for p in e['loc']) or exc.title}: {e['msg']}" for e in exc.errors()
    )
    return f"invalid {exc.title}: {problems}"


def _file(exc: OSError, _ledger: str) -> str:
    where = f" {exc.filename}" if exc.filename else ""
    return f"cannot use{where}: {exc.strerror or exc}"


ANSWERS: tuple[Answer, ...] = (
    Answer(SettingsError, USAGE, lambda exc, _: str(exc)),
    Answer(cli_errors.UsageError, USAGE, _usage),
    Answer(cli_errors.ClickException, USAGE, lambda exc, _: exc.format_message()),
    Answer(typer.Abort, INTERRUPTED, lambda _exc, _: "interrupted"),
    Answer(KeyboardInterrupt, INTERRUPTED, lambda _exc, _: "interrupted"),
    Answer(psycopg.errors.UndefinedTable, FAILURE, _not_migrated, _mentions_the_ledger_schema),
    Answer(psycopg.errors.UndefinedFunction, FAILURE, _not_migrated, _mentions_the_ledger_schema),
    Answer(psycopg.errors.UndefinedObject, FAILURE, _not_migrated, _mentions_the_ledger_schema),
    Answer(psycopg.errors.InvalidSchemaName, FAILURE, _not_migrated, _mentions_the_ledger_schema),
    Answer(psycopg.OperationalError, FAILURE, _connection, lambda exc: exc.sqlstate is None),
    Answer(psycopg.Error, FAILURE, _database),
    Answer(LedgerbridgeError, FAILURE, lambda exc, _: str(exc)),
    Answer(pydantic.ValidationError, FAILURE, _invalid),
    Answer(OSError, FAILURE, _file),
    Answer(
        Exception,
        FAILURE,
        lambda exc, _: (
            f"unexpected {type(exc).__name__}: {_first_line(str(exc))}"
            " (run again with --verbose for the traceback, and report it)"
        ),
    ),
)


def answer_for(exc: BaseException) -> tuple[int, str]:
    """The exit status and the one line that tell `exc`, secrets removed."""
    import sqlalchemy.exc  # here, not at the top: a failure's cost, not every command's start

    settings = _settings_or_none()
    ledger = describe_ledger(settings)
    if isinstance(exc, sqlalchemy.exc.DBAPIError) and isinstance(exc.orig, BaseException):
        exc = exc.orig  # alembic runs migrations through SQLAlchemy, which wraps psycopg's
    for answer in ANSWERS:
        if isinstance(exc, answer.kind) and answer.applies(exc):
            line = " ".join(answer.message(exc, ledger).split())
            return answer.exit_code, redact_text(line, secret_values(settings))
    raise exc  # a BaseException no row takes (SystemExit, GeneratorExit): not ours to tell


def describe_ledger(settings: Settings | None) -> str:
    """Where the ledger is configured to live, fit to be shown."""
    if settings is None:
        return "the configured database"
    if settings.database_url is not None:
        return _address(settings.database_url.get_secret_value())
    return f"the embedded PostgreSQL under {settings.home / 'pg'}"


def _address(conninfo: str) -> str:
    """`postgresql://user@host:port/dbname`, without the password or other parameters."""
    try:
        info = psycopg.conninfo.conninfo_to_dict(conninfo)
    except psycopg.ProgrammingError:
        return "the configured database"
    user = f"{info['user']}@" if info.get("user") else ""
    port = f":{info['port']}" if info.get("port") else ""
    return f"postgresql://{user}{info.get('host', '')}{port}/{info.get('dbname', '')}"


def secret_values(settings: Settings | None) -> list[str]:
    """Every secret the settings were given (passwords, connection strings, keys); the
    defaults (the sandboxes' published logins) are no secret."""
    return list(_secrets_of(settings)) if settings is not None else []


def _secrets_of(model: BaseModel) -> Iterator[str]:
    for name, field in type(model).model_fields.items():
        value = getattr(model, name)
        if isinstance(value, SecretStr) and value != field.default:
            yield value.get_secret_value()
        elif isinstance(value, BaseModel):
            yield from _secrets_of(value)


def _settings_or_none() -> Settings | None:
    try:
        return load_settings()
    except SettingsError:
        return None


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else "(no message)"


def _text(value: bytes | None) -> str:
    return value.decode(errors="replace") if value else ""


def wants_verbose(args: Sequence[str]) -> bool:
    """Whether `--verbose` comes among the options before the first command word."""
    for arg in args:
        if not arg.startswith("-"):
            return False
        if arg in VERBOSE_FLAGS:
            return True
    return False


class CommandGroup(TyperGroup):
    """The shell's top-level group: runs the command and answers any failure in one line."""

    def main(  # type: ignore[override]
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        given = list(sys.argv[1:] if args is None else args)
        try:
            result = super().main(given, PROGRAM, complete_var, standalone_mode=False, **extra)
        except cli_errors.NoArgsIsHelpError:  # the help was shown as the error was made
            _exit(USAGE, standalone_mode)
        except BaseException as exc:  # the boundary: every failure gets its answer
            if isinstance(exc, SystemExit):
                raise
            _exit(tell(exc, verbose=wants_verbose(given)), standalone_mode)
        if isinstance(result, int) and result != 0:
            _exit(result, standalone_mode)
        return result


def tell(exc: BaseException, *, verbose: bool = False) -> int:
    """Writes the answer to `exc` on stderr (after its traceback when `verbose`); returns
    the exit status."""
    code, line = answer_for(exc)
    if verbose:
        trace = "".join(traceback.format_exception(exc))
        typer.echo(redact_text(trace, secret_values(_settings_or_none())).rstrip(), err=True)
    told = line if line.startswith((f"{PROGRAM} ", f"{PROGRAM}:")) else f"{PROGRAM}: {line}"
    typer.echo(told, err=True)
    return code


def _exit(code: int, standalone_mode: bool) -> NoReturn:
    if standalone_mode:
        sys.exit(code)
    raise typer.Exit(code)
