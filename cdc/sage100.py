"""Sage 100 change capture: a watermark on (DateUpdated, TimeUpdated) with an overlap
window, and a periodic key-set diff for deletes (Sage keeps no delete log).

Promise: at least once. `read_changes(reader, entity, since)` returns the records whose
stamp is at or after `since` minus the overlap window (default 120 s), except versions
the watermark says were delivered already, and a new `Watermark`: the newest stamp
among what it returned (or `since` again when nothing changed) and the versions (key and
content hash) it delivered inside the window. TimeUpdated is decimal hours as text
("13.50000" = 13:30:00), neither padded nor indexed, so the reader selects on DateUpdated
alone and the time is compared here. Comparison is `>=` and the window reaches back
`overlap` before the watermark, so a record stamped at the watermark, in the same second
as the last one read, across midnight, or by a writer whose clock or transaction lags,
is never skipped. Every record stamped inside the window is read again and returned when
its content is not what was delivered: TimeUpdated resolves to 0.036 s, so a second write
in one tick keeps the stamp, and only content can tell it from the first. An idle
cycle therefore reads what changed in the last `overlap`, never the whole company. With
an older or lost watermark the same version comes back, and the ledger's content hash
makes the repeat a no-op. The poller stores the watermark in the same transaction as
the versions read before it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import psycopg

from canonical import CanonicalRecord, content_hash
from cdc.outcome import PollOutcome, PollSettings, dead_letter_of, version_of
from connectors.sage100.odbc import KeyTuple, Sage100Reader, SourceRecord
from ledger import NewVersion
from ledger.queries import current_keys

SYSTEM = "sage100"


@dataclass(frozen=True)
class Watermark:
    """Where an incremental read of one entity stands: the newest (DateUpdated,
    TimeUpdated) seen, and which versions inside the overlap window were already delivered
    (canonical key and content hash), so that re-reading the window returns only what is
    new, a second write in the same TimeUpdated tick included."""

    updated_at: datetime
    delivered: frozenset[tuple[str, str]] = frozenset()

    def window_start(self, overlap: timedelta) -> datetime:
        return self.updated_at - overlap

    def to_text(self) -> str:
        return json.dumps(self.to_json())

    def to_json(self) -> dict[str, Any]:
        return {
            "updated_at": self.updated_at.isoformat(),
            "delivered": sorted([key, digest] for key, digest in self.delivered),
            "version": 2,
        }

    @classmethod
    def from_text(cls, text: str) -> Watermark:
        return cls.from_json(json.loads(text))

    @classmethod
    def from_json(cls, stored: dict[str, Any]) -> Watermark:
        # A watermark stored before version 2 named (key, stamp): read as nothing delivered,
        # so its window comes back once and the ledger's content hash absorbs the repeat.
        delivered = stored["delivered"] if stored.get("version") == 2 else []
        return cls(
            datetime.fromisoformat(stored["updated_at"]),
            frozenset((key, digest) for key, digest in delivered),
        )


@dataclass(frozen=True)
class ChangeBatch:
    """What an incremental read returns: records (at least once) and where to resume."""

    entity: str
    sourced: list[SourceRecord]
    watermark: Watermark | None

    @property
    def records(self) -> list[CanonicalRecord]:
        """The records that could be mapped (the rest are in `sourced` with their error)."""
        return [s.record for s in self.sourced if s.record is not None]


def read_changes(reader: Sage100Reader, entity: str, since: Watermark | None) -> ChangeBatch:
    """Records of `entity` stamped at or after `since` minus the overlap window, except
    versions `since` says were delivered already; everything when `since` is None."""
    overlap = reader.overlap
    if since is None:
        # Stamps first, then the scan: the watermark never passes a record not read.
        newest = reader.newest_stamp(entity)
        if newest is None:
            everything = list(reader.read_sourced(entity))
            return ChangeBatch(entity, everything, None)
        recent = reader.stamps_since(entity, newest - overlap)
        everything = list(reader.read_sourced(entity))
        mark = _watermark(reader, entity, newest, recent, everything)
        return ChangeBatch(entity, everything, mark)
    stamps = reader.stamps_since(entity, since.window_start(overlap))
    built = list(reader.read_keys(entity, sorted(stamps))) if stamps else []
    fresh = [s for s in built if (s.key, _digest(s)) not in since.delivered]
    newest = max([*stamps.values(), since.updated_at])
    mark = _watermark(reader, entity, newest, stamps, built)
    return ChangeBatch(entity, fresh, mark)


def _watermark(
    reader: Sage100Reader,
    entity: str,
    newest: datetime,
    stamps: dict[KeyTuple, datetime],
    built: list[SourceRecord],
) -> Watermark:
    start = newest - reader.overlap
    in_window = {reader.canonical_key(entity, k) for k, stamp in stamps.items() if stamp >= start}
    return Watermark(newest, frozenset((s.key, _digest(s)) for s in built if s.key in in_window))


def _digest(sourced: SourceRecord) -> str:
    """What a delivered version is known by: its content hash, or for a record that could
    not be mapped (dead-lettered once, not at every poll of the window), its native row's."""
    if sourced.record is not None:
        return sourced.record.content_hash
    try:
        return "raw:" + content_hash(sourced.raw)
    except TypeError:
        return "raw:" + content_hash(repr(sorted(sourced.raw.items())))


class Sage100Poller:
    """One Sage 100 stream: changes since the stored watermark, and deletes by key-set
    diff when one is due (`key_diff_seconds`) or when asked for a thorough poll."""

    system = SYSTEM

    def __init__(self, entity: str, reader: Sage100Reader, settings: PollSettings) -> None:
        self.entity = entity
        self.reader = reader
        self.settings = settings

    def poll(
        self,
        conn: psycopg.Connection[Any],
        position: dict[str, Any] | None,
        now: datetime,
        thorough: bool = False,
    ) -> PollOutcome:
        stored = (position or {}).get("watermark")
        since = Watermark.from_json(stored) if stored else None
        fetched_before = self.reader.rows_fetched
        batch = read_changes(self.reader, self.entity, since)
        outcome = PollOutcome(read=len(batch.sourced))
        for sourced in batch.sourced:
            if sourced.record is None:
                outcome.dead_letters.append(dead_letter_of(sourced.error, sourced.raw))
            else:
                outcome.versions.append(version_of(sourced.record, sourced.raw, sourced.updated_at))
        checked = (position or {}).get("keys_checked_at")
        due = (
            checked is None
            or (now - datetime.fromisoformat(checked)).total_seconds()
            >= self.settings.key_diff_seconds
        )
        new_position: dict[str, Any] = dict(position or {})
        if batch.watermark is not None:
            new_position["watermark"] = batch.watermark.to_json()
        if since is None or thorough or due:
            outcome.versions.extend(self._deletes(conn, outcome))
            new_position["keys_checked_at"] = now.isoformat()
        outcome.position = new_position
        outcome.rows_read = self.reader.rows_fetched - fetched_before
        return outcome

    def _deletes(self, conn: psycopg.Connection[Any], outcome: PollOutcome) -> list[NewVersion]:
        """Keys the ledger (or this very poll) holds that the company no longer does."""
        in_source = self.reader.key_set(self.entity)
        known = current_keys(conn, SYSTEM, self.entity) | {v.key for v in outcome.versions}
        gone = sorted(known - in_source)
        return [NewVersion.deleted(SYSTEM, self.entity, key) for key in gone]
