"""The shell opens the BOI session configuration names: the sandbox emulator on the
company file of the ODBC connection string, or COM."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from pydantic import SecretStr

from canonical import Customer
from connectors.sage100 import Sage100Reader, Sage100Settings, Sage100Writer
from ledgerbridge.sage100_session import SandboxBOISession, session_from_settings


def test_the_sandbox_backend_writes_to_the_configured_company(company_db: Path) -> None:
    settings = Sage100Settings(
        odbc_connection_string=SecretStr(f"DRIVER=SQLite3;Database={company_db}")
    )
    session = session_from_settings(settings)
    assert isinstance(session, SandboxBOISession)
    with Sage100Reader.from_settings(settings) as reader:
        writer = Sage100Writer(session, reader.lookups())
        key = writer.write(Customer.build(system="sage100", key="01-CONFIG", name="Configured"))
        assert key in reader.key_set("customer")
    session.close()


def test_the_sandbox_backend_needs_a_company_file() -> None:
    settings = Sage100Settings(odbc_connection_string=SecretStr("DSN=SOTAMAS90;Company=ABC"))

    with pytest.raises(ValueError, match="needs Database=PATH"):
        session_from_settings(settings)


@pytest.mark.skipif(sys.platform == "win32", reason="on Windows COM may really be there")
def test_the_com_backend_is_chosen_by_configuration() -> None:
    with pytest.raises(RuntimeError, match="only on Windows"):
        session_from_settings(Sage100Settings(boi_backend="com"))
