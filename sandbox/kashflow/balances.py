"""Customer and supplier balances: a party's `OutstandingBalance` is what is still
unpaid on its invoices (suppliers: purchases), gross minus payments, and its
`TotalPaidAmount` what was paid on them.

Each write adds the change of the one document it wrote to that document's party (and
takes it from the party the document left), so keeping them costs two key lookups
however many documents the party has. `recount` sums every document once, for seeding
and for stores written before balances were kept. A balance moving does not move the
party's `LastUpdatedDate`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from sandbox.kashflow import documents as docs
from sandbox.kashflow.store import Row, Store

PARTIES = {"invoices": ("customers", "CustomerCode"), "purchases": ("suppliers", "SupplierCode")}
"""Document resource -> (party resource, the document's party code field)."""
COUNTED = "balances"
"""Meta flag: the store's balances were summed from its documents and kept since."""

Change = dict[str, tuple[Decimal, Decimal]]
"""Party code -> (outstanding, paid) to add."""


def share(document: Mapping[str, Any]) -> tuple[Decimal, Decimal]:
    """What one settled document (`documents.settle`) adds to its party: (due, paid)."""
    return Decimal(str(document["DueAmount"])), Decimal(str(document["TotalPaidAmount"]))


def _add(change: Change, code: str, owed: Decimal, paid: Decimal) -> None:
    before_owed, before_paid = change.get(code, (Decimal(0), Decimal(0)))
    change[code] = (before_owed + owed, before_paid + paid)


def change_of(
    resource: str, before: Mapping[str, Any] | None, after: Mapping[str, Any] | None
) -> Change:
    """What replacing `before` by `after` (either None: created or deleted) moves, by party."""
    change: Change = {}
    if resource not in PARTIES:
        return change
    field = PARTIES[resource][1]
    if before is not None:
        owed, paid = share(before)
        _add(change, str(before[field]), -owed, -paid)
    if after is not None:
        owed, paid = share(after)
        _add(change, str(after[field]), owed, paid)
    return change


def party_rows(store: Store, resource: str, change: Change) -> list[Row]:
    """The parties of documents of `resource` with `change` added, as rows to store with
    the documents' own; parties that do not move are left out."""
    if resource not in PARTIES:
        return []
    parties = PARTIES[resource][0]
    fields = docs.CUSTOMER_SUMMARY if parties == "customers" else docs.SUPPLIER_SUMMARY
    rows: list[Row] = []
    for code, (owed, paid) in change.items():
        party = store.get(parties, code)
        if party is None or (not owed and not paid):
            continue
        party["OutstandingBalance"] = Decimal(str(party["OutstandingBalance"])) + owed
        party["TotalPaidAmount"] = Decimal(str(party["TotalPaidAmount"])) + paid
        rows.append((parties, code, party, docs.summary(party, fields)))
    return rows


def keep(store: Store, resource: str, changes: Iterable[Change]) -> None:
    """Adds many documents' `changes` to their parties (seeding straight into the store)."""
    total: Change = {}
    for change in changes:
        for code, (owed, paid) in change.items():
            _add(total, code, owed, paid)
    store.write(party_rows(store, resource, total))


def recount(store: Store) -> None:
    """Sets every party's balances to the sum over its documents (one pass over all of
    them), and marks the store as kept from now on."""
    for resource, (parties, field) in PARTIES.items():
        totals: Change = {}
        for document in store.records(resource):
            _add(totals, str(document[field]), *share(document))
        fields = docs.CUSTOMER_SUMMARY if parties == "customers" else docs.SUPPLIER_SUMMARY
        rows = []
        for party in store.records(parties):
            owed, paid = totals.get(str(party["Code"]), (Decimal(0), Decimal(0)))
            if (party.get("OutstandingBalance"), party.get("TotalPaidAmount")) == (owed, paid):
                continue
            party["OutstandingBalance"], party["TotalPaidAmount"] = owed, paid
            rows.append((str(party["Code"]), party, docs.summary(party, fields)))
        store.put_many(parties, rows)
    store.set_meta(COUNTED, "1")


def ensure_counted(store: Store) -> None:
    """Recounts a store written before balances were kept (once)."""
    if store.meta(COUNTED) is None:
        recount(store)
