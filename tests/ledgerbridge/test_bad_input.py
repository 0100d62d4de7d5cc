"""Every bad input to the `ledgerbridge` command gets one line on stderr saying what is wrong
and what to do, the right exit status, no traceback and no secret, and leaves every file
as it was: options, arguments, environment, the TOML file, the database it points at and
the sandboxes. Each case runs the real app (typer's CliRunner) against a real PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
import pytest
from psycopg.conninfo import conninfo_to_dict
from typer.testing import CliRunner

from ledgerbridge.cli import app
from ledgerbridge.testdb import create_database, drop_database, fresh_name, with_dbname

SECRETS = {
    "LEDGERBRIDGE_KASHFLOW__PASSWORD": "kf-pass-Zq81",
    "LEDGERBRIDGE_KASHFLOW__MEMORABLE_WORD": "kf-word-Hx44",
    "LEDGERBRIDGE_SAGE100__PASSWORD": "sage-pass-Jr27",
}
"""Given to every case; none may ever be shown. Passwords in URLs below are secrets too."""
URL_SECRETS = ("PASSWORD", "pg-pass-Wn63", "toml-pass-Ke90")

CONFIG = "invalid configuration"
DB_URL = "database_url (DATABASE_URL)"
EXAMPLE = "postgresql://USER@HOST:5432/DBNAME"
UPGRADE = "run `ledgerbridge db upgrade`"
ENTITIES = (
    "customer, supplier, product, stock_level, gl_account, sales_invoice, purchase_invoice,"
    " payment, journal_entry, order_status"
)


@dataclass(frozen=True)
class BadInput:
    args: tuple[str, ...]
    line: str
    """The one line expected on stderr; `{tmp}`, `{ledger}`, `{unmigrated}`, `{server}`
    and `{missing}` are filled in by the test."""
    exit_code: int = 2
    env: dict[str, str | None] = field(default_factory=dict)
    """Variables to set (None: to unset)."""
    config_file: str | None = None
    """Text of the TOML file `LEDGERBRIDGE_CONFIG` names (None: no file)."""


def reconcile(*args: str) -> tuple[str, ...]:
    return ("reconcile", *args)


def usage(command: str, message: str) -> str:
    path = f"ledgerbridge {command}".strip()
    return f"{path}: {message} (see `{path} --help`)"


def invalid(command: str, option: str, message: str) -> str:
    return usage(command, f"Invalid value for '{option}': {message}")


HISTORY = ("history", "sage100", "customer", "01-ACME0019")
UPGRADE_DB = ("db", "upgrade")
GE0 = "Input should be greater than or equal to 0"
INTEGER = "Input should be a valid integer, unable to parse string as an integer"
NUMBER = "Input should be a valid number, unable to parse string as a number"
EMPTY_URL = f"is set but empty: unset it to use the embedded PostgreSQL, or give {EXAMPLE}"
REFUSED = (
    "nothing listens at 127.0.0.1:1 (connection refused); start PostgreSQL there or correct"
    " DATABASE_URL"
)


def not_postgres(scheme: str) -> str:
    return f"is a '{scheme}' URL, not PostgreSQL: give {EXAMPLE} (or a libpq key=value string)"


def database_url(args: tuple[str, ...], url: str, message: str) -> BadInput:
    """DATABASE_URL set to something that names no PostgreSQL database."""
    return BadInput(args, f"ledgerbridge: {CONFIG}: {DB_URL}: {message}", env={"DATABASE_URL": url})


def unreachable(args: tuple[str, ...], url: str, reason: str) -> BadInput:
    """DATABASE_URL names a server that cannot be reached."""
    line = f"ledgerbridge: cannot reach the ledger database: {reason}"
    return BadInput(args, line, exit_code=1, env={"DATABASE_URL": url})


def not_migrated(args: tuple[str, ...], relation: str) -> BadInput:
    line = f'ledgerbridge: the ledger in {{unmigrated}} is not migrated (relation "{relation}"'
    line += " does not exist): " + UPGRADE
    return BadInput(args, line, exit_code=1, env={"DATABASE_URL": "{unmigrated_url}"})


def setting_line(variable: str, message: str) -> str:
    """The line for a refused setting: its dotted name, then the variable that sets it."""
    name = variable.removeprefix("LEDGERBRIDGE_").lower().replace("__", ".")
    return f"ledgerbridge: {CONFIG}: {name} ({variable}): {message}"


def setting(args: tuple[str, ...], variable: str, value: str, message: str) -> BadInput:
    """A setting from the environment that the settings refuse."""
    return BadInput(args, setting_line(variable, message), env={variable: value})


def toml_syntax(args: tuple[str, ...], text: str, message: str) -> BadInput:
    line = f"ledgerbridge: invalid configuration file {{tmp}}/ledgerbridge.toml: {message}"
    return BadInput(args, line, config_file=text)


def option(name: str, value: str, message: str) -> BadInput:
    """A `reconcile` option given a value it refuses."""
    return BadInput(reconcile(name, value), invalid("reconcile", name, message))


def sandbox(system: str, command: str, option: str, value: str) -> tuple[str, ...]:
    return ("sandbox", system, command, option, value, "--db", "{tmp}/new.db")


CASES: dict[str, BadInput] = {
    # -- where the ledger is ---------------------------------------------------------------
    "empty DATABASE_URL": database_url(HISTORY, "", EMPTY_URL),
    "blank DATABASE_URL": database_url(UPGRADE_DB, "   ", EMPTY_URL),
    "mysql DATABASE_URL": database_url(
        UPGRADE_DB, "mysql://root:PASSWORD@db.example:3306/ledger", not_postgres("mysql")
    ),
    "sqlite DATABASE_URL": database_url(HISTORY, "sqlite:///ledger.db", not_postgres("sqlite")),
    "SQLAlchemy-style DATABASE_URL": database_url(
        reconcile(),
        "postgresql+psycopg://lb:pg-pass-Wn63@db.example/ledger",
        not_postgres("postgresql+psycopg"),
    ),
    "unparsable key=value DATABASE_URL": database_url(
        UPGRADE_DB,
        "host=db.example password=pg-pass-Wn63 dbname",
        f"is not a PostgreSQL connection string libpq can read: give {EXAMPLE}",
    ),
    "refused port": unreachable(
        HISTORY, "postgresql://lb:pg-pass-Wn63@127.0.0.1:1/ledger", REFUSED
    ),
    "refused port, key=value string": unreachable(
        UPGRADE_DB, "host=127.0.0.1 port=1 user=lb password=pg-pass-Wn63", REFUSED
    ),
    "unknown host": unreachable(
        reconcile(),
        "postgresql://lb:pg-pass-Wn63@ledger.invalid:5432/ledger",
        "unknown host 'ledger.invalid'; correct the host in DATABASE_URL",
    ),
    "database that does not exist": BadInput(
        HISTORY,
        "ledgerbridge: database '{missing}' does not exist on {server}: create it"
        " (createdb {missing}) or correct DATABASE_URL, then " + UPGRADE,
        exit_code=1,
        env={"DATABASE_URL": "{missing_url}"},
    ),
    "history on a database not migrated": not_migrated(HISTORY, "ledger.record_version"),
    "reconcile on a database not migrated": not_migrated(reconcile(), "ledger.sync_run"),
    # -- settings from the environment -----------------------------------------------------
    "overlap below zero": setting(UPGRADE_DB, "LEDGERBRIDGE_SAGE100__OVERLAP_SECONDS", "-5", GE0),
    "pacing not a number": setting(
        reconcile(), "LEDGERBRIDGE_KASHFLOW__REQUESTS_PER_SECOND", "fast", NUMBER
    ),
    "negative retries": setting(HISTORY, "LEDGERBRIDGE_KASHFLOW__MAX_RETRIES", "-1", GE0),
    "unknown log level": setting(
        UPGRADE_DB,
        "LEDGERBRIDGE_LOG_LEVEL",
        "chatty",
        "Input should be 'DEBUG', 'INFO', 'WARNING', 'ERROR' or 'CRITICAL'",
    ),
    "approval threshold zero": setting(
        reconcile(), "LEDGERBRIDGE_APPROVAL_THRESHOLD", "0", "Input should be greater than 0"
    ),
    "home is a file": setting(
        ("db", "status"),
        "LEDGERBRIDGE_HOME",
        "{tmp}/keep.db",
        "names a file, not a folder: name a folder (it is created if missing)",
    ),
    "home is empty": setting(
        ("db", "status"),
        "LEDGERBRIDGE_HOME",
        "",
        "is empty: unset it to work in .ledgerbridge, or name a folder",
    ),
    "mistyped nested variable": setting(
        HISTORY, "LEDGERBRIDGE_KASHFLOW__USERNAM", "finance", "not a setting (mistyped?)"
    ),
    "BOI backend unknown": setting(
        UPGRADE_DB,
        "LEDGERBRIDGE_SAGE100__BOI_BACKEND",
        "windows",
        "Input should be 'sandbox' or 'com'",
    ),
    "real KashFlow with the sandbox user name": BadInput(
        ("demo",),
        f"ledgerbridge: {CONFIG}: kashflow: base_url points at the real KashFlow"
        " (api.kashflow.com) but username is still the sandbox's default; set the real login",
        env={"LEDGERBRIDGE_KASHFLOW__BASE_URL": "https://api.kashflow.com/v2"},
    ),
    # -- the TOML file ---------------------------------------------------------------------
    "TOML that does not parse": toml_syntax(
        HISTORY,
        '[kashflow]\nusername "finance"\n',
        "Expected '=' after a key in a key/value pair (at line 2, column 10)",
    ),
    "TOML with an unclosed table": toml_syntax(
        UPGRADE_DB,
        "[sage100\noverlap_seconds = 5\n",
        "Expected ']' at the end of a table declaration (at line 1, column 9)",
    ),
    "TOML mistyped key": BadInput(
        reconcile(),
        setting_line("LEDGERBRIDGE_KASHFLOW__USERNAM", "not a setting (mistyped?)"),
        config_file='[kashflow]\nusernam = "finance"\n',
    ),
    "TOML value of the wrong type": BadInput(
        HISTORY,
        setting_line("LEDGERBRIDGE_SAGE100__OVERLAP_SECONDS", INTEGER),
        config_file='[sage100]\noverlap_seconds = "soon"\n',
    ),
    "TOML database_url of another system": BadInput(
        UPGRADE_DB,
        f"ledgerbridge: {CONFIG}: {DB_URL}: {not_postgres('mysql')}",
        env={"DATABASE_URL": None},
        config_file='database_url = "mysql://root:toml-pass-Ke90@db.example/ledger"\n',
    ),
    # -- reconcile's options ---------------------------------------------------------------
    "tolerance-abs not a number": option(
        "--tolerance-abs", "abc", "'abc' is not a number (write it like 2.50)"
    ),
    "tolerance-abs negative": option("--tolerance-abs", "-1", "-1 is not at least 0"),
    "tolerance-abs infinite": option(
        "--tolerance-abs", "Infinity", "'Infinity' is not a finite number"
    ),
    "tolerance-pct negative": option("--tolerance-pct", "-1", "-1 is not between 0 and 1"),
    "tolerance-pct above one": option("--tolerance-pct", "2", "2 is not between 0 and 1"),
    "tolerance-pct NaN": option("--tolerance-pct", "nan", "'nan' is not a finite number"),
    "auto-threshold above one": option(
        "--auto-threshold", "5", "Input should be less than or equal to 1"
    ),
    "auto-threshold below zero": option("--auto-threshold", "-0.1", GE0),
    "auto-threshold not a number": option("--auto-threshold", "high", NUMBER),
    "days-after-due negative": option("--days-after-due", "-1", GE0),
    "days-after-due fractional": option("--days-after-due", "1.5", INTEGER),
    "gl-min-history negative": option("--gl-min-history", "-3", GE0),
    "unknown option": BadInput(
        reconcile("--tolerance", "2"),
        usage(
            "reconcile",
            "No such option: --tolerance (Possible options: --tolerance-abs, --tolerance-pct)",
        ),
    ),
    # -- history's arguments ---------------------------------------------------------------
    "history of an unknown system": BadInput(
        ("history", "xero", "customer", "ACME"),
        invalid(
            "history",
            "system",
            "unknown system 'xero'; one of kashflow, sage100, ecommerce, gateway",
        ),
    ),
    "history of an unknown entity": BadInput(
        ("history", "sage100", "customers", "01-ACME0019"),
        invalid("history", "entity", f"unknown entity 'customers'; one of {ENTITIES}"),
    ),
    "history without a key": BadInput(
        ("history", "sage100", "customer"), usage("history", "Missing argument 'key'.")
    ),
    "history of a key the ledger never saw": BadInput(
        ("history", "sage100", "customer", "01-NOBODY"),
        "ledgerbridge: no versions of sage100 customer '01-NOBODY' in the ledger: check the key"
        " (as that system spells it) or read the system first",
        exit_code=1,
    ),
    # -- commands --------------------------------------------------------------------------
    "unknown command": BadInput(
        ("reconcil",), usage("", "No such command 'reconcil'. Did you mean 'reconcile'?")
    ),
    "unknown db command": BadInput(("db", "migrate"), usage("db", "No such command 'migrate'.")),
    # -- the sandboxes ---------------------------------------------------------------------
    "Sage 100 sandbox size": BadInput(
        sandbox("sage100", "init", "--size", "huge"),
        usage(
            "sandbox sage100 init",
            "Invalid value for --size: size must be one of small, medium, large",
        ),
    ),
    "Sage 100 sandbox seed": BadInput(
        sandbox("sage100", "init", "--seed", "lucky"),
        invalid("sandbox sage100 init", "--seed", INTEGER),
    ),
    "KashFlow sandbox size": BadInput(
        sandbox("kashflow", "serve", "--size", "huge"),
        usage("sandbox kashflow serve", "Invalid value for --size: size is small, medium or large"),
    ),
    "KashFlow sandbox port": BadInput(
        sandbox("kashflow", "serve", "--port", "http"),
        invalid("sandbox kashflow serve", "--port", INTEGER),
    ),
}


def shown_address(url: str) -> str:
    """How an answer names a database: postgresql://user@host:port/dbname, no password."""
    info = conninfo_to_dict(url)
    user = f"{info['user']}@" if info.get("user") else ""
    port = f":{info['port']}" if info.get("port") else ""
    return f"postgresql://{user}{info.get('host', '')}{port}/{info.get('dbname', '')}"


