"""`ledgerbridge db upgrade|status|stop`: migrating the ledger, where the ledger is and in
what state, and stopping the embedded PostgreSQL that Ledgerbridge keeps running between
commands (pgserver) — what `make clean` does before it removes `.ledgerbridge/`.
"""

from __future__ import annotations

import os
import subprocess
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import psycopg
import typer
from alembic.script import ScriptDirectory
from rich.console import Console

from ledger.migrate import alembic_config
from ledgerbridge.config import Settings, load_settings
from ledgerbridge.database import (
    embedded_server_url,
    owner_database_url,
    prepare_ledger,
    redact,
)
from ledgerbridge.error_boundary import answer_for, describe_ledger

CONNECT_TIMEOUT_SECONDS = 5
PGSERVER_SYSTEM_USER = "pgserver"
"""pgserver runs PostgreSQL as this system user when started by root."""

app = typer.Typer(help="The ledger database.", no_args_is_help=True)
console = Console()


@dataclass(frozen=True)
class EmbeddedServer:
    """The embedded PostgreSQL under `<home>/pg`, as its postmaster.pid tells."""

    pgdata: Path
    pid: int | None

    @property
    def running(self) -> bool:
        return self.pid is not None


def embedded_server(home: Path) -> EmbeddedServer:
    """The embedded server under `home/pg`: running (with its pid) or not. Starts nothing."""
    pgdata = (home / "pg").resolve()
    pid_file = pgdata / "postmaster.pid"
    try:
        pid = int(pid_file.read_text().split("\n", 1)[0])
    except (OSError, ValueError):
        return EmbeddedServer(pgdata, None)
    return EmbeddedServer(pgdata, pid if _alive(pid) else None)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def stop_embedded_server(server: EmbeddedServer) -> None:
    """Stops the server (fast shutdown: open sessions end, committed work is kept) with the
    pg_ctl that pgserver ships, as the system user pgserver runs it as."""
    with warnings.catch_warnings():  # platformdirs warns about XDG_RUNTIME_DIR on import
        warnings.simplefilter("ignore")
        from pgserver._commands import POSTGRES_BIN_PATH

    as_user = PGSERVER_SYSTEM_USER if hasattr(os, "geteuid") and os.geteuid() == 0 else None
    subprocess.run(
        [str(POSTGRES_BIN_PATH / "pg_ctl"), "-D", str(server.pgdata), "-w", "-m", "fast", "stop"],
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        user=as_user,
        timeout=60,
    )


@dataclass(frozen=True)
class LedgerStatus:
    """What `db status` found; `usable` when the server answers and the schema is current."""

    lines: list[tuple[str, str]]
    usable: bool


def ledger_status(settings: Settings) -> LedgerStatus:
    """Where the ledger is, whether its server answers, at which revision its schema is,
    and whether the embedded server runs. Starts nothing; never shows a secret."""
    embedded = embedded_server(settings.home)
    if settings.database_url is not None:
        url: str | None = settings.database_url.get_secret_value()
        where = f"{describe_ledger(settings)} (DATABASE_URL)"
        running = f"running (pid {embedded.pid})" if embedded.running else "not running"
        embedded_line = f"not used; {running} under {embedded.pgdata}"
    else:
        url = embedded_server_url(settings.home) if embedded.running else None
        where = f"the embedded PostgreSQL under {embedded.pgdata}"
        embedded_line = (
            f"running (pid {embedded.pid})"
            if embedded.running
            else "not running (the next command that needs the ledger starts it)"
        )
    lines = [("ledger", where)]
    if url is None:
        lines += [("server", "not running"), ("schema", "unknown until the server runs")]
        usable = False
    else:
        server, schema, usable = _server_and_schema(url)
        lines += [("server", server), ("schema", schema)]
    lines.append(("embedded server", embedded_line))
    return LedgerStatus(lines, usable)


def _server_and_schema(url: str) -> tuple[str, str, bool]:
    head = ScriptDirectory.from_config(alembic_config(url)).get_current_head()
    try:
        with psycopg.connect(url, connect_timeout=CONNECT_TIMEOUT_SECONDS) as conn:
            server = f"reachable, PostgreSQL {conn.info.parameter_status('server_version')}"
            revision = _revision(conn)
    except psycopg.Error as exc:
        return f"unreachable: {answer_for(exc)[1]}", "unknown", False
    if revision is None:
        return server, "not migrated: run `ledgerbridge db upgrade`", False
    if revision != head:
        return (
            server,
            f"revision {revision}, newest is {head}: run `ledgerbridge db upgrade`",
            False,
        )
    return server, f"migrated, revision {revision} (the newest)", True


def _revision(conn: psycopg.Connection[Any]) -> str | None:
    exists = conn.execute("SELECT to_regclass('public.alembic_version') IS NOT NULL").fetchone()
    if not exists or not exists[0]:
        return None
    row = conn.execute("SELECT version_num FROM public.alembic_version").fetchone()
    return str(row[0]) if row else None


@app.command("status")
def status_command() -> None:
    """Where the ledger is, whether it is migrated and to which revision, whether its
    server answers and whether the embedded server runs; exit 1 when it is not usable."""
    status = ledger_status(load_settings())
    width = max(len(label) for label, _ in status.lines) + 1
    for label, value in status.lines:
        typer.echo(f"{label + ':':<{width}} {value}")
    if not status.usable:
        raise typer.Exit(1)


@app.command("stop")
def stop_command(
    home: Annotated[
        Path | None,
        typer.Option(help="The working folder whose server to stop (default LEDGERBRIDGE_HOME)."),
    ] = None,
) -> None:
    """Stop the embedded PostgreSQL (Ledgerbridge keeps it running between commands)."""
    server = embedded_server(home if home is not None else load_settings().home)
    if not server.running:
        typer.echo(f"no embedded PostgreSQL is running under {server.pgdata}")
        return
    stop_embedded_server(server)
    typer.echo(f"stopped the embedded PostgreSQL under {server.pgdata} (pid {server.pid})")


@app.command("upgrade")
def upgrade_command() -> None:
    """Create or migrate the ledger schema as its owner; the app's login may read and append."""
    settings = load_settings()
    try:
        cautions = prepare_ledger(settings)
    except PermissionError as error:
        console.print(str(error), soft_wrap=True)
        raise typer.Exit(1) from None
    console.print(f"ledger schema is up to date on {redact(owner_database_url(settings))}")
    for caution in cautions:
        console.print(f"warning: {caution}", soft_wrap=True)
