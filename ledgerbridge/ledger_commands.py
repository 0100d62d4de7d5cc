"""`ledgerbridge ledger seal|verify`: prove that the ledger was not altered.

`seal` signs every chain head with the seal key (HMAC-SHA256; the key comes from
`LEDGERBRIDGE_SEAL_KEY` or `LEDGERBRIDGE_SEAL_KEY_FILE`, never from the database) and can
write the seal to a file to keep elsewhere; `verify` recomputes every chain and checks the
seals, naming each row that does not match, and exits 1 if any does. Output is plain
lines, never wrapped, so that each finding stays one line for grep and for logs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, NoReturn

import psycopg
import typer

from ledger.seals import Seal, seal_ledger, stored_seals
from ledger.verify import verify_ledger
from ledgerbridge.config import Settings, load_settings
from ledgerbridge.database import database_url

app = typer.Typer(
    help="Prove the ledger was not altered: seal its chain heads, verify its chains.",
    no_args_is_help=True,
)

MIN_KEY_BYTES = 16


def seal_key(settings: Settings) -> bytes | None:
    """The seal key from the environment or its file; exits with one line when unusable."""
    if settings.seal_key is not None:
        key = settings.seal_key.get_secret_value().encode()
    elif settings.seal_key_file is not None:
        try:
            key = settings.seal_key_file.read_bytes().strip()
        except OSError as error:
            _fail(f"cannot read the seal key file {settings.seal_key_file}: {error.strerror}")
    else:
        return None
    if len(key) < MIN_KEY_BYTES:
        _fail(f"the seal key is too short: use at least {MIN_KEY_BYTES} random bytes")
    return key


@app.command("seal")
def seal_command(
    out: Annotated[
        Path | None,
        typer.Option(help="Also write the seal to this file (keep it outside the database)."),
    ] = None,
) -> None:
    """Append the current chain heads of every ledger stream as a signed seal."""
    settings = load_settings()
    key = seal_key(settings)
    if key is None:
        _fail("cannot seal without a key: set LEDGERBRIDGE_SEAL_KEY or LEDGERBRIDGE_SEAL_KEY_FILE")
    if out is not None and out.exists():
        _fail(f"{out} exists already: a seal file is never overwritten, choose another name")
    with psycopg.connect(database_url(settings)) as conn:
        seal = seal_ledger(conn, key)
    if out is not None:
        out.write_text(seal.to_json())
    typer.echo(
        f"seal {seal.seal_id}: {len(seal.heads)} chain heads signed at {seal.sealed_at.isoformat()}"
        + (f", written to {out}" if out is not None else "")
    )


@app.command("verify")
def verify_command(
    since: Annotated[
        str | None,
        typer.Option(help="Verify from this seal on: its number, or a file `seal --out` wrote."),
    ] = None,
) -> None:
    """Recompute every chain, check every seal; name each row that does not match."""
    settings = load_settings()
    key = seal_key(settings)
    with psycopg.connect(database_url(settings)) as conn:
        conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        conn.read_only = True
        start = _since_seal(conn, since) if since is not None else None
        if start is not None and key is None:
            _fail("--since needs the seal key to trust the seal: set LEDGERBRIDGE_SEAL_KEY")
        result = verify_ledger(conn, key, start)
    for mismatch in result.mismatches:
        typer.echo(f"MISMATCH {mismatch}")
    seals = f"{result.seals_checked} seals checked"
    if result.seals_unchecked:
        seals += f", {result.seals_unchecked} not checked (no seal key)"
    summary = f"{result.rows} rows in {result.streams} chains, {seals}"
    if not result.ok:
        typer.echo(f"ledger NOT verified: {len(result.mismatches)} mismatches; {summary}")
        raise typer.Exit(1)
    typer.echo(f"ledger verified: {summary}")


def _since_seal(conn: psycopg.Connection[object], since: str) -> Seal:
    if since.isdigit():
        found = [seal for seal in stored_seals(conn, int(since)) if seal.seal_id == int(since)]
        conn.rollback()
        if not found:
            _fail(f"no seal {since} in the ledger: give a seal number or a seal file")
        return found[0]
    path = Path(since)
    if not path.is_file():
        _fail(f"--since {since}: no such seal file, and not a seal number")
    try:
        return Seal.from_json(path.read_bytes())
    except ValueError as error:
        _fail(f"--since {since}: {error}")


def _fail(message: str) -> NoReturn:
    typer.echo(message, err=True)
    raise typer.Exit(2)
