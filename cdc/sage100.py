"""Sage 100 change capture: a watermark on (DateUpdated, TimeUpdated) with an overlap
window, and a periodic key-set diff for deletes (Sage keeps no delete log) and for
records no stamp announces (a row written without DateUpdated, which no watermark sees).

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
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, ClassVar

import psycopg

from canonical import CanonicalRecord, content_hash
from cdc.outcome import PollOutcome, PollSettings, PollStart, dead_letter_of, version_of
from connectors.sage100.odbc import KeyTuple, Sage100Reader, SourceRecord
from ledger import NewVersion
from ledger.dead_letters import not_yet_stored
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


@dataclass
class Sage100Poller:
    """One Sage 100 stream, read in chunks of `chunk_records`: a first load by native key
    order (resumable after the last key committed), then changes since the stored
    watermark in stamp order (each chunk's checkpoint a watermark at its newest stamp),
    and deletes by key-set diff with the last chunk when one is due (`key_diff_seconds`)
    or when asked for a thorough poll. A/P checks (`supplier_payment`) are payments: their
    versions and deletes go to the `payment` ledger stream, and each of the two diffs
    only the keys it reads."""

    entity: str
    reader: Sage100Reader
    settings: PollSettings
    system: ClassVar[str] = SYSTEM
    _fetched: int = 0

    def chunks(self, start: PollStart) -> Iterator[PollOutcome]:
        conn, position, now = start.conn, start.position, start.now
        self._fetched = self.reader.rows_fetched
        base = dict(position or {})
        checked = base.get("keys_checked_at")
        diff_due = (
            start.thorough
            or checked is None
            or (now - datetime.fromisoformat(checked)).total_seconds()
            >= self.settings.key_diff_seconds
        )
        stored = base.get("watermark")
        if stored is None or "loading" in base:
            yield from self._load(conn, base, now)
            return
        since = Watermark.from_json(stored)
        stamps = self.reader.stamps_since(self.entity, since.window_start(self.reader.overlap))
        ordered = sorted(stamps, key=lambda native: (stamps[native], native))
        stamp_of = {self.reader.canonical_key(self.entity, k): t for k, t in stamps.items()}
        lookups = self.reader.lookups() if ordered else None
        size = max(1, self.settings.chunk_records)
        seen: dict[str, str] = {}
        newest = since.updated_at
        for first in range(0, max(len(ordered), 1), size):
            keys = ordered[first : first + size]
            last = first + size >= len(ordered)
            built = list(self.reader.read_keys(self.entity, keys, lookups)) if keys else []
            outcome = self._outcome(s for s in built if (s.key, _digest(s)) not in since.delivered)
            seen.update((s.key, _digest(s)) for s in built)
            newest = max([newest, *(stamps[k] for k in keys)])
            opens = newest - self.reader.overlap
            delivered = {(k, d) for k, d in seen.items() if stamp_of.get(k, newest) >= opens}
            if not last:  # versions delivered before and not read again yet stay delivered
                delivered |= {(k, d) for k, d in since.delivered if k not in seen}
            position = {**base, "watermark": Watermark(newest, frozenset(delivered)).to_json()}
            yield self._finish(conn, outcome, position, now, last, last and diff_due)

    def _load(
        self, conn: psycopg.Connection[Any], base: dict[str, Any], now: datetime
    ) -> Iterator[PollOutcome]:
        """Every record, by native key in chunks; the checkpoint of each chunk but the last
        says where to go on (`loading`), the last stores the watermark taken before the
        first read (so it never passes a record not read) and diffs the key sets."""
        loading: dict[str, Any] = base.pop("loading", None) or {}
        if loading:
            mark = loading.get("watermark")
            window = set(loading.get("window", []))
            delivered = {(k, d) for k, d in loading.get("delivered", [])}
        else:
            newest = self.reader.newest_stamp(self.entity)
            mark = None if newest is None else Watermark(newest).to_json()
            window = set()
            if newest is not None:
                recent = self.reader.stamps_since(self.entity, newest - self.reader.overlap)
                window = {self.reader.canonical_key(self.entity, k) for k in recent}
            delivered = set()
        after = tuple(loading.get("after", ()))
        keys = [k for k in self.reader.native_keys(self.entity) if not after or k > after]
        lookups = self.reader.lookups() if keys else None
        size = max(1, self.settings.chunk_records)
        for first in range(0, max(len(keys), 1), size):
            chunk = keys[first : first + size]
            last = first + size >= len(keys)
            built = list(self.reader.read_keys(self.entity, chunk, lookups)) if chunk else []
            outcome = self._outcome(built)
            delivered |= {(s.key, _digest(s)) for s in built if s.key in window}
            position = dict(base)
            position.pop("watermark", None)
            if last and mark is not None:
                stored = Watermark.from_json(mark)
                position["watermark"] = Watermark(stored.updated_at, frozenset(delivered)).to_json()
            elif not last:
                position["loading"] = {
                    "after": list(chunk[-1]),
                    "watermark": mark,
                    "window": sorted(window),
                    "delivered": sorted([k, d] for k, d in delivered),
                }
            yield self._finish(conn, outcome, position, now, last, last)

    def _outcome(self, sourced: Iterable[SourceRecord]) -> PollOutcome:
        outcome = PollOutcome()
        for one in sourced:
            outcome.read += 1
            if one.record is None:
                outcome.dead_letters.append(dead_letter_of(one.error, one.raw))
            else:
                outcome.versions.append(version_of(one.record, one.raw, one.updated_at))
        return outcome

    def _finish(
        self,
        conn: psycopg.Connection[Any],
        outcome: PollOutcome,
        position: dict[str, Any],
        now: datetime,
        final: bool,
        diff: bool,
    ) -> PollOutcome:
        if diff:
            self._diff_keys(conn, outcome)
            position["keys_checked_at"] = now.isoformat()
        outcome.position, outcome.final = position, final
        outcome.rows_read = self.reader.rows_fetched - self._fetched
        self._fetched = self.reader.rows_fetched
        return outcome

    def _diff_keys(self, conn: psycopg.Connection[Any], outcome: PollOutcome) -> None:
        """Adds to `outcome` a delete for each key the ledger (or this very chunk) holds
        that the company no longer does, and the records of the keys the company holds
        that the ledger does not: rows no stamp announced (written without DateUpdated),
        which the watermark never reads. A record refused at each diff is told once."""
        native = self.reader.native_keys(self.entity)
        in_source = {self.reader.canonical_key(self.entity, key): key for key in native}
        stream = self.reader.record_entity(self.entity)
        known = current_keys(conn, SYSTEM, stream) | {v.key for v in outcome.versions}
        known |= {letter.key for letter in outcome.dead_letters if letter.key}
        unseen = sorted(native for key, native in in_source.items() if key not in known)
        found = self._outcome(self.reader.read_keys(self.entity, unseen))
        outcome.read += found.read
        outcome.versions += found.versions
        outcome.dead_letters += not_yet_stored(conn, found.dead_letters)
        gone = sorted(k for k in known - set(in_source) if self.reader.owns_key(self.entity, k))
        outcome.versions += [NewVersion.deleted(SYSTEM, stream, key) for key in gone]
