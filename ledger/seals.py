"""Seals: the chain heads of every ledger stream at one instant, signed with HMAC-SHA256.

The key is kept outside the database, and a seal can be written to a file kept elsewhere, so
that `verify` can prove nothing up to a seal was rewritten, even by a superuser who could
recompute every chain hash: rewriting history changes the heads a seal signed.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
import psycopg
from psycopg import sql
from psycopg.types.json import Jsonb

from ledger.chain import micros
from ledger.sql import query

CHAINED_TABLES = (
    "sync_run", "sync_run_end", "link", "write_intent", "write_outcome", "dead_letter",
    "decision", "match_result", "checkpoint", "seal",
)  # fmt: skip
"""The one-stream tables chained by migration 0002 (later tables are found in the catalog)."""

Heads = dict[str, tuple[int, str]]
"""Stream name -> (chain position, chain hash) of its newest row."""


def version_stream(system: str, entity: str) -> str:
    """The stream name of one (system, entity) of record versions."""
    return f"record_version/{system}/{entity}"


@dataclass(frozen=True, slots=True)
class ChainedTable:
    """A one-stream ledger table: its name, the column that identifies a row, and whether
    its chaining trigger is in place and enabled."""

    name: str
    identity: str | None
    chained: bool


def chained_tables(conn: psycopg.Connection[Any]) -> list[ChainedTable]:
    """Every ledger table (other than record_version) with chain columns, from the catalog."""
    rows = conn.execute(query("chained_tables")).fetchall()
    return [ChainedTable(name, identity, chained) for name, identity, chained in rows]


def chain_heads(conn: psycopg.Connection[Any]) -> Heads:
    """The head of every stream that has rows: record versions, then one-stream tables."""
    heads: Heads = {
        version_stream(system, entity): (position, chain_hash)
        for system, entity, position, chain_hash in conn.execute(query("version_chain_heads"))
    }
    for table in chained_tables(conn):
        row = conn.execute(
            sql.SQL(
                "SELECT chain_seq, chain_hash FROM ledger.{} WHERE chain_seq IS NOT NULL"
                " ORDER BY chain_seq DESC LIMIT 1"
            ).format(sql.Identifier(table.name))
        ).fetchone()
        if row is not None:
            heads[table.name] = (row[0], row[1])
    return heads


@dataclass(frozen=True, slots=True)
class Seal:
    """Signed chain heads. `seal_id` is the ledger's number for it (None before it is stored)."""

    seal_id: int | None
    sealed_at: datetime
    heads: Heads
    signature: str

    @staticmethod
    def signed_bytes(sealed_at: datetime, heads: Heads) -> bytes:
        """What the signature covers: the instant (microseconds, UTC) and the heads."""
        return orjson.dumps(
            {"heads": {name: list(head) for name, head in heads.items()},
             "sealed_at": micros(sealed_at)},
            option=orjson.OPT_SORT_KEYS,
        )  # fmt: skip

    @classmethod
    def sign(cls, key: bytes, sealed_at: datetime, heads: Heads) -> Seal:
        digest = hmac.new(key, cls.signed_bytes(sealed_at, heads), hashlib.sha256).hexdigest()
        return cls(None, sealed_at, heads, digest)

    def signature_matches(self, key: bytes) -> bool:
        expected = hmac.new(key, self.signed_bytes(self.sealed_at, self.heads), hashlib.sha256)
        return hmac.compare_digest(expected.hexdigest(), self.signature)

    def to_json(self) -> str:
        """The seal as a file to keep elsewhere: what `verify --since FILE` reads back."""
        document = {
            "seal_id": self.seal_id,
            "sealed_at": self.sealed_at.isoformat(),
            "heads": {name: list(head) for name, head in sorted(self.heads.items())},
            "signature": self.signature,
        }
        return orjson.dumps(document, option=orjson.OPT_INDENT_2).decode() + "\n"

    @classmethod
    def from_json(cls, text: str | bytes) -> Seal:
        """A seal read from its file; `ValueError` naming the field when it is not one."""
        try:
            document = orjson.loads(text)
            seal_id = document["seal_id"]
            return cls(
                None if seal_id is None else int(seal_id),
                datetime.fromisoformat(document["sealed_at"]),
                {
                    str(name): (int(head[0]), str(head[1]))
                    for name, head in document["heads"].items()
                },
                str(document["signature"]),
            )
        except orjson.JSONDecodeError as error:
            raise ValueError(f"not a seal file: not JSON ({error})") from None
        except KeyError as error:
            raise ValueError(f"not a seal file: field {error} is missing") from None
        except (TypeError, ValueError, IndexError, AttributeError) as error:
            raise ValueError(f"not a seal file: {error}") from None


def seal_ledger(conn: psycopg.Connection[Any], key: bytes) -> Seal:
    """Reads every stream's head, signs them and appends the seal to `ledger.seal`."""
    with conn.transaction():
        sealed_at = conn.execute("SELECT clock_timestamp()").fetchone()[0]  # type: ignore[index]
        signed = Seal.sign(key, sealed_at, chain_heads(conn))
        row = conn.execute(
            "INSERT INTO ledger.seal (sealed_at, heads, signature) VALUES (%s, %s, %s)"
            " RETURNING seal_id",
            (sealed_at, Jsonb({name: list(head) for name, head in signed.heads.items()}),
             signed.signature),
        ).fetchone()  # fmt: skip
    assert row is not None
    return Seal(row[0], signed.sealed_at, signed.heads, signed.signature)


def stored_seals(conn: psycopg.Connection[Any], since_id: int | None = None) -> list[Seal]:
    """The seals in the ledger, oldest first (from `since_id` on)."""
    rows = conn.execute(
        "SELECT seal_id, sealed_at, heads, signature FROM ledger.seal"
        " WHERE seal_id >= coalesce(%s, 0) ORDER BY seal_id",
        (since_id,),
    ).fetchall()
    return [
        Seal(
            seal_id,
            sealed_at,
            {str(name): (int(head[0]), str(head[1])) for name, head in heads.items()},
            signature,
        )
        for seal_id, sealed_at, heads, signature in rows
    ]
