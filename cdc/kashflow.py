"""KashFlow change capture. KashFlow has no modified-since filter, so each stream reads
as little as it can and the ledger's content hash makes any re-read a no-op:

- nominals (GL accounts, products): the list holds the full records, one pass per poll;
- customers, suppliers: a summary-hash pass (summaries in pages of 500, a full read only
  where a summary's hash changed); absence from the list is a delete;
- invoices, purchases (with their payment lines): each poll lists new documents by
  number above the high-water mark (newest first, stopping at the mark) and re-reads the
  summaries of the documents the ledger knows as open (unpaid, part-paid, overdue) from
  the pages of the list sorted by number that hold them, reading in full those whose
  summary changed or that are not on their page; a full summary-hash sweep on a slower
  cadence (`PollSettings.sweep_seconds`, default hourly) catches edits to closed
  documents (a paid invoice whose payment is removed included), documents numbered below
  the mark, edits no summary shows, and deletes. A 404 on a re-read is a delete too. A
  payment line that is gone from a re-read document (or whose document is gone) gets a
  delete version.

Summary digests live in `ledger.scan_digest`; the rest of a stream's position (high-water
mark, open documents, last sweep) in its checkpoint.
"""

from __future__ import annotations

import logging
from bisect import bisect_left
from collections.abc import Iterator, Mapping
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar

import psycopg

from canonical import LedgerbridgeError, NotFound, ValidationFailed
from cdc.kashflow_scan import keyed_summaries, list_digests, summary_hash
from cdc.outcome import PollOutcome, PollSettings, PollStart, dead_letter_of, version_of
from connectors.kashflow import KashFlowClient
from connectors.kashflow import mapping as kf
from connectors.kashflow.resources import SCAN_PAGE, Documents, Resource
from ledger import NewVersion
from ledger.checkpoints import scan_digests, scan_digests_of
from ledger.dead_letters import DeadLetter, not_yet_stored
from ledger.queries import current_keys, history, newest_raw

log = logging.getLogger("cdc.kashflow")

SYSTEM = "kashflow"
OPEN_STATUSES = frozenset({"unpaid", "overdue"})


@dataclass
class _KashFlowPoller:
    entity: str
    client: KashFlowClient
    settings: PollSettings
    system: ClassVar[str] = SYSTEM
    _requests: int = 0

    def _split(self, keys: list[str]) -> Iterator[tuple[list[str], bool]]:
        """`keys` in chunks of `chunk_records`, each with whether it is the last (one
        empty last chunk when there are none)."""
        size = max(1, self.settings.chunk_records)
        for first in range(0, max(len(keys), 1), size):
            yield keys[first : first + size], first + size >= len(keys)

    def _counted(self, outcome: PollOutcome) -> PollOutcome:
        """`outcome` with the requests made since the last chunk."""
        outcome.requests = self.client.stats.requests - self._requests
        self._requests = self.client.stats.requests
        return outcome

    def _absent(self, known: set[str], listed: set[str], refused: list[DeadLetter]) -> set[str]:
        """The `known` keys the list no longer holds: deleted. Unless a summary came
        without its key (`refused`): it may be any of them, and a delete reaches the
        other system, so none is taken as deleted until every summary has its key."""
        absent = known - listed
        if refused and absent:
            log.warning(
                "kashflow deletes held back: %d summaries without a key",
                len(refused),
                extra={"system": SYSTEM, "entity": self.entity, "held_back": len(absent)},
            )
            return set()
        return absent

    def _add(
        self,
        outcome: PollOutcome,
        resource: Resource[Any],
        raw: Mapping[str, Any],
        key: str,
    ) -> bool:
        """Maps one full record into a version, or a dead letter; True when mapped."""
        outcome.read += 1
        try:
            record = resource.to_record(raw)
        except LedgerbridgeError as refused:
            refused.system, refused.entity, refused.key = SYSTEM, self.entity, refused.key or key
            outcome.dead_letters.append(dead_letter_of(refused, raw))
            return False
        except (ValueError, ArithmeticError, TypeError, KeyError, AttributeError) as broken:
            error = ValidationFailed(
                f"cannot be mapped: {type(broken).__name__}: {broken}",
                system=SYSTEM, entity=self.entity, key=key,
            )  # fmt: skip
            outcome.dead_letters.append(dead_letter_of(error, raw))
            return False
        updated = kf.parse_datetime(kf.field(raw, "LastUpdatedDate"))
        outcome.versions.append(version_of(record, raw, updated))
        return True