@pytest.fixture(scope="module")
def databases(pg_server: str, ledger_template: str) -> Iterator[dict[str, str]]:
    """A migrated ledger with nothing in it, and a database without the ledger schema."""
    migrated, unmigrated = fresh_name("lbbad"), fresh_name("lbbad_bare")
    migrated_url = create_database(pg_server, migrated, template=ledger_template)
    unmigrated_url = create_database(pg_server, unmigrated)
    with psycopg.connect(pg_server) as conn:
        server = f"{conn.info.host}:{conn.info.port}"
    missing = fresh_name("lbbad_missing")
    yield {
        "ledger_url": migrated_url,
        "unmigrated_url": unmigrated_url,
        "unmigrated": shown_address(unmigrated_url),
        "missing_url": with_dbname(pg_server, missing),
        "missing": missing,
        "server": server,
    }
    drop_database(pg_server, migrated)
    drop_database(pg_server, unmigrated)


def tree(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes() if p.is_file() else b"" for p in root.rglob("*")
    }


def filled(text: str, values: dict[str, str]) -> str:
    for name, value in values.items():
        text = text.replace("{" + name + "}", value)
    return text


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_a_bad_input_is_one_line_and_an_exit_status(
    case: BadInput,
    databases: dict[str, str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "keep.db").write_bytes(b"someone's file\n")
    config = tmp_path / "ledgerbridge.toml"
    if case.config_file is not None:
        config.write_text(case.config_file)
    values = {"tmp": str(tmp_path), **databases}
    env = {
        "DATABASE_URL": databases["ledger_url"],
        "LEDGERBRIDGE_CONFIG": str(config),
        "LEDGERBRIDGE_HOME": str(tmp_path / "home"),
        **SECRETS,
        **{name: filled(value, values) if value else value for name, value in case.env.items()},
    }
    before = tree(tmp_path)

    result = CliRunner().invoke(app, [filled(arg, values) for arg in case.args], env=env)

    shown = result.stdout + result.stderr
    assert (result.exit_code, result.stderr) == (case.exit_code, filled(case.line, values) + "\n")
    assert result.stdout == ""
    assert "Traceback" not in shown
    for secret in (*SECRETS.values(), *URL_SECRETS):
        assert secret not in shown
    assert tree(tmp_path) == before, "no file written, overwritten or created"


def test_the_table_holds_forty_bad_inputs() -> None:
    assert len(CASES) >= 40


def test_verbose_adds_the_traceback_and_still_no_secret(databases: dict[str, str]) -> None:
    env = {"DATABASE_URL": "postgresql://lb:pg-pass-Wn63@127.0.0.1:1/ledger", **SECRETS}

    result = CliRunner().invoke(app, ["--verbose", "db", "upgrade"], env=env)

    assert result.exit_code == 1
    assert "Traceback (most recent call last)" in result.stderr
    assert result.stderr.splitlines()[-1].startswith("ledgerbridge: cannot reach the ledger")
    assert "pg-pass-Wn63" not in result.stdout + result.stderr
