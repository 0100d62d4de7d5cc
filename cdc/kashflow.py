"""KashFlow change capture. KashFlow has no modified-since filter, so each stream reads
as little as it can and the ledger's content hash makes any re-read a no-op:

- nominals (GL accounts, products): the list holds the full records, one pass per poll;
- customers, suppliers: a summary-hash pass (summaries in pages of 500, a full read only
  where a summary's hash changed); absence from the list is a delete;
- invoices, purchases (with their payment lines): each poll lists new documents by
  number above the high-water mark (newest first, stopping at the mark) and re-reads the
  summaries of every document still open (unpaid, part-paid, overdue: the list sorted by
  status, from both ends), reading in full those whose summary changed or that are no
  longer open; a full summary-hash sweep on a slower cadence
  (`PollSettings.sweep_seconds`, default hourly) catches edits to closed documents,
  edits no summary shows, and deletes. A 404 on a re-read is a delete too. A payment
  line that is gone from a re-read document (or whose document is gone) gets a delete
  version.

Summary digests live in `ledger.scan_digest`; the rest of a stream's position (high-water
mark, open documents, last sweep) in its checkpoint.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

import psycopg

from canonical import LedgerbridgeError, NotFound, ValidationFailed
from cdc.kashflow_scan import list_digests, summary_hash
from cdc.outcome import PollOutcome, PollSettings, dead_letter_of, version_of
from connectors.kashflow import KashFlowClient
from connectors.kashflow import mapping as kf
from connectors.kashflow.resources import SCAN_PAGE, Documents, Resource
from ledger import NewVersion
from ledger.checkpoints import scan_digests, scan_digests_of
from ledger.queries import current_keys, newest_raw

SYSTEM = "kashflow"
OPEN_STATUSES = frozenset({"unpaid", "overdue"})


class _KashFlowPoller:
    system = SYSTEM

    def __init__(self, entity: str, client: KashFlowClient, settings: PollSettings) -> None:
        self.entity = entity
        self.client = client
        self.settings = settings

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
        except (ValueError, ArithmeticError, TypeError, KeyError) as broken:
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

    def poll(
        self,
        conn: psycopg.Connection[Any],
        position: dict[str, Any] | None,
        now: datetime,
        thorough: bool = False,
    ) -> PollOutcome:
        resource = self.client.gl_accounts if self.entity == "gl_account" else self.client.products
        outcome = PollOutcome(position=position)
        before = self.client.stats.requests
        listed: set[str] = set()
        for raw in resource.list(perpage=SCAN_PAGE):
            key = resource.key_of(raw)
            listed.add(key)
            self._add(outcome, resource, raw, key)
        for key in sorted(current_keys(conn, SYSTEM, self.entity) - listed):
            outcome.versions.append(NewVersion.deleted(SYSTEM, self.entity, key))
        outcome.requests = self.client.stats.requests - before
        return outcome


class PartyPoller(_KashFlowPoller):
    """Customers or suppliers: a summary-hash pass every poll."""

    def poll(
        self,
        conn: psycopg.Connection[Any],
        position: dict[str, Any] | None,
        now: datetime,
        thorough: bool = False,
    ) -> PollOutcome:
        resource = self.client.customers if self.entity == "customer" else self.client.suppliers
        if not self.client.logged_in:
            self.client.login()
        before = self.client.stats.requests
        outcome = PollOutcome(position=position)
        stored = scan_digests(conn, SYSTEM, self.entity)
        listing = list_digests(resource)
        for key, digest in listing.digests.items():
            if stored.get(key) == digest:
                continue
            outcome.digests[key] = digest
            try:
                raw = resource.get(key)
            except NotFound:
                continue  # deleted since it was listed: below, as absent
            self._add(outcome, resource, raw, key)
        read_keys = {v.key for v in outcome.versions} | {d.key for d in outcome.dead_letters}
        absent = {k for k in outcome.digests if k not in read_keys}
        known = set(stored) | current_keys(conn, SYSTEM, self.entity)
        for key in sorted((known - set(listing.digests)) | absent):
            outcome.versions.append(NewVersion.deleted(SYSTEM, self.entity, key))
            outcome.digests[key] = None
        outcome.digests = {k: d for k, d in outcome.digests.items() if stored.get(k) != d}
        outcome.requests = self.client.stats.requests - before
        return outcome


class DocumentPoller(_KashFlowPoller):
    """Invoices or purchases, with their payment lines (entity `payment`)."""

    def __init__(self, entity: str, client: KashFlowClient, settings: PollSettings) -> None:
        super().__init__(entity, client, settings)
        self.documents: Documents[Any] = (
            client.invoices if entity == "sales_invoice" else client.purchases
        )

    def poll(
        self,
        conn: psycopg.Connection[Any],
        position: dict[str, Any] | None,
        now: datetime,
        thorough: bool = False,
    ) -> PollOutcome:
        if not self.client.logged_in:
            self.client.login()
        before = self.client.stats.requests
        stored_position = position or {}
        swept_at = stored_position.get("swept_at")
        sweep = (
            thorough
            or swept_at is None
            or (now - datetime.fromisoformat(swept_at)).total_seconds()
            >= self.settings.sweep_seconds
        )
        outcome = PollOutcome()
        high_water: int | None = stored_position.get("high_water")
        open_numbers = {str(n) for n in stored_position.get("open", [])}
        gone: set[str] = set()
        if sweep:
            stored = scan_digests(conn, SYSTEM, self.entity)
            listing = list_digests(self.documents)
            to_read = [k for k, d in listing.digests.items() if stored.get(k) != d]
            outcome.digests = {k: listing.digests[k] for k in to_read}
            known = set(stored) | current_keys(conn, SYSTEM, self.entity)
            gone = known - set(listing.digests)
            numbers = [int(k) for k in listing.digests if k.isdigit()]
            high_water = max(numbers, default=high_water)
            open_numbers = {k for k, s in listing.summaries.items() if _is_open(s)}
        else:
            new = self._new_documents(high_water, outcome)
            high_water = max([int(k) for k in new if k.isdigit()], default=high_water)
            open_changed, open_numbers = self._open_to_read(conn, open_numbers, outcome)
            to_read = sorted(set(new) | open_changed, key=_number_order)
        self._read_documents(conn, to_read, gone, open_numbers, outcome)
        for key in sorted(gone, key=_number_order):
            outcome.versions.append(NewVersion.deleted(SYSTEM, self.entity, key))
            outcome.digests[key] = None
            open_numbers.discard(key)
        outcome.position = {
            "high_water": high_water,
            "open": sorted(open_numbers, key=_number_order),
            "swept_at": now.isoformat() if sweep else swept_at,
        }
        outcome.requests = self.client.stats.requests - before
        return outcome

    def _new_documents(self, high_water: int | None, outcome: PollOutcome) -> list[str]:
        """Numbers above the high-water mark, read newest first from the list."""
        found: list[str] = []
        for summary in self.documents.list(perpage=SCAN_PAGE, sortby="Number", order="Desc"):
            key = self.documents.key_of(summary)
            if high_water is not None and key.isdigit() and int(key) <= high_water:
                break
            found.append(key)
            outcome.digests[key] = summary_hash(summary)
        return found

    def _open_to_read(
        self, conn: psycopg.Connection[Any], open_numbers: set[str], outcome: PollOutcome
    ) -> tuple[set[str], set[str]]:
        """The open documents to read in full — those whose summary changed, and those
        that left the open list (paid, or deleted) — and the open documents now.

        Open summaries come from the list sorted by status (`NA, Overdue, Overpaid, Paid,
        Unpaid`) read from both ends, so the cost is the open documents' pages, not the
        company's."""
        listed: dict[str, Mapping[str, Any]] = {}
        for order, skip in (("Asc", {"na"}), ("Desc", set())):
            pages = self.documents.list(perpage=SCAN_PAGE, sortby="Status", order=order)
            for summary in pages:
                status = str(kf.field(summary, "Status") or "").lower()
                if status in skip:
                    continue
                if status not in OPEN_STATUSES:
                    break
                listed[self.documents.key_of(summary)] = summary
        digests = {key: summary_hash(summary) for key, summary in listed.items()}
        before = scan_digests_of(conn, SYSTEM, self.entity, sorted(set(digests) | open_numbers))
        changed = {key for key, digest in digests.items() if before.get(key) != digest}
        outcome.digests.update({key: digests[key] for key in changed})
        return changed | (open_numbers - set(listed)), set(listed)

    def _read_documents(
        self,
        conn: psycopg.Connection[Any],
        numbers: Iterable[str],
        gone: set[str],
        open_numbers: set[str],
        outcome: PollOutcome,
    ) -> None:
        """Reads each document in full: its version, its payment lines' versions, and a
        delete for each payment line it no longer has; a 404 adds it to `gone`."""
        wanted = list(numbers)
        kind = "receipt" if self.entity == "sales_invoice" else "supplier_payment"
        vocabulary = self.client.payments.vocabulary() if wanted or gone else None
        earlier = newest_raw(conn, SYSTEM, self.entity, [*wanted, *gone])
        payments: list[NewVersion] = []
        for number in wanted:
            try:
                raw = self.documents.get(number)
            except NotFound:
                gone.add(number)
                continue
            open_numbers.discard(number)
            if _is_open(raw):
                open_numbers.add(number)
            self._add(outcome, self.documents, raw, number)
            assert vocabulary is not None
            now_paid = set()
            for line in kf.field(raw, "PaymentLines") or []:
                key = kf.payment_key(kind, kf.field(line, "Id"))
                now_paid.add(key)
                try:
                    payment = kf.to_payment(line, raw, kind, vocabulary)
                except LedgerbridgeError as refused:
                    refused.system, refused.entity, refused.key = SYSTEM, "payment", key
                    outcome.dead_letters.append(dead_letter_of(refused, line))
                    continue
                payments.append(version_of(payment, line, None))
            for key in sorted(_payment_keys(earlier.get(number), kind) - now_paid):
                payments.append(NewVersion.deleted(SYSTEM, "payment", key))
        for number in gone:
            for key in sorted(_payment_keys(earlier.get(number), kind)):
                payments.append(NewVersion.deleted(SYSTEM, "payment", key))
        outcome.read += sum(1 for p in payments if p.payload is not None)
        outcome.versions.extend(payments)


def _payment_keys(raw: Mapping[str, Any] | None, kind: str) -> set[str]:
    if raw is None:
        return set()
    return {
        kf.payment_key(kind, kf.field(line, "Id")) for line in kf.field(raw, "PaymentLines") or []
    }


def _is_open(document: Mapping[str, Any]) -> bool:
    """Unpaid, part-paid or overdue: what a later payment or edit is likely to change."""
    status = kf.field(document, "Status")
    if status is not None:
        return str(status).lower() in OPEN_STATUSES
    due = kf.amount(document, "DueAmount")
    return due is not None and due != 0


def _number_order(key: str) -> tuple[int, str]:
    return (int(key), key) if key.isdigit() else (10**18, key)
