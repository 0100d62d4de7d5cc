"""Keyset pagination: a page is the rows after the last one of the page before, in a total
order, so reading page 1,000 costs what page 1 costs. Cursors are opaque to clients:
url-safe base64 of the last row's sort key, tagged with what they page through, and taken
back only with a key of the listing's types. A `Listing` reads its pages with one query of
`api/services/sql`."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Annotated, Any, Generic, TypeVar

import orjson
import psycopg
from pydantic import BaseModel, Field, Strict, TypeAdapter, ValidationError

from api.services.errors import InvalidRequest, NotFound
from api.services.sql import query

Item = TypeVar("Item", bound=BaseModel)

DEFAULT_LIMIT = 50
MAX_LIMIT = 500
RowId = Annotated[int, Strict(), Field(ge=0, le=2**63 - 1)]
"""A row's id (a bigint) in a cursor's sort key."""
SortKey = TypeAdapter[tuple[Any, ...]]
"""The types of a listing's sort key: a cursor whose key is not of them is refused, as it
would fail the query (a text where an id goes, a NUL, a name no enum of the ledger has)."""
BY_ROW_ID: SortKey = TypeAdapter(tuple[RowId])
"""The sort key of a listing in the order of its rows' ids."""


class Page(BaseModel, Generic[Item]):
    """One page of a listing; `next_cursor` fetches the next, null on the last page."""

    items: list[Item]
    next_cursor: str | None = Field(
        default=None, description="Pass as `cursor` for the next page; null on the last page."
    )


def encode_cursor(listing: str, key: Sequence[Any]) -> str:
    raw = orjson.dumps([listing, list(key)], default=str)
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(listing: str, cursor: str | None, sort_key: SortKey) -> list[Any] | None:
    """The sort key a cursor of `listing` carries, of the types of `sort_key`; None for no
    cursor (the first page)."""
    if cursor is None or cursor == "":
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        tag, key = orjson.loads(raw)
    except (binascii.Error, ValueError, TypeError):
        raise InvalidRequest("cursor is not one this API gave out", field="cursor") from None
    other = InvalidRequest(f"cursor is not a cursor of {listing}", field="cursor")
    if tag != listing or not isinstance(key, list):
        raise other
    try:
        return list(sort_key.validate_python(key))
    except ValidationError:
        raise other from None


def check_limit(limit: int) -> int:
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidRequest(f"limit must be between 1 and {MAX_LIMIT}", field="limit")
    return limit


def page_of(
    listing: str,
    rows: Sequence[Any],
    limit: int,
    build: Callable[[Any], Item],
    sort_key: Callable[[Any], Sequence[Any]],
) -> tuple[list[Item], str | None]:
    """Items of `rows` (fetched with `limit + 1`) and the cursor of the next page."""
    more = len(rows) > limit
    shown = rows[:limit]
    items = [build(row) for row in shown]
    cursor = encode_cursor(listing, sort_key(shown[-1])) if more and shown else None
    return items, cursor


@dataclass(frozen=True)
class Listing(Generic[Item]):
    """A listing read in keyset order by the query `api/services/sql/<query>.sql`: `name`
    tags its cursors; `start` holds the query's cursor parameters, in sort order, as they
    are before the first row (a row's sort key is its first as many columns), and
    `sort_key` their types; `defaults` holds its other parameters (filters: None for any);
    `build` makes a row an item."""

    name: str
    query: str
    start: Mapping[str, Any]
    build: Callable[[Any], Item]
    defaults: Mapping[str, Any] = field(default_factory=dict)
    sort_key: SortKey = BY_ROW_ID

    def after(self, cursor: str | None, limit: int) -> dict[str, Any]:
        """The cursor parameters of the page `cursor` points to (`start` without one)."""
        check_limit(limit)
        key = decode_cursor(self.name, cursor, self.sort_key)
        return dict(self.start) if key is None else dict(zip(self.start, key, strict=True))

    def rows(self, conn: psycopg.Connection[Any], **params: Any) -> list[Any]:
        return conn.execute(query(self.query), {**self.start, **self.defaults, **params}).fetchall()

    def read(
        self, conn: psycopg.Connection[Any], after: Mapping[str, Any], limit: int, **params: Any
    ) -> tuple[list[Item], str | None]:
        """The items of the page after `after`, and the cursor of the next page."""
        rows = self.rows(conn, **{**params, **after, "limit": limit + 1})
        width = len(self.start)
        return page_of(self.name, rows, limit, self.build, lambda row: list(row[:width]))

    def page(
        self, conn: psycopg.Connection[Any], cursor: str | None, limit: int, **params: Any
    ) -> tuple[list[Item], str | None]:
        return self.read(conn, self.after(cursor, limit), limit, **params)

    def one(self, conn: psycopg.Connection[Any], missing: str, **params: Any) -> Item:
        """The item the parameters pick out; NotFound (`missing`) when there is none."""
        rows = self.rows(conn, **{**params, "limit": 1})
        if not rows:
            raise NotFound(missing, field="id")
        return self.build(rows[0])
