"""The BOI backend is chosen by configuration: the sandbox emulator on the company file
the connection string names, or COM, which only a Windows host with Sage 100 can run."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from pydantic import SecretStr

from canonical import Customer
from connectors.sage100 import (
    ComBOISession,
    Sage100Reader,
    Sage100Writer,
    session_from_settings,
)
from ledgerbridge.config import Sage100Settings


def test_the_sandbox_backend_writes_to_the_configured_company(company_db: Path) -> None:
    settings = Sage100Settings(
        odbc_connection_string=SecretStr(f"DRIVER=SQLite3;Database={company_db}")
    )
    session = session_from_settings(settings)
    with Sage100Reader.from_settings(settings) as reader:
        writer = Sage100Writer(session, reader.lookups())
        key = writer.write(Customer.build(system="sage100", key="01-CONFIG", name="Configured"))
        assert key in reader.key_set("customer")
    session.close()


@pytest.mark.skipif(sys.platform == "win32", reason="on Windows COM may really be there")
def test_the_com_backend_needs_windows() -> None:
    with pytest.raises(RuntimeError, match="only on Windows"):
        ComBOISession(r"C:\Sage\Sage 100\MAS90\Home", "user", "secret", "ABC")
