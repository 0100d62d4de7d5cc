"""Unmatched items: the open invoices and unallocated payments the newest reconcile run left,
less those a person has matched since, a page at a time, with totals by currency, system
and age bucket."""

from __future__ import annotations

import threading
from collections import OrderedDict
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Annotated, Any, Literal

import orjson
import psycopg
from pydantic import BaseModel, Field, TypeAdapter

from api.services.decisions import RunRef, latest_run
from api.services.errors import InvalidRequest
from api.services.pages import Page, SortKey, check_limit, decode_cursor, encode_cursor
from api.services.sql import query
from api.services.steps import Query, Steps, run_steps, run_steps_async
from api.services.texts import KeyText, Name, NoNul

AgeBucket = Literal["0-30", "31-60", "61-90", "90+"]
AGE_BUCKETS: dict[str, tuple[int, int | None]] = {
    "0-30": (0, 30),
    "31-60": (31, 60),
    "61-90": (61, 90),
    "90+": (91, None),
}
"""Days since the item's date (issue date, or payment date), both ends included; an item
dated in the future is as young as it gets (`unmatched_page` ages the items so), so the
first bucket's filter has no end date, as the last's has no start."""
AGE_BUCKET_PARAMETERS = {
    "age_buckets": list(AGE_BUCKETS),
    "age_bucket_starts": [low for low, _ in AGE_BUCKETS.values()][1:],
}
"""`AGE_BUCKETS` as the queries take them: the names, and the first age of each bucket but
the first (which takes every age before the second's)."""
ItemKind = Literal["invoice", "payment", "sales_invoice", "purchase_invoice"]
KIND_ENTITIES = {
    "invoice": ["sales_invoice", "purchase_invoice"],
    "payment": ["payment"],
    "sales_invoice": ["sales_invoice"],
    "purchase_invoice": ["purchase_invoice"],
}


class UnmatchedFilters(BaseModel):
    """Which unmatched items to show; every filter is optional. Its limits are the API's:
    the route's query model is these fields with a cursor and a limit."""

    system: Name = Field(default=None, examples=["sage100"])
    kind: ItemKind | None = Field(default=None, description="invoice, payment, or one entity.")
    counterparty: Annotated[str, Field(max_length=300), NoNul] | None = Field(
        default=None,
        description="The counterparty as `system:key` (a linked pair: its KashFlow key).",
        examples=["kashflow:CUST0001"],
    )
    currency: Annotated[str, Field(min_length=3, max_length=3), NoNul] | None = Field(
        default=None, examples=["GBP"]
    )
    age_bucket: AgeBucket | None = None
    min_amount: Decimal | None = Field(
        default=None, description="Smallest open amount.", allow_inf_nan=False, max_digits=20
    )
    max_amount: Decimal | None = Field(
        default=None, description="Largest open amount.", allow_inf_nan=False, max_digits=20
    )


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


def _parameters(filters: UnmatchedFilters, today: date) -> dict[str, Any]:
    """The filters as the queries' parameters (an age bucket as a range of dates, open
    towards the future for the first bucket)."""
    if (
        filters.min_amount is not None
        and filters.max_amount is not None
        and filters.min_amount > filters.max_amount
    ):
        raise InvalidRequest(
            f"smallest amount {filters.min_amount} is larger than largest amount"
            f" {filters.max_amount}",
            field="min_amount",
        )
    date_from = date_to = None
    if filters.age_bucket is not None:
        low, high = AGE_BUCKETS[filters.age_bucket]
        youngest = filters.age_bucket == next(iter(AGE_BUCKETS))
        date_to = None if youngest else today - timedelta(days=low)
        date_from = None if high is None else today - timedelta(days=high)
    return {
        "system": filters.system,
        "entities": KIND_ENTITIES[filters.kind] if filters.kind else None,
        "counterparty": filters.counterparty,
        "currency": filters.currency.upper() if filters.currency else None,
        "min_amount": filters.min_amount,
        "max_amount": filters.max_amount,
        "date_from": date_from,
        "date_to": date_to,
        "today": today,
        **AGE_BUCKET_PARAMETERS,
    }


LISTING = "unmatched"
START = {"after_system": "", "after_entity": "", "after_key": ""}
"""Before the smallest (system, entity, key)."""
SORT_KEY: SortKey = TypeAdapter(tuple[KeyText, KeyText, KeyText])
"""(system, entity, key): texts, as `ledger.unmatched_item` holds them."""


def _page_parameters(
    filters: UnmatchedFilters, cursor: str | None, limit: int, today: date | None
) -> dict[str, Any]:
    """The parameters of `unmatched_page` for the page after `cursor` (the first without)."""
    check_limit(limit)
    key = decode_cursor(LISTING, cursor, SORT_KEY)
    after = START if key is None else dict(zip(START, key, strict=True))
    day = today or datetime.now(UTC).date()
    return {
        **_parameters(filters, day), **after, "kind": "reconcile", "limit": limit,
        "first": key is None,
    }  # fmt: skip


