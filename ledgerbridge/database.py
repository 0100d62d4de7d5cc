"""Where the ledger lives: `DATABASE_URL` when given, else a private PostgreSQL that
Ledgerbridge starts itself under `<home>/pg` with pgserver.
"""

from __future__ import annotations

import logging
import warnings
from pathlib import Path
from typing import Any

import psycopg

from ledgerbridge.config import Settings
from ledgerbridge.redaction import redact_text

log = logging.getLogger(__name__)

_EMBEDDED: dict[Path, Any] = {}


def embedded_server_url(home: Path) -> str:
    """Starts (or reuses) the embedded PostgreSQL under `home/pg`; returns its URL."""
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


def database_url(settings: Settings) -> str:
    if settings.database_url is not None:
        return settings.database_url.get_secret_value()
    return embedded_server_url(settings.home)


def redact(url: str) -> str:
    """A database URL fit for a log line: the password replaced by ***."""
    try:
        info = psycopg.conninfo.conninfo_to_dict(url)
    except psycopg.ProgrammingError:
        return redact_text(url)
    if "password" in info:
        info["password"] = "***"
    return psycopg.conninfo.make_conninfo(**{k: str(v) for k, v in info.items() if v is not None})
