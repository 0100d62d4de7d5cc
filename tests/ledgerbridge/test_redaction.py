"""Passwords never reach a message: in URLs of any scheme, libpq and ODBC key=value
strings, query strings, and any configured secret wherever it appears."""

from __future__ import annotations

import pytest

from ledgerbridge.database import redact
from ledgerbridge.redaction import redact_text

CASES = {
    "mysql URL": ("mysql://root:PASSWORD@db:3306/x", "mysql://root:***@db:3306/x"),
    "password holding @": (
        "postgresql://lb:p@ss@db.example/ledger",
        "postgresql://lb:***@db.example/ledger",
    ),
    "password only": ("redis://:hunter2x@cache:6379/0", "redis://:***@cache:6379/0"),
    "URL inside a message": (
        'connection to "amqp://app:s3cret@mq/vhost" failed',
        'connection to "amqp://app:***@mq/vhost" failed',
    ),
    "query string": (
        "postgresql://db/ledger?user=lb&password=s3cret&sslmode=require",
        "postgresql://db/ledger?user=lb&password=***&sslmode=require",
    ),
    "libpq key=value": (
        "host=db user=lb password='a b\\'c' dbname=ledger",
        "host=db user=lb password=*** dbname=ledger",
    ),
    "ODBC PWD": (
        "DSN=SOTAMAS90;UID=me;PWD=hunter2;Company=ABC",
        "DSN=SOTAMAS90;UID=me;PWD=***;Company=ABC",
    ),
    "ODBC braced PWD": ("DSN=x;Pwd={a;b};X=1", "DSN=x;Pwd=***;X=1"),
    "no password": (
        "http://user@host/x and sqlite:///x.db",
        "http://user@host/x and sqlite:///x.db",
    ),
}


@pytest.mark.parametrize(("text", "shown"), CASES.values(), ids=CASES.keys())
def test_passwords_are_masked(text: str, shown: str) -> None:
    assert redact_text(text) == shown


def test_a_known_secret_is_masked_wherever_it_stands() -> None:
    assert redact_text("login refused for word swordfish-7", ["swordfish-7", "ab"]) == (
        "login refused for word ***"
    )


def test_a_url_psycopg_cannot_read_is_still_redacted() -> None:
    assert redact("mysql://root:PASSWORD@db/x") == "mysql://root:***@db/x"
    assert "s3cret" not in redact("postgresql://lb:s3cret@db:5432/ledger")
