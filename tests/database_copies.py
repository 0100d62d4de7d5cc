"""Databases for fixtures: a migrated template seeded once per session, and a fresh copy
of a template per test (or module), each dropped when its fixture ends."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import psycopg

from ledgerbridge.testdb import create_database, create_migrated_database, drop_database, fresh_name


@contextmanager
def seeded_template(
    pg_server: str, prefix: str, seed: Callable[[psycopg.Connection[Any]], None] | None = None
) -> Iterator[str]:
    """A migrated database, seeded (and committed) by `seed`; yields its name."""
    name, url = create_migrated_database(pg_server, prefix)
    try:
        if seed is not None:
            with psycopg.connect(url) as conn:
                seed(conn)
                conn.commit()
        yield name
    finally:
        drop_database(pg_server, name)


@contextmanager
def database_copy(pg_server: str, template: str, prefix: str) -> Iterator[str]:
    """A fresh copy of the database `template`; yields its URL."""
    name = fresh_name(prefix)
    url = create_database(pg_server, name, template=template)
    try:
        yield url
    finally:
        drop_database(pg_server, name)
