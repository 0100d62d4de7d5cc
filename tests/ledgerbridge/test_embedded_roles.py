"""With no DATABASE_URL, the shell connects to its embedded server as a read-and-append login."""

from __future__ import annotations

import os
from pathlib import Path

import psycopg
import pytest

from ledger.roles import APP_ROLE
from ledgerbridge.database import EMBEDDED_APP_LOGIN, embedded_app_url, with_user


@pytest.mark.skipif(
    bool(os.environ.get("DATABASE_URL")), reason="exercises the embedded server (as CI runs)"
)
def test_the_embedded_server_gives_the_application_its_own_login(ledger_url: str) -> None:
    home = Path(os.environ.get("LEDGERBRIDGE_HOME", ".ledgerbridge"))

    url = embedded_app_url(home)
    with psycopg.connect(url) as conn:
        role = conn.execute(
            "SELECT current_user::text, rolsuper, pg_has_role(current_user, %s, 'MEMBER')"
            " FROM pg_roles WHERE rolname = current_user",
            (APP_ROLE,),
        ).fetchone()
    with (
        psycopg.connect(with_user(ledger_url, EMBEDDED_APP_LOGIN)) as app,
        pytest.raises(psycopg.errors.InsufficientPrivilege),
    ):
        app.execute("ALTER TABLE ledger.record_version DISABLE TRIGGER ALL")

    assert role == (EMBEDDED_APP_LOGIN, False, True)
