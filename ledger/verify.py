"""Verifying the ledger: every chain recomputed, every seal checked, every mismatch named.

A row does not match when its payload no longer gives its content hash, when its chain hash
is not the hash of the previous row's and its own content, when its position does not follow
the previous one (rows removed), or when it differs from a head that a seal signed. Run it in
one snapshot (REPEATABLE READ) so that appends meanwhile do not count.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import orjson
import psycopg
from psycopg import sql
from psycopg.types.json import set_json_loads

from ledger.chain import (
    GENESIS,
    row_chain_hash,
    stored_content_hash,
    stored_version_chain_hash,
)
from ledger.seals import (
    CHAINED_TABLES,
    ChainedTable,
    Seal,
    chain_heads,
    chained_tables,
    stored_seals,
)
from ledger.sql import query

PROBLEMS_PER_STREAM = 20
"""Past this many mismatches in one stream, the rest of it is not reported."""


@dataclass(frozen=True, slots=True)
class Mismatch:
    """One thing in the ledger that is not as it was appended."""

    table: str
    row: str
    """Which row: "kashflow customer 'A1' version 2", "dead_letter_id 7", or '' for a table."""
    position: int | None
    reason: str

    def __str__(self) -> str:
        where = f"ledger.{self.table}" + (f" {self.row}" if self.row else "")
        if self.position is not None:
            where += f" (chain position {self.position})"
        return f"{where}: {self.reason}"


@dataclass
class Verification:
    streams: int = 0
    """Chains walked: one per (system, entity) of record versions, one per other chained
    table, each that has rows or stands in a seal that counts."""
    rows: int = 0
    """Rows walked and compared with their chain: with a seal to start from, those after its
    head."""
    seals_checked: int = 0
    """Seals whose signature matched the key (a bad one is a mismatch, not counted here)."""
    seals_unchecked: int = 0
    """Seals whose signature could not be checked, for want of the key."""
    mismatches: list[Mismatch] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.mismatches


SealedHeads = dict[int, tuple[str, str]]
"""Chain position -> (hash, what recorded it) of every head recorded in one stream: by the
checked seals, and for record versions by each append (`ledger.version_chain_head`)."""

APPEND_HEAD = "its append's head record"


class _ChainWalk:
    """Follows one stream in chain order, comparing each row with what its chain says."""

    def __init__(
        self,
        table: str,
        start: tuple[int, str],
        sealed: SealedHeads,
        result: Verification,
    ) -> None:
        self.table, self.sealed, self.result = table, sealed, result
        self.position, self.previous = start
        self.problems = 0
        self.start_found = start[0] == 0
        """With a seal to start from, its head row must come first and carry its hash."""

    def report(self, row: str, position: int | None, reason: str) -> None:
        self.problems += 1
        if self.problems <= PROBLEMS_PER_STREAM:
            self.result.mismatches.append(Mismatch(self.table, row, position, reason))

    def step(
        self,
        row: str,
        position: int | None,
        stored_hash: str | None,
        expected_hash: str,
        content_problem: str | None = None,
    ) -> None:
        """One row: `expected_hash` is what its chain hash should be after `self.previous`."""
        if not self.start_found and position == self.position:
            self.start_found = True
            if stored_hash != self.previous:
                self.report(row, position, "differs from the seal given: history was rewritten")
            return
        self.result.rows += 1
        if position is None or stored_hash is None:
            self.report(row, position, "is not chained: appended while the chain was switched off")
            return
        if position != self.position + 1:
            missing = (
                f"position {self.position + 1}"
                if position == self.position + 2
                else f"positions {self.position + 1} to {position - 1}"
            )
            self.report(row, position, f"{missing} of this chain are missing: removed")
        elif content_problem is not None:
            self.report(row, position, content_problem)
        elif stored_hash != expected_hash:
            self.report(row, position, "does not match its chain hash: the row was changed")
        recorded = self.sealed.get(position)
        if recorded is not None and recorded[0] != stored_hash:
            self.report(row, position, f"differs from {recorded[1]}: history was rewritten")
        self.position, self.previous = position, stored_hash

    def finish(self) -> None:
        if not self.start_found:
            self.report(
                "", self.position, "the head the seal given signed is missing: rows removed"
            )
        for position, (_, recorded_by) in sorted(self.sealed.items()):
            if position > self.position:
                self.report("", position, f"is named by {recorded_by} but missing: rows removed")
                return


def verify_ledger(
    conn: psycopg.Connection[Any], key: bytes | None, since: Seal | None = None
) -> Verification:
    """Recomputes every chain (from `since`'s heads onwards when given) and checks every seal
    (from `since` on). Without a key, seals' signatures are not checked (and counted so)."""
    if since is not None and key is None:
        raise ValueError("a seal can only be trusted with its key: no seal key given")
    result = Verification()
    with conn.transaction():
        gone = [
            Mismatch(name, "", None, "the table is gone: nothing in it can be verified")
            for name in ("record_version", "version_chain_head", "seal")
            if conn.execute("SELECT to_regclass(%s)", (f"ledger.{name}",)).fetchone() == (None,)
        ]
        if gone:
            result.mismatches.extend(gone)
            return result
        tables = chained_tables(conn)
        _check_guards(conn, tables, result)
        sealed = _sealed_heads(_checked_seals(conn, key, since, result))
        start = since.heads if since is not None else {}
        streams = set(chain_heads(conn)) | set(sealed) | set(start)
        present = {table.name: table for table in tables}
        for stream in sorted(streams):
            walk_start = start.get(stream, (0, GENESIS))
            table_name = stream.split("/")[0]
            recorded = sealed.get(stream, {})
            if table_name == "record_version":
                _, system, entity = stream.split("/")
                recorded = {**_append_heads(conn, system, entity), **recorded}
            walk = _ChainWalk(table_name, walk_start, recorded, result)
            result.streams += 1
            if table_name == "record_version":
                _walk_versions(conn, walk, system, entity, start_known=stream in start)
            elif table_name in present:
                _walk_table(conn, walk, present[table_name])
            else:
                if table_name not in CHAINED_TABLES:  # those are reported once, above
                    walk.report("", None, "the table is gone, or no longer chained")
                continue
            walk.finish()
    return result


def _check_guards(
    conn: psycopg.Connection[Any], tables: list[ChainedTable], result: Verification
) -> None:
    names = {table.name for table in tables}
    for expected in CHAINED_TABLES:
        if expected not in names:
            result.mismatches.append(
                Mismatch(expected, "", None, "the table is gone, or no longer chained")
            )
    for table in tables:
        if not table.chained:
            result.mismatches.append(
                Mismatch(table.name, "", None, "its chain trigger is missing or disabled")
            )
    every_table = ["record_version", "version_chain_head", *sorted(names | set(CHAINED_TABLES))]
    for table_name, guard in conn.execute(query("disabled_guards"), {"tables": every_table}):
        result.mismatches.append(
            Mismatch(table_name, "", None, f"trigger {guard} is missing or disabled")
        )


def _checked_seals(
    conn: psycopg.Connection[Any], key: bytes | None, since: Seal | None, result: Verification
) -> list[Seal]:
    """The seals whose heads count: from `since` on, each with a good signature (or any,
    without a key); a bad one is a mismatch."""
    if since is not None and key is not None:
        label = f"seal {since.seal_id}"
        if not since.signature_matches(key):
            result.mismatches.append(
                Mismatch("seal", label, None, "the seal given is not signed with this key")
            )
            return []
        result.seals_checked += 1
    seals = stored_seals(conn, since.seal_id if since is not None else None)
    if since is not None and since.seal_id is not None:
        stored = next((seal for seal in seals if seal.seal_id == since.seal_id), None)
        if stored != since:
            result.mismatches.append(
                Mismatch("seal", label, None, "the ledger's copy differs from the one given")
            )
        seals = [seal for seal in seals if seal.seal_id != since.seal_id]
    trusted = []
    for seal in seals:
        if key is None:
            result.seals_unchecked += 1
        elif not seal.signature_matches(key):
            result.mismatches.append(
                Mismatch("seal", f"seal {seal.seal_id}", None, "its signature does not match")
            )
            continue
        else:
            result.seals_checked += 1
        trusted.append(seal)
    return trusted


def _sealed_heads(seals: list[Seal]) -> dict[str, SealedHeads]:
    sealed: dict[str, SealedHeads] = {}
    for seal in seals:
        for stream, (position, chain_hash) in seal.heads.items():
            sealed.setdefault(stream, {})[position] = (chain_hash, f"seal {seal.seal_id}")
    return sealed


def _append_heads(conn: psycopg.Connection[Any], system: str, entity: str) -> SealedHeads:
    rows = conn.execute(
        "SELECT head_seq, head_hash FROM ledger.version_chain_head"
        " WHERE system = %s::ledger.system AND entity = %s::ledger.entity",
        (system, entity),
    )
    return {position: (head_hash, APPEND_HEAD) for position, head_hash in rows}


def _walk_versions(
    conn: psycopg.Connection[Any],
    walk: _ChainWalk,
    system: str,
    entity: str,
    start_known: bool,
) -> None:
    newest: dict[str, int] = {}
    with conn.cursor(name=f"verify_{system}_{entity}") as cur:
        set_json_loads(orjson.loads, cur)
        cur.itersize = 5000
        cur.execute(
            query("stream_versions"),
            {"system": system, "entity": entity, "from": walk.position},
        )
        for (key, version, operation, payload, raw, content_hash, updated, observed, run_id,
             position, chain_hash) in cur:  # fmt: skip
            problems = []
            if content_hash != stored_content_hash(operation, payload):
                problems.append("its payload does not match its content hash: changed")
            previous_version = newest.get(key, None if start_known else 0)
            if previous_version is not None and version != previous_version + 1:
                problems.append(
                    f"{_missing_versions(previous_version + 1, version - 1)}: removed"
                    if version > previous_version + 1
                    else f"it comes after version {previous_version} of its record: out of order"
                )
            newest[key] = version
            expected = stored_version_chain_hash(
                walk.previous, position or 0, system, entity, key, version, operation,
                content_hash, raw, updated, observed, run_id,
            )  # fmt: skip
            walk.step(f"{system} {entity} {key!r} version {version}", position, chain_hash,
                      expected, "; ".join(problems) or None)  # fmt: skip


def _missing_versions(first: int, last: int) -> str:
    if first == last:
        return f"version {first} of its record is missing"
    return f"versions {first} to {last} of its record are missing"


def _walk_table(conn: psycopg.Connection[Any], walk: _ChainWalk, table: ChainedTable) -> None:
    identity = (
        sql.SQL("{}::text").format(sql.Identifier(table.identity))
        if table.identity
        else sql.SQL("ctid::text")
    )
    statement = sql.SQL(
        "SELECT {identity}, chain_seq, chain_hash, ledger.chain_content(t) FROM ledger.{table} AS t"
        " WHERE chain_seq >= %s OR chain_seq IS NULL ORDER BY chain_seq NULLS FIRST"
    ).format(identity=identity, table=sql.Identifier(table.name))
    label = table.identity or "row"
    with conn.cursor(name=f"verify_{table.name}") as cur:
        cur.itersize = 5000
        cur.execute(statement, (walk.position,))
        for row_id, position, chain_hash, content in cur:
            expected = row_chain_hash(walk.previous, content)
            walk.step(f"{label} {row_id}", position, chain_hash, expected)
