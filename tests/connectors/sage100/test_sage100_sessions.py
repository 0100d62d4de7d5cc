"""The connector is given its BOI session: COM runs only on a Windows host with Sage 100;
any other ProvideX.Script object (the shell plugs in the emulator) gets the same
SY_Session handshake."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

import pytest

from canonical import Customer
from connectors.sage100 import ComBOISession, Sage100Reader, Sage100Writer, ScriptSession
from connectors.sage100.errors import SageConnectionLost
from sandbox.sage100.backend import CONNECTION_ERRORS, open_script


@pytest.mark.skipif(sys.platform == "win32", reason="on Windows COM may really be there")
def test_the_com_backend_needs_windows() -> None:
    with pytest.raises(RuntimeError, match="only on Windows"):
        ComBOISession(r"C:\Sage\Sage 100\MAS90\Home", "user", "secret", "ABC")


def test_a_session_over_a_given_script_writes_through_it(company_db: Path) -> None:
    script = open_script(company_db)
    session = ScriptSession(
        script, "clerk", "", "ABC", date(2026, 11, 2), connection_errors=CONNECTION_ERRORS
    )
    with Sage100Reader(f"DRIVER=SQLite3;Database={company_db}") as reader:
        writer = Sage100Writer(session, reader.lookups())
        key = writer.write(Customer.build(system="sage100", key="01-GIVEN", name="Given"))
        assert key in reader.key_set("customer")
    session.close()
    script.close()


def test_a_refused_logon_is_a_lost_connection_naming_the_call(company_db: Path) -> None:
    script = open_script(company_db)
    with pytest.raises(SageConnectionLost, match=r"SY_Session\.nSetUser failed"):
        ScriptSession(script, " ", "", "ABC", date(2026, 11, 2))
    script.close()
