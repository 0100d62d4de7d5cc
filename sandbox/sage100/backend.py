"""The BOI emulator as a Sage 100 backend: what stands in for
`CreateObject("ProvideX.Script")` on a sandbox company file, what its calls raise when
the (emulated) host is gone, and which company file a sandbox connection string names.
The shell plugs it into the connector's session (`ledgerbridge.sage100_session`).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from sandbox.sage100.boi import BOIConnectionLost, ProvideXScript

CONNECTION_ERRORS: tuple[type[BaseException], ...] = (BOIConnectionLost,)
"""What an emulator call raises once the Sage host is gone (`drop_connection`)."""


def open_script(
    company_db_path: str | Path, *, clock: Callable[[], datetime] = datetime.now
) -> ProvideXScript:
    """The emulator's ProvideX.Script on the company at `company_db_path`, initialised."""
    script = ProvideXScript(company_db_path, clock=clock)
    script.Init("sandbox")
    return script


def company_path(odbc_connection_string: str) -> str:
    """The sandbox company file an ODBC connection string names (`Database=PATH`)."""
    parts = dict(
        part.split("=", 1)
        for part in odbc_connection_string.split(";")
        if "=" in part and part.strip()
    )
    database = next((v for k, v in parts.items() if k.strip().lower() == "database"), None)
    if database is None:
        raise ValueError("the sandbox BOI backend needs Database=PATH in the connection string")
    return database