def _page_json(row: Any, params: dict[str, Any], totals: list[UnmatchedTotal] | None) -> bytes:
    """The page (an `UnmatchedPage`) as JSON, from the row `unmatched_page` read and the
    totals of a first page: the items are JSON already, as PostgreSQL made them."""
    if row is None:  # no run yet
        return (
            UnmatchedPage(items=[], run=None, totals=[] if params["first"] else None)
            .model_dump_json()
            .encode()
        )
    run = RunRef(run_id=row[0], started_at=row[1], finished_at=row[2])
    next_cursor = None if row[5] is None else encode_cursor(LISTING, row[5])
    merged = None if totals is None else _merge(totals, by=("currency",))
    return b"".join((
        b'{"items":', row[4].encode(), b',"next_cursor":', orjson.dumps(next_cursor),
        b',"run":', run.model_dump_json().encode(), b',"totals":', TOTALS.dump_json(merged), b"}",
    ))  # fmt: skip


TOTALS: TypeAdapter[list[UnmatchedTotal] | None] = TypeAdapter(list[UnmatchedTotal] | None)


def list_unmatched(
    conn: psycopg.Connection[Any],
    filters: UnmatchedFilters,
    cursor: str | None = None,
    limit: int = 50,
    today: date | None = None,
) -> UnmatchedPage:
    """One page of unmatched items in (system, entity, key) order; totals on the first."""
    steps = _page_steps(conn.info, filters, cursor, limit, today)
    return UnmatchedPage.model_validate_json(run_steps(conn, steps))


async def read_unmatched_page(
    conn: psycopg.AsyncConnection[Any], filters: UnmatchedFilters, cursor: str | None, limit: int
) -> bytes:
    """`list_unmatched`'s page as JSON, on an async connection (the JSON API's listing)."""
    return await run_steps_async(conn, _page_steps(conn.info, filters, cursor, limit, None))


def _page_steps(
    info: psycopg.ConnectionInfo,
    filters: UnmatchedFilters,
    cursor: str | None,
    limit: int,
    today: date | None,
) -> Steps[bytes]:
    """The page as JSON, read in one query (two on a first page whose totals are not
    kept yet)."""
    params = _page_parameters(filters, cursor, limit, today)
    rows = yield Query(query("unmatched_page"), params)
    row = rows[0] if rows else None
    totals = None
    if row is not None and params["first"]:
        key = _totals_key(info, row[3], row[0], params)
        totals = _kept_totals(key)
        if totals is None:
            found = yield Query(query("unmatched_totals"), {**params, "run_id": row[0]})
            totals = _keep_totals(key, found)
    return _page_json(row, params, totals)


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
    rows = _total_rows(conn, run.run_id, _parameters(filters or UnmatchedFilters(), day))
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
TOTALS_FILTERS = (*_parameters(UnmatchedFilters(), date.min),)
"""The parameters the totals depend on (beside the run): the filters and the day."""


def _totals_key(
    info: psycopg.ConnectionInfo, newest_decision: int | None, run_id: int, params: dict[str, Any]
) -> tuple[Any, ...]:
    where = (info.host, info.port, info.dbname)
    return (where, newest_decision, run_id, *((k, str(params[k])) for k in TOTALS_FILTERS))


def _kept_totals(key: tuple[Any, ...]) -> list[UnmatchedTotal] | None:
    with _totals_lock:
        kept = _totals.get(key)
        if kept is not None:
            _totals.move_to_end(key)
    return kept


def _keep_totals(key: tuple[Any, ...], rows: list[Any]) -> list[UnmatchedTotal]:
    """The totals `unmatched_totals` read, kept under `key`."""
    totals = [
        UnmatchedTotal(currency=c, system=s, age_bucket=b, items=n, amount_open=amount)
        for c, s, b, n, amount in rows
    ]
    with _totals_lock:
        _totals[key] = totals
        while len(_totals) > TOTALS_KEPT:
            _totals.popitem(last=False)
    return totals


def _total_rows(
    conn: psycopg.Connection[Any], run_id: int, params: dict[str, Any]
) -> list[UnmatchedTotal]:
    """The totals of run `run_id`'s items under the filters, by currency, system and age
    bucket (kept, until a new match decision)."""
    newest = conn.execute(
        "SELECT max(decision_id) FROM ledger.decision WHERE kind = 'match'"
    ).fetchone()
    key = _totals_key(conn.info, newest[0] if newest else None, run_id, params)
    totals = _kept_totals(key)
    if totals is None:
        rows = conn.execute(query("unmatched_totals"), {**params, "run_id": run_id}).fetchall()
        totals = _keep_totals(key, rows)
    return totals


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
