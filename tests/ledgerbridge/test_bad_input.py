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

CASES: dict[str, BadInput] = {
    # -- where the ledger is ---------------------------------------------------------------
    "empty DATABASE_URL": BadInput(
        HISTORY,
        f"ledgerbridge: {CONFIG}: {DB_URL}: is set but empty: unset it to use the embedded"
        f" PostgreSQL, or give {EXAMPLE}",
        env={"DATABASE_URL": ""},
    ),
    "blank DATABASE_URL": BadInput(
        ("db", "upgrade"),
        f"ledgerbridge: {CONFIG}: {DB_URL}: is set but empty: unset it to use the embedded"
        f" PostgreSQL, or give {EXAMPLE}",
        env={"DATABASE_URL": "   "},
    ),
    "mysql DATABASE_URL": BadInput(
        ("db", "upgrade"),
        f"ledgerbridge: {CONFIG}: {DB_URL}: is a 'mysql' URL, not PostgreSQL: give {EXAMPLE}"
        " (or a libpq key=value string)",
        env={"DATABASE_URL": "mysql://root:PASSWORD@db.example:3306/ledger"},
    ),
    "sqlite DATABASE_URL": BadInput(
        HISTORY,
        f"ledgerbridge: {CONFIG}: {DB_URL}: is a 'sqlite' URL, not PostgreSQL: give {EXAMPLE}"
        " (or a libpq key=value string)",
        env={"DATABASE_URL": "sqlite:///ledger.db"},
    ),
    "SQLAlchemy-style DATABASE_URL": BadInput(
        reconcile(),
        f"ledgerbridge: {CONFIG}: {DB_URL}: is a 'postgresql+psycopg' URL, not PostgreSQL:"
        f" give {EXAMPLE} (or a libpq key=value string)",
        env={"DATABASE_URL": "postgresql+psycopg://lb:pg-pass-Wn63@db.example/ledger"},
    ),
    "unparsable key=value DATABASE_URL": BadInput(
        ("db", "upgrade"),
        f"ledgerbridge: {CONFIG}: {DB_URL}: is not a PostgreSQL connection string libpq can"
        f" read: give {EXAMPLE}",
        env={"DATABASE_URL": "host=db.example password=pg-pass-Wn63 dbname"},
    ),
    "refused port": BadInput(
        HISTORY,
        "ledgerbridge: cannot reach the ledger database: nothing listens at 127.0.0.1:1"
        " (connection refused); start PostgreSQL there or correct DATABASE_URL",
        exit_code=1,
        env={"DATABASE_URL": "postgresql://lb:pg-pass-Wn63@127.0.0.1:1/ledger"},
    ),
    "refused port, key=value string": BadInput(
        ("db", "upgrade"),
        "ledgerbridge: cannot reach the ledger database: nothing listens at 127.0.0.1:1"
        " (connection refused); start PostgreSQL there or correct DATABASE_URL",
        exit_code=1,
        env={"DATABASE_URL": "host=127.0.0.1 port=1 user=lb password=pg-pass-Wn63"},
    ),
    "unknown host": BadInput(
        reconcile(),
        "ledgerbridge: cannot reach the ledger database: unknown host 'ledger.invalid';"
        " correct the host in DATABASE_URL",
        exit_code=1,
        env={"DATABASE_URL": "postgresql://lb:pg-pass-Wn63@ledger.invalid:5432/ledger"},
    ),
    "database that does not exist": BadInput(
        HISTORY,
        "ledgerbridge: database '{missing}' does not exist on {server}: create it"
        " (createdb {missing}) or correct DATABASE_URL, then " + UPGRADE,
        exit_code=1,
        env={"DATABASE_URL": "{missing_url}"},
    ),
    "history on a database not migrated": BadInput(
        HISTORY,
        "ledgerbridge: the ledger in {unmigrated} is not migrated"
        ' (relation "ledger.record_version" does not exist): ' + UPGRADE,
        exit_code=1,
        env={"DATABASE_URL": "{unmigrated_url}"},
    ),
    "reconcile on a database not migrated": BadInput(
        reconcile(),
        "ledgerbridge: the ledger in {unmigrated} is not migrated"
        ' (relation "ledger.sync_run" does not exist): ' + UPGRADE,
        exit_code=1,
        env={"DATABASE_URL": "{unmigrated_url}"},
    ),
    # -- settings from the environment -----------------------------------------------------
    "overlap below zero": BadInput(
        ("db", "upgrade"),
        f"ledgerbridge: {CONFIG}: sage100.overlap_seconds"
        " (LEDGERBRIDGE_SAGE100__OVERLAP_SECONDS): Input should be greater than or equal to 0",
        env={"LEDGERBRIDGE_SAGE100__OVERLAP_SECONDS": "-5"},
    ),
    "pacing not a number": BadInput(
        reconcile(),
        f"ledgerbridge: {CONFIG}: kashflow.requests_per_second"
        " (LEDGERBRIDGE_KASHFLOW__REQUESTS_PER_SECOND): Input should be a valid number,"
        " unable to parse string as a number",
        env={"LEDGERBRIDGE_KASHFLOW__REQUESTS_PER_SECOND": "fast"},
    ),
    "negative retries": BadInput(
        HISTORY,
        f"ledgerbridge: {CONFIG}: kashflow.max_retries (LEDGERBRIDGE_KASHFLOW__MAX_RETRIES):"
        " Input should be greater than or equal to 0",
        env={"LEDGERBRIDGE_KASHFLOW__MAX_RETRIES": "-1"},
    ),
    "unknown log level": BadInput(
        ("db", "upgrade"),
        f"ledgerbridge: {CONFIG}: log_level (LEDGERBRIDGE_LOG_LEVEL): Input should be 'DEBUG',"
        " 'INFO', 'WARNING', 'ERROR' or 'CRITICAL'",
        env={"LEDGERBRIDGE_LOG_LEVEL": "chatty"},
    ),
    "approval threshold zero": BadInput(
        reconcile(),
        f"ledgerbridge: {CONFIG}: approval_threshold (LEDGERBRIDGE_APPROVAL_THRESHOLD):"
        " Input should be greater than 0",
        env={"LEDGERBRIDGE_APPROVAL_THRESHOLD": "0"},
    ),
    "home is a file": BadInput(
        ("db", "status"),
        f"ledgerbridge: {CONFIG}: home (LEDGERBRIDGE_HOME): names a file, not a folder:"
        " name a folder (it is created if missing)",
        env={"LEDGERBRIDGE_HOME": "{tmp}/keep.db"},
    ),
    "home is empty": BadInput(
        ("db", "status"),
        f"ledgerbridge: {CONFIG}: home (LEDGERBRIDGE_HOME): is empty: unset it to work in"
        " .ledgerbridge, or name a folder",
        env={"LEDGERBRIDGE_HOME": ""},
    ),
    "mistyped nested variable": BadInput(
        HISTORY,
        f"ledgerbridge: {CONFIG}: kashflow.usernam (LEDGERBRIDGE_KASHFLOW__USERNAM): not a"
        " setting (mistyped?)",
        env={"LEDGERBRIDGE_KASHFLOW__USERNAM": "finance"},
    ),
    "BOI backend unknown": BadInput(
        ("db", "upgrade"),
        f"ledgerbridge: {CONFIG}: sage100.boi_backend (LEDGERBRIDGE_SAGE100__BOI_BACKEND):"
        " Input should be 'sandbox' or 'com'",
        env={"LEDGERBRIDGE_SAGE100__BOI_BACKEND": "windows"},
    ),
    "real KashFlow with the sandbox user name": BadInput(
        ("demo",),
        f"ledgerbridge: {CONFIG}: kashflow: base_url points at the real KashFlow"
        " (api.kashflow.com) but username is still the sandbox's default; set the real login",
        env={"LEDGERBRIDGE_KASHFLOW__BASE_URL": "https://api.kashflow.com/v2"},
    ),
    # -- the TOML file ---------------------------------------------------------------------
    "TOML that does not parse": BadInput(
        HISTORY,
        "ledgerbridge: invalid configuration file {tmp}/ledgerbridge.toml: Expected '=' after"
        " a key in a key/value pair (at line 2, column 10)",
        config_file='[kashflow]\nusername "finance"\n',
    ),
    "TOML with an unclosed table": BadInput(
        ("db", "upgrade"),
        "ledgerbridge: invalid configuration file {tmp}/ledgerbridge.toml: Expected ']' at the"
        " end of a table declaration (at line 1, column 9)",
        config_file="[sage100\noverlap_seconds = 5\n",
    ),
    "TOML mistyped key": BadInput(
        reconcile(),
        f"ledgerbridge: {CONFIG}: kashflow.usernam (LEDGERBRIDGE_KASHFLOW__USERNAM): not a"
        " setting (mistyped?)",
        config_file='[kashflow]\nusernam = "finance"\n',
    ),
    "TOML value of the wrong type": BadInput(
        HISTORY,
        f"ledgerbridge: {CONFIG}: sage100.overlap_seconds"
        " (LEDGERBRIDGE_SAGE100__OVERLAP_SECONDS): Input should be a valid integer, unable to"
        " parse string as an integer",
        config_file='[sage100]\noverlap_seconds = "soon"\n',
    ),
    "TOML database_url of another system": BadInput(
        ("db", "upgrade"),
        f"ledgerbridge: {CONFIG}: {DB_URL}: is a 'mysql' URL, not PostgreSQL: give {EXAMPLE}"
        " (or a libpq key=value string)",
        env={"DATABASE_URL": None},
        config_file='database_url = "mysql://root:toml-pass-Ke90@db.example/ledger"\n',
    ),
    # -- reconcile's options ---------------------------------------------------------------
    "tolerance-abs not a number": BadInput(
        reconcile("--tolerance-abs", "abc"),
        invalid("reconcile", "--tolerance-abs", "'abc' is not a number (write it like 2.50)"),
    ),
    "tolerance-abs negative": BadInput(
        reconcile("--tolerance-abs", "-1"),
        invalid("reconcile", "--tolerance-abs", "-1 is not at least 0"),
    ),
    "tolerance-abs infinite": BadInput(
        reconcile("--tolerance-abs", "Infinity"),
        invalid("reconcile", "--tolerance-abs", "'Infinity' is not a finite number"),
    ),
    "tolerance-pct negative": BadInput(
        reconcile("--tolerance-pct", "-1"),
        invalid("reconcile", "--tolerance-pct", "-1 is not between 0 and 1"),
    ),
    "tolerance-pct above one": BadInput(
        reconcile("--tolerance-pct", "2"),
        invalid("reconcile", "--tolerance-pct", "2 is not between 0 and 1"),
    ),
    "tolerance-pct NaN": BadInput(
        reconcile("--tolerance-pct", "nan"),
        invalid("reconcile", "--tolerance-pct", "'nan' is not a finite number"),
    ),
    "auto-threshold above one": BadInput(
        reconcile("--auto-threshold", "5"),
        invalid("reconcile", "--auto-threshold", "Input should be less than or equal to 1"),
    ),
    "auto-threshold below zero": BadInput(
        reconcile("--auto-threshold", "-0.1"),
        invalid("reconcile", "--auto-threshold", "Input should be greater than or equal to 0"),
    ),
    "auto-threshold not a number": BadInput(
        reconcile("--auto-threshold", "high"),
        invalid(
            "reconcile",
            "--auto-threshold",
            "Input should be a valid number, unable to parse string as a number",
        ),
    ),
    "days-after-due negative": BadInput(
        reconcile("--days-after-due", "-1"),
        invalid("reconcile", "--days-after-due", "Input should be greater than or equal to 0"),
    ),
    "days-after-due fractional": BadInput(
        reconcile("--days-after-due", "1.5"),
        invalid(
            "reconcile",
            "--days-after-due",
            "Input should be a valid integer, unable to parse string as an integer",
        ),
    ),
    "gl-min-history negative": BadInput(
        reconcile("--gl-min-history", "-3"),
        invalid("reconcile", "--gl-min-history", "Input should be greater than or equal to 0"),
    ),
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
        ("sandbox", "sage100", "init", "--size", "huge", "--db", "{tmp}/new.db"),
        usage(
            "sandbox sage100 init",
            "Invalid value for --size: size must be one of small, medium, large",
        ),
    ),
    "Sage 100 sandbox seed": BadInput(
        ("sandbox", "sage100", "init", "--seed", "lucky", "--db", "{tmp}/new.db"),
        invalid(
            "sandbox sage100 init",
            "--seed",
            "Input should be a valid integer, unable to parse string as an integer",
        ),
    ),
    "KashFlow sandbox size": BadInput(
        ("sandbox", "kashflow", "serve", "--size", "huge", "--db", "{tmp}/new.db"),
        usage("sandbox kashflow serve", "Invalid value for --size: size is small, medium or large"),
    ),
    "KashFlow sandbox port": BadInput(
        ("sandbox", "kashflow", "serve", "--port", "http", "--db", "{tmp}/new.db"),
        invalid(
            "sandbox kashflow serve",
            "--port",
            "Input should be a valid integer, unable to parse string as an integer",
        ),
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
