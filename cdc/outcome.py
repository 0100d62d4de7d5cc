"""What one poll of one stream produces (versions, dead letters, the new checkpoint and
summary digests, and what it cost), and the settings every poller shares."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import psycopg

from canonical import CanonicalRecord, LedgerbridgeError, ValidationFailed
from ledger import NewVersion
from ledger.dead_letters import DeadLetter


@dataclass(frozen=True)
class PollSettings:
    """How the pollers behave; the shell fills this from configuration."""

    sweep_seconds: float = 3600.0
    """KashFlow: how often a full summary-hash sweep of documents runs (edits to closed
    documents, deletes)."""
    key_diff_seconds: float = 3600.0
    """Sage 100: how often a stream's key set is compared with the ledger's (deletes)."""
    chunk_records: int = 2000
    """Records read in full per chunk: each chunk is committed on its own (versions, dead
    letters, digests, checkpoint), so a first load of a large company holds one chunk in
    memory and a crash loses at most one chunk's work."""


@dataclass(frozen=True)
class PollStart:
    """Where a poll starts: the ledger (read between chunks, never written by a poller),
    the stream's stored position, the time, and whether to run the slower checks now."""

    conn: psycopg.Connection[Any]
    position: dict[str, Any] | None
    now: datetime
    thorough: bool = False


@dataclass
class PollOutcome:
    """One chunk of a poll, committed in one transaction; the `final` one ends the poll."""

    versions: list[NewVersion] = field(default_factory=list)
    dead_letters: list[DeadLetter] = field(default_factory=list)
    position: dict[str, Any] | None = None
    """The checkpoint to store (None: keep the one there is)."""
    digests: dict[str, str | None] = field(default_factory=dict)
    """KashFlow summary digests that changed (None: the key left the list)."""
    read: int = 0
    """Records read from the source (in full)."""
    rows_read: int = 0
    """Sage 100: rows the server returned, stamps and keys included."""
    requests: int = 0
    """KashFlow: HTTP requests made."""
    final: bool = False
    """The poll's last chunk: its run ends in the same transaction."""

    @property
    def deletes(self) -> int:
        return sum(1 for v in self.versions if v.payload is None)


def version_of(
    record: CanonicalRecord, raw: Mapping[str, Any] | None, updated_at: datetime | None
) -> NewVersion:
    return NewVersion.of(record, raw=raw, source_updated_at=source_time(updated_at))


def source_time(stamp: datetime | None) -> datetime | None:
    """A source's updated-at as stored: neither system says its zone, so a naive stamp
    is taken as UTC (the wall-clock time the source wrote stays readable as is)."""
    if stamp is None or stamp.tzinfo is not None:
        return stamp
    return stamp.replace(tzinfo=UTC)


def dead_letter_of(error: LedgerbridgeError | None, raw: Mapping[str, Any] | None) -> DeadLetter:
    """The dead letter of a record that could not be mapped, with its native row."""
    if error is None:
        error = ValidationFailed("could not be mapped")
    return DeadLetter.of_error(error, raw)
