"""Which Business Object Interface session Ledgerbridge writes to Sage 100 through: the
shell plugs a backend into the connector's session, as `Sage100Settings.boi_backend`
says — COM on a Windows host with Sage 100, or the sandbox emulator.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path

from connectors.sage100.boi import BOISession, ComBOISession, ScriptSession
from connectors.sage100.settings import Sage100Settings
from sandbox.sage100.backend import CONNECTION_ERRORS, company_path, open_script


class SandboxBOISession(ScriptSession):
    """The connector's BOI session over the emulator on a sandbox company file;
    `script` is the emulator itself (tests use it to drop the connection)."""

    def __init__(
        self,
        company_db_path: str | Path,
        *,
        user: str = "ledgerbridge",
        password: str = "",
        company: str = "ABC",
        today: date | None = None,
        clock: Callable[[], datetime] = datetime.now,
    ) -> None:
        self.script = open_script(company_db_path, clock=clock)
        super().__init__(
            self.script,
            user,
            password,
            company,
            today or clock().date(),
            connection_errors=CONNECTION_ERRORS,
        )

    def close(self) -> None:
        super().close()
        self.script.close()


def session_from_settings(settings: Sage100Settings) -> BOISession:
    """The backend `settings.boi_backend` names: "com", or "sandbox" on the company file
    the ODBC connection string names."""
    if settings.boi_backend == "com":
        return ComBOISession(
            settings.home_path,
            settings.username,
            settings.password.get_secret_value(),
            settings.company_code,
        )
    return SandboxBOISession(
        company_path(settings.odbc_connection_string.get_secret_value()),
        user=settings.username,
        company=settings.company_code,
    )
