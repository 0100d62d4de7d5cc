"""KashFlow change scans: KashFlow documents no modified-since filter, so a change scan
reads list summaries in large pages, hashes each, compares with the hashes seen last
time, and reads in full only the records whose summary changed (the pollers in
`cdc/kashflow.py` keep the hashes in `ledger.scan_digest`).

The caller keeps the state (`ScanState`) wherever it keeps cursors (the ledger) and
passes it back next time. Promise: every record whose summary changed since the last
scan is returned at least once; a record that changes between its summary read and its
full read is returned with the newer content now and again next scan (its stored hash
is the older summary's). Edits invisible in a summary (say, a line's description with
unchanged totals) are not seen until something in the summary moves; a periodic full
re-read covers them. Customers and suppliers carry `LastUpdatedDate`, which is in
their summaries and so in the hash; its maximum is also kept as a watermark.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Generic, TypeVar

from canonical import CanonicalRecord, NotFound, ValidationFailed, content_hash
from cdc.outcome import dead_letter_of
from connectors.kashflow import mapping
from connectors.kashflow.resources import SCAN_PAGE, RawResource, Resource
from ledger.dead_letters import DeadLetter

log = logging.getLogger("cdc.kashflow")

R = TypeVar("R", bound=CanonicalRecord)


@dataclass(frozen=True)
class ScanState:
    """What the last scan saw: summary hash by key, and the newest `LastUpdatedDate`."""

    hashes: Mapping[str, str] = field(default_factory=dict)
    last_updated: datetime | None = None


@dataclass(frozen=True)
class ScanResult(Generic[R]):
    changed: list[R]
    """Full canonical records, new or changed since the previous scan."""
    deleted: list[str]
    """Keys seen last time and gone now."""
    state: ScanState
    """Give this to the next scan."""
    summaries_read: int = 0
    list_requests: int = 0
    full_reads: int = 0
    refused: list[DeadLetter] = field(default_factory=list)
    """Summaries without a key, each with the summary as it came (`Listing.refused`)."""


def summary_hash(summary: Mapping[str, object]) -> str:
    """Hash of a list summary, independent of key order and number formatting."""
    return content_hash(dict(summary))


@dataclass(frozen=True)
class Listing:
    """One pass over a resource's list: each key's summary digest, in list order, and the
    keys whose summary the caller asked to pick out (summaries themselves are not kept:
    a large company's would fill memory); and a dead letter for each summary without a
    key, which holds the summary (it cannot be read in full, nor kept under a key)."""

    digests: dict[str, str]
    picked: set[str]
    last_updated: datetime | None
    requests: int
    refused: list[DeadLetter] = field(default_factory=list)


def keyed_summaries(
    resource: RawResource, summaries: Iterable[Mapping[str, Any]], refused: list[DeadLetter]
) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """Each of `summaries` with its key; one without a key (`RawResource.key_of`) is added
    to `refused` as a dead letter holding the summary as it came, and passed over."""
    for summary in summaries:
        try:
            key = resource.key_of(summary)
        except ValidationFailed as keyless:
            refused.append(dead_letter_of(keyless, summary))
            continue
        yield key, summary


def list_digests(
    resource: RawResource,
    *,
    perpage: int = SCAN_PAGE,
    pick: Callable[[Mapping[str, Any]], bool] = lambda summary: False,
) -> Listing:
    """Every summary of `resource` with its digest, the keys of those `pick` says, and
    the newest `LastUpdatedDate`."""
    if not resource.client.logged_in:
        resource.client.login()  # so the request count below is the listing's own
    requests_before = resource.client.stats.requests
    digests: dict[str, str] = {}
    picked: set[str] = set()
    newest: datetime | None = None
    refused: list[DeadLetter] = []
    for key, summary in keyed_summaries(resource, resource.list(perpage=perpage), refused):
        digests[key] = summary_hash(summary)
        if pick(summary):
            picked.add(key)
        updated = mapping.parse_datetime(mapping.field(summary, "LastUpdatedDate"))
        if updated is not None:
            updated = updated.replace(tzinfo=None)
            newest = updated if newest is None or updated > newest else newest
    requests = resource.client.stats.requests - requests_before
    return Listing(digests, picked, newest, requests, refused)


def scan_changes(
    resource: Resource[R], previous: ScanState | None = None, *, perpage: int = SCAN_PAGE
) -> ScanResult[R]:
    """One change scan of `resource` (customers, suppliers, invoices, purchases...)."""
    before = previous or ScanState()
    listing = list_digests(resource, perpage=perpage)
    hashes = dict(listing.digests)
    stale = [key for key, digest in hashes.items() if before.hashes.get(key) != digest]
    newest = before.last_updated
    if listing.last_updated is not None and (newest is None or listing.last_updated > newest):
        newest = listing.last_updated
    list_requests = listing.requests
    changed: list[R] = []
    vanished: list[str] = []
    for key in stale:
        try:
            changed.append(resource.read(key))
        except NotFound:
            vanished.append(key)
            hashes.pop(key, None)
    deleted = sorted(set(before.hashes) - set(hashes)) + vanished
    log.info(
        "kashflow change scan",
        extra={
            "system": "kashflow",
            "entity": resource.entity,
            "summaries": len(hashes) + len(vanished) + len(listing.refused),
            "changed": len(changed),
            "deleted": len(deleted),
            "refused": len(listing.refused),
        },
    )
    return ScanResult(
        changed=changed,
        deleted=deleted,
        state=ScanState(hashes, newest),
        summaries_read=len(hashes) + len(vanished) + len(listing.refused),
        list_requests=list_requests,
        full_reads=len(stale),
        refused=listing.refused,
    )
