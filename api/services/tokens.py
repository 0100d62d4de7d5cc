"""API tokens: made once (the secret is shown once and only its SHA-256 is stored), listed,
revoked; append-only (`ledger.api_token`: a row when made, a row when revoked). A token has
a scope: read reads; review also decides (confirm, accept, approve, dismiss); admin also
schedules, runs and retries."""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import datetime
from typing import Any, Literal

import psycopg
from pydantic import BaseModel

from api.services.errors import Conflict, InvalidRequest, NotFound

Scope = Literal["read", "review", "admin"]
SCOPES: tuple[Scope, ...] = ("read", "review", "admin")
PREFIX = "lbt_"
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$")
CHANNEL = "ledgerbridge_api_token"
"""Told (NOTIFY, on commit) whenever a token is made or revoked: the API forgets the tokens
it has checked, so a revocation bites on its next request."""


class Principal(BaseModel):
    """Who is calling: the token's name (recorded as the actor of decisions) and scope."""

    name: str
    scope: Scope

    def may(self, needed: Scope) -> bool:
        return SCOPES.index(self.scope) >= SCOPES.index(needed)


class TokenOut(BaseModel):
    name: str
    scope: Scope
    created_at: datetime
    made_by: str
    revoked_at: datetime | None = None


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _active(conn: psycopg.Connection[Any], name: str) -> bool:
    row = conn.execute(
        "SELECT action FROM ledger.api_token WHERE name = %s ORDER BY token_row_id DESC LIMIT 1",
        (name,),
    ).fetchone()
    return row is not None and row[0] == "create"


def create_token(
    conn: psycopg.Connection[Any], name: str, scope: str, made_by: str | None = None
) -> tuple[str, TokenOut]:
    """Makes a token; returns its secret (to show once) and what is stored of it."""
    if not NAME.match(name):
        raise InvalidRequest(
            "name must be 1-64 letters, digits, '_', '.', '@' or '-', starting with a letter"
            " or digit",
            field="name",
        )
    if scope not in SCOPES:
        raise InvalidRequest(f"scope must be one of {', '.join(SCOPES)}", field="scope")
    secret = PREFIX + secrets.token_urlsafe(32)
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(hashtext('ledger.api_token'))")
        if _active(conn, name):
            raise Conflict(f"a token named {name!r} exists; revoke it first", field="name")
        row = conn.execute(
            "INSERT INTO ledger.api_token (name, action, scope, token_hash, made_by)"
            " VALUES (%s, 'create', %s, %s, coalesce(%s, current_user))"
            " RETURNING created_at, made_by",
            (name, scope, token_hash(secret), made_by),
        ).fetchone()
        conn.execute(f"NOTIFY {CHANNEL}")
    assert row is not None
    return secret, TokenOut(name=name, scope=scope, created_at=row[0], made_by=row[1])


def revoke_token(conn: psycopg.Connection[Any], name: str, made_by: str | None = None) -> None:
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(hashtext('ledger.api_token'))")
        if not _active(conn, name):
            raise NotFound(f"no token named {name!r} is in force", field="name")
        conn.execute(
            "INSERT INTO ledger.api_token (name, action, made_by)"
            " VALUES (%s, 'revoke', coalesce(%s, current_user))",
            (name, made_by),
        )
        conn.execute(f"NOTIFY {CHANNEL}")


def list_tokens(conn: psycopg.Connection[Any], include_revoked: bool = False) -> list[TokenOut]:
    """Tokens by name: each name's newest token, with when it was revoked (if it was)."""
    rows = conn.execute(
        "SELECT c.name, c.scope, c.created_at, c.made_by, r.created_at"
        " FROM ledger.api_token AS c"
        " LEFT JOIN LATERAL (SELECT created_at FROM ledger.api_token AS x"
        "   WHERE x.name = c.name AND x.action = 'revoke' AND x.token_row_id > c.token_row_id"
        "   ORDER BY x.token_row_id LIMIT 1) AS r ON true"
        " WHERE c.action = 'create' ORDER BY c.name, c.token_row_id"
    ).fetchall()
    tokens = [
        TokenOut(name=n, scope=s, created_at=c, made_by=m, revoked_at=r) for n, s, c, m, r in rows
    ]
    return [t for t in tokens if include_revoked or t.revoked_at is None]


def authenticate(conn: psycopg.Connection[Any], token: str) -> Principal | None:
    """The principal a bearer token stands for, or None (unknown, malformed or revoked)."""
    if not token.startswith(PREFIX) or len(token) > 200:
        return None
    row = conn.execute(
        "SELECT c.name, c.scope FROM ledger.api_token AS c WHERE c.token_hash = %s"
        " AND NOT EXISTS (SELECT FROM ledger.api_token AS r WHERE r.name = c.name"
        " AND r.action = 'revoke' AND r.token_row_id > c.token_row_id)",
        (token_hash(token),),
    ).fetchone()
    return None if row is None else Principal(name=row[0], scope=row[1])
