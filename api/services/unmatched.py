"""Unmatched items: the open invoices and unallocated payments the newest reconcile run left,
less those a person has matched since, a page at a time, with totals by currency, system
and age bucket."""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from functools import partial
from typing import Any, Literal

import psycopg
from pydantic import BaseModel, Field

from api.services.decisions import RunRef, latest_run
from api.services.errors import InvalidRequest
from api.services.pages import Listing, Page
from api.services.sql import query

AgeBucket = Literal["0-30", "31-60", "61-90", "90+"]
AGE_BUCKETS: dict[str, tuple[int, int | None]] = {
    "0-30": (0, 30),
    "31-60": (31, 60),
    "61-90": (61, 90),
    "90+": (91, None),
}
"""Days since the item's date (issue date, or payment date), both ends included."""
ItemKind = Literal["invoice", "payment", "sales_invoice", "purchase_invoice"]
KIND_ENTITIES = {
    "invoice": ["sales_invoice", "purchase_invoice"],
    "payment": ["payment"],
    "sales_invoice": ["sales_invoice"],
    "purchase_invoice": ["purchase_invoice"],
}


class UnmatchedFilters(BaseModel):
    """Which unmatched items to show; every filter is optional."""

    system: str | None = Field(default=None, examples=["sage100"])
    kind: ItemKind | None = Field(default=None, description="invoice, payment, or one entity.")
    counterparty: str | None = Field(
        default=None,
        description="The counterparty as `system:key` (a linked pair: its KashFlow key).",
        examples=["kashflow:CUST0001"],
    )
    currency: str | None = Field(default=None, examples=["GBP"])
    age_bucket: AgeBucket | None = None
    min_amount: Decimal | None = Field(default=None, description="Smallest open amount.")
    max_amount: Decimal | None = Field(default=None, description="Largest open amount.")


class UnmatchedItemOut(BaseModel):
    system: str = Field(examples=["kashflow"])
    entity: str = Field(examples=["sales_invoice"])
    key: str = Field(examples=["10042"])
    counterparty: str | None = Field(examples=["kashflow:CUST0001"])
    currency: str = Field(examples=["GBP"])
    amount: Decimal = Field(description="The whole document's amount.", examples=["1200.00"])
    amount_open: Decimal = Field(description="What no match accounts for.", examples=["200.00"])
    date: date
    age_days: int
    age_bucket: AgeBucket
    reference: str | None = None


class UnmatchedTotal(BaseModel):
    """Open amount and count of the items of one currency (and system and age bucket)."""

    currency: str = Field(examples=["GBP"])
    system: str | None = None
    age_bucket: AgeBucket | None = None
    items: int
    amount_open: Decimal


class UnmatchedPage(Page[UnmatchedItemOut]):
    run: RunRef | None = Field(description="The reconcile run these items come from.")
    totals: list[UnmatchedTotal] | None = Field(
        default=None,
        description="Totals by currency under the same filters, on the first page only.",
    )


class UnmatchedSummary(BaseModel):
    """Totals of everything unmatched: by currency; by system; by age bucket."""

    run: RunRef | None
    by_currency: list[UnmatchedTotal]
    by_system: list[UnmatchedTotal]
    by_age: list[UnmatchedTotal]


def age_of(item_date: date, today: date) -> tuple[int, str]:
    days = (today - item_date).days
    for bucket, (low, high) in AGE_BUCKETS.items():
        if days >= low and (high is None or days <= high):
            return days, bucket
    return days, "0-30"  # dated in the future: as young as it gets


def _parameters(filters: UnmatchedFilters, run_id: int, today: date) -> dict[str, Any]:
    if (
        filters.min_amount is not None
        and filters.max_amount is not None
        and filters.min_amount > filters.max_amount
    ):
        raise InvalidRequest("min_amount is larger than max_amount", field="min_amount")
    date_from = date_to = None
    if filters.age_bucket is not None:
        low, high = AGE_BUCKETS[filters.age_bucket]
        date_to = today - timedelta(days=low)
        date_from = None if high is None else today - timedelta(days=high)
    return {
        "run_id": run_id,
        "system": filters.system,
        "entities": KIND_ENTITIES[filters.kind] if filters.kind else None,
        "counterparty": filters.counterparty,
        "currency": filters.currency.upper() if filters.currency else None,
        "min_amount": filters.min_amount,
        "max_amount": filters.max_amount,
        "date_from": date_from,
        "date_to": date_to,
        "today": today,
    }