class NominalPoller(_KashFlowPoller):
    """GL accounts or products: the nominal list carries full records."""

    def chunks(self, start: PollStart) -> Iterator[PollOutcome]:
        conn, position = start.conn, start.position
        resource = self.client.gl_accounts if self.entity == "gl_account" else self.client.products
        self._requests = self.client.stats.requests
        outcome = PollOutcome(position=position)
        listed: set[str] = set()
        refused: list[DeadLetter] = []
        for key, raw in keyed_summaries(resource, resource.list(perpage=SCAN_PAGE), refused):
            listed.add(key)
            self._add(outcome, resource, raw, key)
            if outcome.read >= self.settings.chunk_records:
                yield self._counted(outcome)
                outcome = PollOutcome(position=position)
        outcome.dead_letters += not_yet_stored(conn, refused)
        known = current_keys(conn, SYSTEM, self.entity)
        for key in sorted(self._absent(known, listed, refused)):
            outcome.versions.append(NewVersion.deleted(SYSTEM, self.entity, key))
        outcome.final = True
        yield self._counted(outcome)


class PartyPoller(_KashFlowPoller):
    """Customers or suppliers: a summary-hash pass every poll. A chunk's digests are
    committed with its versions, so a poll that stopped half way reads only the rest."""

    def chunks(self, start: PollStart) -> Iterator[PollOutcome]:
        conn, position = start.conn, start.position
        resource = self.client.customers if self.entity == "customer" else self.client.suppliers
        if not self.client.logged_in:
            self.client.login()
        self._requests = self.client.stats.requests
        stored = scan_digests(conn, SYSTEM, self.entity)
        listing = list_digests(resource)
        to_read = [key for key, digest in listing.digests.items() if stored.get(key) != digest]
        known = set(stored) | current_keys(conn, SYSTEM, self.entity)
        gone = self._absent(known, set(listing.digests), listing.refused)
        keyless = not_yet_stored(conn, listing.refused)
        for keys, last in self._split(to_read):
            outcome = PollOutcome(position=position, final=last)
            outcome.dead_letters, keyless = keyless, []
            for key in keys:
                outcome.digests[key] = listing.digests[key]
                try:
                    raw = resource.get(key)
                except NotFound:  # deleted since it was listed
                    gone.add(key)
                    continue
                self._add(outcome, resource, raw, key)
            for key in sorted(gone if last else gone & set(keys)):
                outcome.versions.append(NewVersion.deleted(SYSTEM, self.entity, key))
                outcome.digests[key] = None
            gone -= set(keys)
            outcome.digests = {k: d for k, d in outcome.digests.items() if stored.get(k) != d}
            yield self._counted(outcome)


