"""The ledger state planners read: current records of every system, identity links, and
every write intent recorded so far with its newest outcome.

Loaded once per plan (`load_state`), then read by pure functions: the flows never touch
the database, so a test can build a state by hand as well as from a real ledger.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import psycopg
from psycopg.rows import dict_row

from canonical import CanonicalRecord, parse_record
from ledger import IdentityLink, StoredVersion, current, current_links, history
from writer.outbox import StoredIntent
from writer.sql import query

FAILED = "failed_permanent"


@dataclass(frozen=True)
class PriorIntent(StoredIntent):
    """A write intent already in `ledger.write_intent`, with its newest outcome."""

    created_at: datetime
    status: str | None = None
    outcome_target_key: str | None = None
    outcome_at: datetime | None = None

    @property
    def flow(self) -> str:
        return self.idempotency_key.split(":", 1)[0]

    @property
    def failed(self) -> bool:
        return self.status == FAILED

    @property
    def written_key(self) -> str | None:
        """The key of the record in the target: as the outcome says, else as planned."""
        return self.outcome_target_key or self.target_key

    def record(self) -> CanonicalRecord:
        """What the intent writes (its payload holds the record without its identity)."""
        payload = {k: v for k, v in self.payload.items() if k not in ("system", "key")}
        return parse_record(self.target_system, self.entity, self.written_key or "", payload)


@dataclass
class LedgerState:
    """Current records by (system, entity, key), links by entity, prior intents."""

    records: dict[tuple[str, str], dict[str, StoredVersion]] = field(
        default_factory=lambda: defaultdict(dict)
    )
    links: dict[str, list[IdentityLink]] = field(default_factory=lambda: defaultdict(list))
    intents: list[PriorIntent] = field(default_factory=list)
    today: date = field(default_factory=date.today)
    linked_at: dict[tuple[str, str, str], tuple[CanonicalRecord, CanonicalRecord]] = field(
        default_factory=dict
    )
    """(entity, kashflow key, sage100 key) -> both records as they stood when linked."""
    history: Callable[[str, str, str], list[StoredVersion]] | None = None
    """Every version of one record, oldest first (`ledger.history` on the connection the
    state was loaded from); None for a state built by hand."""

    def __post_init__(self) -> None:
        self._planned = {intent.idempotency_key for intent in self.intents}
        self._by_target: dict[tuple[str, str, str], list[PriorIntent]] = defaultdict(list)
        self._by_source: dict[tuple[str, str, str], list[PriorIntent]] = defaultdict(list)
        for intent in self.intents:
            self._index(intent)

    def _index(self, intent: PriorIntent) -> None:
        if intent.written_key:
            self._by_target[(intent.target_system, intent.entity, intent.written_key)].append(
                intent
            )
        if intent.source_system and intent.source_key:
            self._by_source[(intent.flow, intent.source_system, intent.source_key)].append(intent)

    @classmethod
    def of(
        cls,
        versions: Iterable[StoredVersion],
        links: Iterable[IdentityLink] = (),
        intents: Iterable[PriorIntent] = (),
        today: date | None = None,
    ) -> LedgerState:
        state = cls(intents=list(intents), today=today or date.today())
        for version in versions:
            state.records[(version.system, version.entity)][version.native_key] = version
        for link in links:
            state.links[link.entity].append(link)
        return state

    def of_entity(self, system: str, entity: str) -> dict[str, StoredVersion]:
        return self.records.get((system, entity), {})

    def version(self, system: str, entity: str, key: str) -> StoredVersion | None:
        return self.of_entity(system, entity).get(key)

    def planned(self, idempotency_key: str) -> bool:
        return idempotency_key in self._planned

    def intents_to(self, system: str, entity: str, key: str) -> list[PriorIntent]:
        """Intents that wrote (or mean to write) this target record, oldest first; not the
        ones that failed for good."""
        return [i for i in self._by_target.get((system, entity, key), []) if not i.failed]

    def intents_from(self, flow: str, system: str, key: str) -> list[PriorIntent]:
        """Intents `flow` planned from this source record, oldest first (failed ones too)."""
        return self._by_source.get((flow, system, key), [])

    def written_from(self, flow: str, system: str, key: str) -> list[PriorIntent]:
        """Intents `flow` planned from this source record that did not fail for good."""
        return [i for i in self.intents_from(flow, system, key) if not i.failed]

    def pairs(self, entity: str, flows: tuple[str, str]) -> dict[str, str]:
        """KashFlow key -> Sage 100 key of `entity`: identity links, and records one flow
        created from the other side (before the applier's link is read back)."""
        pairs = {link.kashflow_key: link.sage100_key for link in self.links.get(entity, [])}
        to_sage100, to_kashflow = flows
        for intent in self.intents:
            if intent.failed or intent.operation != "create" or not intent.written_key:
                continue
            if intent.flow == to_sage100 and intent.source_key:
                pairs.setdefault(intent.source_key, intent.written_key)
            elif (
                intent.flow == to_kashflow and intent.source_key and intent.written_key not in pairs
            ):
                pairs[intent.written_key] = intent.source_key
        return pairs


def load_state(conn: psycopg.Connection[Any], today: date | None = None) -> LedgerState:
    """The current ledger state: every current record, link and recorded intent."""
    with conn.cursor(row_factory=dict_row) as cur:
        cur.execute(query("prior_intents"))
        intents = [PriorIntent(**row) for row in cur.fetchall()]
        cur.execute(query("linked_at"))
        linked_at = {
            (row["entity"], row["kashflow_key"], row["sage100_key"]): (
                parse_record(
                    "kashflow", row["entity"], row["kashflow_key"], row["kashflow_payload"]
                ),
                parse_record("sage100", row["entity"], row["sage100_key"], row["sage100_payload"]),
            )
            for row in cur.fetchall()
        }
    state = LedgerState.of(current(conn), current_links(conn), intents, today)
    state.linked_at.update(linked_at)
    state.history = lambda system, entity, key: history(conn, system, entity, key)
    return state