def _item(row: Any, day: date | None = None) -> UnmatchedItemOut:
    """An unmatched item, aged on `day` (today when not given)."""
    days, bucket = age_of(row[7], day or datetime.now(UTC).date())
    return UnmatchedItemOut(
        system=row[0], entity=row[1], key=row[2], counterparty=row[3], currency=row[4],
        amount=row[5], amount_open=row[6], date=row[7], age_days=days,
        age_bucket=bucket,  # type: ignore[arg-type]
        reference=row[8],
    )  # fmt: skip


UNMATCHED = Listing(
    "unmatched", "unmatched_page", {"after_system": "", "after_entity": "", "after_key": ""},
    _item,
)  # fmt: skip


def list_unmatched(
    conn: psycopg.Connection[Any],
    filters: UnmatchedFilters,
    cursor: str | None = None,
    limit: int = 50,
    today: date | None = None,
) -> UnmatchedPage:
    """One page of unmatched items in (system, entity, key) order; totals on the first."""
    after = UNMATCHED.after(cursor, limit)
    run = latest_run(conn)
    if run is None:
        return UnmatchedPage(items=[], run=None, totals=[] if cursor is None else None)
    day = today or datetime.now(UTC).date()
    params = _parameters(filters, run.run_id, day)
    aged_on_day = replace(UNMATCHED, build=partial(_item, day=day))
    items, next_cursor = aged_on_day.read(conn, after, limit, **params)
    totals = None
    if cursor is None:
        totals = _merge(_total_rows(conn, params), by=("currency",))
    return UnmatchedPage(items=items, next_cursor=next_cursor, run=run, totals=totals)


def unmatched_summary(
    conn: psycopg.Connection[Any],
    filters: UnmatchedFilters | None = None,
    today: date | None = None,
) -> UnmatchedSummary:
    """Totals of the unmatched items, for a glance (the front page's chart)."""
    run = latest_run(conn)
    if run is None:
        return UnmatchedSummary(run=None, by_currency=[], by_system=[], by_age=[])
    day = today or datetime.now(UTC).date()
    rows = _total_rows(conn, _parameters(filters or UnmatchedFilters(), run.run_id, day))
    return UnmatchedSummary(
        run=run,
        by_currency=_merge(rows, by=("currency",)),
        by_system=_merge(rows, by=("currency", "system")),
        by_age=_merge(rows, by=("currency", "age_bucket")),
    )


TOTALS_KEPT = 512
_totals: OrderedDict[tuple[Any, ...], list[UnmatchedTotal]] = OrderedDict()
_totals_lock = threading.Lock()
"""Totals already summed, by database, run, newest match decision, filters and day: the
ledger is append-only, so those determine the totals exactly (a new run or a new match
decision is a new key). Spares summing a run's items on every first page."""


def _total_rows(conn: psycopg.Connection[Any], params: dict[str, Any]) -> list[UnmatchedTotal]:
    newest = conn.execute(
        "SELECT max(decision_id) FROM ledger.decision WHERE kind = 'match'"
    ).fetchone()
    where = (conn.info.host, conn.info.port, conn.info.dbname)
    key = (where, newest[0] if newest else None, *sorted((k, str(v)) for k, v in params.items()))
    with _totals_lock:
        kept = _totals.get(key)
        if kept is not None:
            _totals.move_to_end(key)
    if kept is not None:
        return [total.model_copy() for total in kept]
    rows = [
        UnmatchedTotal(currency=c, system=s, age_bucket=b, items=n, amount_open=amount)
        for c, s, b, n, amount in conn.execute(query("unmatched_totals"), params).fetchall()
    ]
    with _totals_lock:
        _totals[key] = rows
        while len(_totals) > TOTALS_KEPT:
            _totals.popitem(last=False)
    return [total.model_copy() for total in rows]


def _merge(rows: list[UnmatchedTotal], by: tuple[str, ...]) -> list[UnmatchedTotal]:
    """`rows` summed over the fields not in `by`, in order of `by`."""
    merged: dict[tuple[Any, ...], UnmatchedTotal] = {}
    order = list(AGE_BUCKETS)
    for row in rows:
        group = tuple(getattr(row, name) for name in by)
        kept = merged.get(group)
        if kept is None:
            merged[group] = UnmatchedTotal(
                currency=row.currency,
                system=row.system if "system" in by else None,
                age_bucket=row.age_bucket if "age_bucket" in by else None,
                items=row.items,
                amount_open=row.amount_open,
            )
        else:
            kept.items += row.items
            kept.amount_open += row.amount_open
    return sorted(
        merged.values(),
        key=lambda t: (
            t.currency,
            t.system or "",
            order.index(t.age_bucket) if t.age_bucket else 0,
        ),
    )