@dataclass
class DocumentPoller(_KashFlowPoller):
    """Invoices or purchases, with their payment lines (entity `payment`)."""

    def __post_init__(self) -> None:
        self.documents: Documents[Any] = (
            self.client.invoices if self.entity == "sales_invoice" else self.client.purchases
        )
        self._vocabulary: Any = None

    def chunks(self, start: PollStart) -> Iterator[PollOutcome]:
        """Chunks of documents read in full, each with its summary digests (so a poll that
        stopped half way does not read them again); the last carries the deletes and the
        new position. A sweep that stopped half way goes on at the next poll."""
        conn, position = start.conn, start.position
        if not self.client.logged_in:
            self.client.login()
        self._requests = self.client.stats.requests
        stored_position = position or {}
        swept_at = stored_position.get("swept_at")
        sweep = (
            start.thorough
            or swept_at is None
            or bool(stored_position.get("sweeping"))
            or (start.now - datetime.fromisoformat(swept_at)).total_seconds()
            >= self.settings.sweep_seconds
        )
        high_water: int | None = stored_position.get("high_water")
        open_numbers = {str(n) for n in stored_position.get("open", [])}
        gone: set[str] = set()
        keyless: list[DeadLetter] = []
        if sweep:
            stored = scan_digests(conn, SYSTEM, self.entity)
            listing = list_digests(self.documents, pick=_is_open)
            digests = {k: d for k, d in listing.digests.items() if stored.get(k) != d}
            known = set(stored) | current_keys(conn, SYSTEM, self.entity)
            gone = self._absent(known, set(listing.digests), listing.refused)
            keyless = listing.refused
            numbers = [int(k) for k in listing.digests if k.isdigit()]
            high_water = max(numbers, default=high_water)
            open_numbers = set(listing.picked)
            del stored, listing
        else:
            new, keyless = self._new_documents(conn, high_water)
            high_water = max([int(k) for k in new if k.isdigit()], default=high_water)
            open_changed, open_numbers, digests = self._open_to_read(conn, open_numbers)
            digests.update({k: d for k, d in new.items() if d is not None})
            open_changed |= {k for k, d in new.items() if d is not None}
        to_read = sorted(digests if sweep else open_changed, key=_number_order)
        keyless = not_yet_stored(conn, keyless)
        for keys, last in self._split(to_read):
            outcome = PollOutcome(final=last)
            outcome.dead_letters, keyless = keyless, []
            outcome.digests = {k: digests[k] for k in keys if k in digests}
            missing = self._read_documents(conn, keys, open_numbers, outcome)
            deleted = sorted(missing | (gone if last else set()), key=_number_order)
            self._deleted_documents(conn, deleted, open_numbers, outcome)
            if last:
                outcome.position = {
                    "high_water": high_water,
                    "open": sorted(open_numbers, key=_number_order),
                    "swept_at": start.now.isoformat() if sweep else swept_at,
                }
            elif sweep:
                outcome.position = {**stored_position, "sweeping": True}
            yield self._counted(outcome)

    def _new_documents(
        self, conn: psycopg.Connection[Any], high_water: int | None
    ) -> tuple[dict[str, str | None], list[DeadLetter]]:
        """Numbers above the high-water mark, read newest first from the list, with their
        summary digests (None: read already by a poll that stopped before its end); and a
        dead letter for each summary on the way that has no number."""
        found: dict[str, str | None] = {}
        refused: list[DeadLetter] = []
        listed = self.documents.list(perpage=SCAN_PAGE, sortby="Number", order="Desc")
        for key, summary in keyed_summaries(self.documents, listed, refused):
            if high_water is not None and key.isdigit() and int(key) <= high_water:
                break
            found[key] = summary_hash(summary)
        done = scan_digests_of(conn, SYSTEM, self.entity, sorted(found))
        return {k: None if done.get(k) == d else d for k, d in found.items()}, refused

    def _open_to_read(
        self, conn: psycopg.Connection[Any], open_numbers: set[str]
    ) -> tuple[set[str], set[str], dict[str, str]]:
        """The open documents to read in full — those whose summary changed, and those
        not on the page that should hold them (deleted, or moved) — the documents still
        open, and the changed summaries' digests.

        The summaries come from the list sorted by number (`sortby=Number`, which KashFlow
        documents; the order of any other sort key is not): a document's page follows
        from its rank among the numbers the ledger holds. So a cycle costs one request
        per page that holds an open document — never more than the list has pages — and
        one full read per document that changed or was not on its page."""
        numbers = sorted(int(k) for k in current_keys(conn, SYSTEM, self.entity) if k.isdigit())
        ranks = (bisect_left(numbers, int(k)) for k in open_numbers if k.isdigit())
        listed: dict[str, Mapping[str, Any]] = {}
        for page in sorted({rank // SCAN_PAGE + 1 for rank in ranks}):
            query = {"page": page, "perpage": SCAN_PAGE, "sortby": "Number", "order": "Asc"}
            found = self.client.page(self.documents.path, query, entity=self.entity)
            for key, summary in self.documents.keyed(iter(found.records)):
                if key in open_numbers:
                    listed[key] = summary
        digests = {key: summary_hash(summary) for key, summary in listed.items()}
        before = scan_digests_of(conn, SYSTEM, self.entity, sorted(digests))
        changed = {key: digest for key, digest in digests.items() if before.get(key) != digest}
        closed = {key for key, summary in listed.items() if not _is_open(summary)}
        return set(changed) | (open_numbers - set(listed)), open_numbers - closed, changed

    def vocabulary(self) -> Any:
        """The payment methods, read once per poll and only when a document is read."""
        if self._vocabulary is None:
            self._vocabulary = self.client.payments.vocabulary()
        return self._vocabulary

    def _read_documents(
        self,
        conn: psycopg.Connection[Any],
        numbers: list[str],
        open_numbers: set[str],
        outcome: PollOutcome,
    ) -> set[str]:
        """Reads each document in full: its version, its payment lines' versions, and a
        delete for each payment line it no longer has; returns the numbers that were 404."""
        kind = _payment_kind(self.entity)
        earlier = newest_raw(conn, SYSTEM, self.entity, numbers)
        payments: list[NewVersion] = []
        missing: set[str] = set()
        for number in numbers:
            try:
                raw = self.documents.get(number)
            except NotFound:
                missing.add(number)
                continue
            open_numbers.discard(number)
            if _is_open(raw):
                open_numbers.add(number)
            self._add(outcome, self.documents, raw, number)
            try:
                lines = kf.records(raw, "PaymentLines")
            except LedgerbridgeError as refused:
                # Unreadable lines say nothing of which payments are gone: none is deleted.
                refused.system, refused.entity, refused.key = SYSTEM, self.entity, number
                outcome.dead_letters.append(dead_letter_of(refused, raw))
                continue
            now_paid = set()
            for index, line in enumerate(lines, start=1):
                key = f"{number} payment line {index}"
                try:
                    key = kf.payment_key(kind, line)
                    now_paid.add(key)
                    payment = kf.to_payment(line, raw, kind, self.vocabulary())
                except LedgerbridgeError as refused:
                    refused.system, refused.entity, refused.key = SYSTEM, "payment", key
                    outcome.dead_letters.append(dead_letter_of(refused, line))
                    continue
                payments.append(version_of(payment, line, None))
            for key in sorted(self._paid_before(conn, number, earlier.get(number)) - now_paid):
                payments.append(NewVersion.deleted(SYSTEM, "payment", key))
        outcome.read += sum(1 for p in payments if p.payload is not None)
        outcome.versions.extend(payments)
        return missing

    def _paid_before(
        self, conn: psycopg.Connection[Any], number: str, newest: Mapping[str, Any] | None
    ) -> set[str]:
        """The keys of the payments the ledger holds for document `number`: its newest
        version's lines (`newest`), or, when those could not be read, the lines of the
        newest version whose lines could. A version with unreadable lines deleted no
        payment, so the payments of the one before it are still held."""
        kind = _payment_kind(self.entity)
        if _lines_readable(newest):
            return _payment_keys(newest, kind)
        for version in reversed(history(conn, SYSTEM, self.entity, number)):
            if _lines_readable(version.raw):
                return _payment_keys(version.raw, kind)
        return set()

    def _deleted_documents(
        self,
        conn: psycopg.Connection[Any],
        numbers: list[str],
        open_numbers: set[str],
        outcome: PollOutcome,
    ) -> None:
        """A delete for each document gone, and for each payment line it had."""
        earlier = newest_raw(conn, SYSTEM, self.entity, numbers)
        for number in numbers:
            outcome.versions.append(NewVersion.deleted(SYSTEM, self.entity, number))
            outcome.digests[number] = None
            open_numbers.discard(number)
            for key in sorted(self._paid_before(conn, number, earlier.get(number))):
                outcome.versions.append(NewVersion.deleted(SYSTEM, "payment", key))


def _lines_readable(raw: Mapping[str, Any] | None) -> bool:
    """Whether a document as the ledger holds it has payment lines that can be read (a
    delete, which has none, has)."""
    try:
        kf.records(raw, "PaymentLines")
    except LedgerbridgeError:
        return False
    return True


def _payment_kind(entity: str) -> str:
    return "receipt" if entity == "sales_invoice" else "supplier_payment"


def _payment_keys(raw: Mapping[str, Any] | None, kind: str) -> set[str]:
    """The keys of the payment lines of a document as the ledger holds it (a line that
    could not be keyed made no payment, so it has none to delete)."""
    if raw is None:
        return set()
    keys = set()
    with suppress(LedgerbridgeError):
        for line in kf.records(raw, "PaymentLines"):
            with suppress(LedgerbridgeError):
                keys.add(kf.payment_key(kind, line))
    return keys


def _is_open(document: Mapping[str, Any]) -> bool:
    """Unpaid, part-paid or overdue: what a later payment or edit is likely to change."""
    status = kf.field(document, "Status")
    if status is not None:
        return str(status).lower() in OPEN_STATUSES
    due = kf.amount(document, "DueAmount")
    return due is not None and due != 0


def _number_order(key: str) -> tuple[int, str]:
    return (int(key), key) if key.isdigit() else (10**18, key)
