"""Where the ledger lives and who connects to it.

`DATABASE_URL` is the application's login (a member of `ledgerbridge_app`: read and append
only); `LEDGERBRIDGE_OWNER_DATABASE_URL` is the ledger's owner, used only to migrate it
(`ledgerbridge db upgrade`), and falls back to `DATABASE_URL`. With neither, Ledgerbridge
starts a private PostgreSQL under `<home>/pg` with pgserver, migrates it as its superuser and
connects as the login `ledgerbridge`.
"""

from __future__ import annotations

import logging
import warnings
from pathlib import Path
from typing import Any

import psycopg

from ledger.roles import APP_ROLE, ensure_app_login, grant_app_role
from ledgerbridge.config import Settings
from ledgerbridge.redaction import redact_text

log = logging.getLogger(__name__)

EMBEDDED_APP_LOGIN = "ledgerbridge"
"""The application's login on the embedded server."""

_EMBEDDED: dict[Path, Any] = {}
_EMBEDDED_APP: dict[Path, str] = {}


def embedded_server_url(home: Path) -> str:
    """Starts (or reuses) the embedded PostgreSQL under `home/pg`; returns its superuser URL."""
    pgdata = (home / "pg").resolve()
    server = _EMBEDDED.get(pgdata)
    if server is None:
        with warnings.catch_warnings():  # platformdirs warns about XDG_RUNTIME_DIR on import
            warnings.simplefilter("ignore")
            import pgserver  # imported here: only needed when no DATABASE_URL is given

        pgdata.parent.mkdir(parents=True, exist_ok=True)
        log.info("starting embedded postgresql", extra={"pgdata": str(pgdata)})
        server = pgserver.get_server(pgdata, cleanup_mode=None)
        _EMBEDDED[pgdata] = server
    return str(server.get_uri())


def embedded_app_url(home: Path) -> str:
    """The embedded server's URL for the application's login, which it creates if missing."""
    pgdata = (home / "pg").resolve()
    url = _EMBEDDED_APP.get(pgdata)
    if url is None:
        superuser = embedded_server_url(home)
        with psycopg.connect(superuser) as conn:
            ensure_app_login(conn, EMBEDDED_APP_LOGIN)
        url = _EMBEDDED_APP[pgdata] = with_user(superuser, EMBEDDED_APP_LOGIN)
    return url


def database_url(settings: Settings) -> str:
    """The application's own connection: read and append only."""
    if settings.database_url is not None:
        return settings.database_url.get_secret_value()
    return embedded_app_url(settings.home)


def owner_database_url(settings: Settings) -> str:
    """The ledger owner's connection, for migrations only."""
    for url in (settings.owner_database_url, settings.database_url):
        if url is not None:
            return url.get_secret_value()
    return embedded_server_url(settings.home)


def prepare_ledger(settings: Settings) -> list[str]:
    """Migrates the ledger as its owner and makes the application's login a member of the
    app role. Returns warnings: the application connecting as the owner or as a superuser
    (then only tamper evidence, not privileges, stands between it and history)."""
    from ledger.migrate import upgrade  # here: alembic is only needed where the ledger migrates

    owner_url, app_url = owner_database_url(settings), database_url(settings)
    upgrade(owner_url)
    with psycopg.connect(app_url) as app:
        row = app.execute(
            "SELECT current_user::text, rolsuper FROM pg_roles WHERE rolname = current_user"
        ).fetchone()
    assert row is not None
    app_user, superuser = row
    with psycopg.connect(owner_url) as owner:
        owner_user = owner.execute("SELECT current_user::text").fetchone()[0]  # type: ignore[index]
        if app_user != owner_user:
            try:
                grant_app_role(owner, app_user)
            except psycopg.errors.InsufficientPrivilege:
                raise PermissionError(
                    f"the ledger's owner {owner_user!r} may not make {app_user!r} a member of"
                    f" {APP_ROLE}: have a superuser run GRANT {APP_ROLE} TO {app_user}"
                ) from None
    if app_user == owner_user:
        return [
            f"the application connects as the ledger's owner {app_user!r}: set"
            " LEDGERBRIDGE_OWNER_DATABASE_URL to the owner's login and DATABASE_URL to a login"
            f" the owner makes a member of {APP_ROLE} (read and append only)"
        ]
    if superuser:
        return [f"the application's login {app_user!r} is a superuser: nothing restrains it"]
    return []


def with_user(url: str, user: str) -> str:
    """The same connection string, logging in as `user` (no password: trust or peer auth)."""
    info = psycopg.conninfo.conninfo_to_dict(url)
    info["user"] = user
    info.pop("password", None)
    return psycopg.conninfo.make_conninfo(**{k: str(v) for k, v in info.items() if v is not None})


def redact(url: str) -> str:
    """A database URL fit for a log line: the password replaced by ***."""
    try:
        info = psycopg.conninfo.conninfo_to_dict(url)
    except psycopg.ProgrammingError:
        return redact_text(url)
    if "password" in info:
        info["password"] = "***"
    return psycopg.conninfo.make_conninfo(**{k: str(v) for k, v in info.items() if v is not None})
