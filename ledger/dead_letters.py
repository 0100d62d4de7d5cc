"""Dead letters: what could not be mapped or stored, with system, entity, key, field and
message, so one bad record never stops a stream and nothing is silently dropped.

`append_versions_or_dead_letter` appends a batch of versions; versions PostgreSQL would
refuse (a NUL character, which text and jsonb cannot hold) are set aside before the COPY,
and should the server still refuse the batch, it is split until the refused versions are
found; those become dead letters and the rest is stored.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

from canonical import LedgerbridgeError, canonical_json
from ledger.append import AppendResult, NewVersion, append_versions

NUL = "\x00"
NUL_MESSAGE = "holds a NUL character (\\u0000), which PostgreSQL cannot store"


@dataclass(frozen=True, slots=True)
class DeadLetter:
    system: str | None
    entity: str | None
    key: str | None
    field: str | None
    message: str
    error_type: str
    payload: Mapping[str, Any] | None = None
    stage: str = "cdc"

    @classmethod
    def of_error(
        cls, error: LedgerbridgeError, payload: Mapping[str, Any] | None = None, stage: str = "cdc"
    ) -> DeadLetter:
        return cls(
            error.system, error.entity, error.key, error.field, error.message,
            type(error).__name__, payload, stage,
        )  # fmt: skip


@dataclass(frozen=True, slots=True)
class StoredDeadLetter:
    dead_letter_id: int
    stage: str
    system: str | None
    entity: str | None
    native_key: str | None
    error_type: str
    field: str | None
    message: str
    payload: Any
    run_id: int | None


def append_dead_letters(
    conn: psycopg.Connection[Any], letters: Iterable[DeadLetter], run_id: int | None
) -> int:
    rows = [(*_stored(letter), run_id) for letter in letters]
    if not rows:
        return 0
    with conn.transaction(), conn.cursor() as cur:
        cur.executemany(
            "INSERT INTO ledger.dead_letter (stage, system, entity, native_key, error_type,"
            " field, message, payload, run_id) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
            rows,
        )
    return len(rows)


def _stored(letter: DeadLetter) -> tuple[Any, ...]:
    """What a dead letter's row holds, as stored (stage, system, entity, native_key,
    error_type, field, message, payload)."""
    return (
        letter.stage,
        _keepable(letter.system),
        _keepable(letter.entity),
        _keepable(letter.key),
        letter.error_type,
        _keepable(letter.field),
        _keepable(letter.message) or "",
        None if letter.payload is None else Jsonb(_keepable(letter.payload), canonical_json),
    )


def not_yet_stored(
    conn: psycopg.Connection[Any], letters: Iterable[DeadLetter]
) -> list[DeadLetter]:
    """`letters` but those stored already, alike in all they say (stage, system, entity,
    key, field, message, payload): a record refused the same way at every poll, which no
    digest or checkpoint can mark as seen (a list summary without its key), is told
    once, not once a poll."""
    fresh = []
    for letter in letters:
        stored = conn.execute(
            "SELECT 1 FROM ledger.dead_letter WHERE stage = %s"
            " AND system IS NOT DISTINCT FROM %s AND entity IS NOT DISTINCT FROM %s"
            " AND native_key IS NOT DISTINCT FROM %s AND error_type = %s"
            " AND field IS NOT DISTINCT FROM %s AND message = %s"
            " AND payload IS NOT DISTINCT FROM %s::jsonb LIMIT 1",
            _stored(letter),
        ).fetchone()
        if stored is None:
            fresh.append(letter)
    return fresh


def dead_letters(
    conn: psycopg.Connection[Any], run_id: int | None = None
) -> list[StoredDeadLetter]:
    """Dead letters, oldest first (of one run when `run_id` is given)."""
    rows = conn.execute(
        "SELECT dead_letter_id, stage, system, entity, native_key, error_type, field, message,"
        " payload, run_id FROM ledger.dead_letter WHERE %(run)s::bigint IS NULL"
        " OR run_id = %(run)s ORDER BY dead_letter_id",
        {"run": run_id},
    ).fetchall()
    return [StoredDeadLetter(*row) for row in rows]


def unstorable_field(version: NewVersion) -> str | None:
    """The first field of `version` that PostgreSQL would refuse (a NUL character), or None.

    Canonical fields are named as they are (`name`, `lines.0.description`); a field found
    only in the raw native row is named `raw.<Field>`."""
    if NUL in version.key:
        return "key"
    found = _nul_path(version.payload)
    if found is not None:
        return found
    found = _nul_path(version.raw)
    return None if found is None else f"raw.{found}"


def append_versions_or_dead_letter(
    conn: psycopg.Connection[Any], versions: Sequence[NewVersion], run_id: int | None
) -> tuple[AppendResult, list[DeadLetter]]:
    """Appends what can be stored; returns the result and the dead letters for the rest
    (not yet written: the caller appends them with its own)."""
    letters: list[DeadLetter] = []
    storable: list[NewVersion] = []
    for version in versions:
        field = unstorable_field(version)
        if field is None:
            storable.append(version)
        else:
            letters.append(_letter(version, field, NUL_MESSAGE))
    result = AppendResult()
    _append_splitting(conn, storable, run_id, result, letters)
    return result, letters


def _append_splitting(
    conn: psycopg.Connection[Any],
    versions: Sequence[NewVersion],
    run_id: int | None,
    total: AppendResult,
    letters: list[DeadLetter],
) -> None:
    if not versions:
        return
    try:
        result = append_versions(conn, list(versions), run_id)
    except psycopg.errors.DataError as refused:
        if len(versions) == 1:
            message = (refused.diag.message_primary or str(refused)).strip()
            letters.append(_letter(versions[0], None, f"PostgreSQL refused it: {message}"))
            return
        middle = len(versions) // 2
        _append_splitting(conn, versions[:middle], run_id, total, letters)
        _append_splitting(conn, versions[middle:], run_id, total, letters)
        return
    total.appended += result.appended
    total.unchanged += result.unchanged
    for stream, (keys, numbers) in result.written.items():
        kept_keys, kept_numbers = total.written.setdefault(stream, ([], []))
        kept_keys.extend(keys)
        kept_numbers.extend(numbers)


def _letter(version: NewVersion, field: str | None, message: str) -> DeadLetter:
    return DeadLetter(
        version.system, version.entity, version.key, field, message, "Unstorable",
        version.raw if version.raw is not None else version.payload,
    )  # fmt: skip


def _nul_path(value: Any, path: str = "") -> str | None:
    if isinstance(value, str):
        return (path or "(value)") if NUL in value else None
    if isinstance(value, Mapping):
        for name, item in value.items():
            inner = f"{path}.{name}" if path else str(name)
            if NUL in str(name):
                return inner
            found = _nul_path(item, inner)
            if found is not None:
                return found
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            found = _nul_path(item, f"{path}.{index}" if path else str(index))
            if found is not None:
                return found
    return None


def _keepable(value: Any) -> Any:
    """`value` with NUL characters written as the visible text `\\u0000`, so the dead
    letter itself can be stored and still shows where the NUL was."""
    if isinstance(value, str):
        return value.replace(NUL, "\\u0000")
    if isinstance(value, Mapping):
        return {_keepable(str(k)): _keepable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_keepable(v) for v in value]
    return value
