"""Reads a Sage 100 company over ODBC: full scans, reads by key, key sets, and stamps.

The connection string comes from configuration as it is: `DSN=SOTAMAS90;UID=...;PWD=...;
Company=ABC` for the ProvideX driver, an SQL Server string for Premium, or
`DRIVER=SQLite3;Database=PATH` for the sandbox company. Rows come in batches
(`fetchmany`), and every WHERE clause filters on an indexed column only: key columns, or
DateUpdated (Sage indexes keys; the sandbox adds an index on DateUpdated).

Reader entities are the canonical entities, and `supplier_payment`: A/P checks
(AP_CheckHistoryHeader/Detail), canonical payments of kind `supplier_payment` that land in
the `payment` ledger stream beside the cash receipts (`record_entity`, `owns_key`).

The reader answers "these rows, these keys": every record, the records of given keys
(`read_keys`), every key (`key_set`), and the (DateUpdated, TimeUpdated) stamps since an
instant (`stamps_since`). Deciding what to read — watermarks, overlap windows, key-set
diffs for deletes — is the CDC stage's (`cdc/sage100.py`). Each record read comes as a
`SourceRecord`: the canonical record (or why it could not be mapped), the raw native
rows it was built from, and its stamp.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Generator, Iterable, Iterator, Mapping, Sequence
from contextlib import closing
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import partial
from typing import Any, NamedTuple, Self

import pyodbc

from canonical import (
    CanonicalRecord,
    ConnectionLost,
    LedgerbridgeError,
    PermanentError,
    ValidationFailed,
)
from connectors.sage100 import keys, mapping
from connectors.sage100.mapping import Lookups, Row
from connectors.sage100.settings import Sage100Settings

DEFAULT_OVERLAP = timedelta(seconds=120)
KEYS_PER_QUERY = 100


class SourceRecord(NamedTuple):
    """One record as read: its canonical form (None when it cannot be mapped, with
    `error` saying why), the native rows it came from, and the source's updated-at."""

    key: str
    raw: dict[str, Any]
    updated_at: datetime | None
    record: CanonicalRecord | None
    error: LedgerbridgeError | None = None

    def checked(self) -> CanonicalRecord:
        """The canonical record, or the mapping error raised."""
        if self.record is None:
            assert self.error is not None
            raise self.error
        return self.record


def stamp_of(row: Row) -> datetime | None:
    """The instant of a row's (DateUpdated, TimeUpdated); None when it was never stamped."""
    day = mapping.day(row, "DateUpdated")
    if day is None:
        return None
    start = datetime(day.year, day.month, day.day)
    hours = mapping.number(row, "TimeUpdated")
    return start + timedelta(microseconds=int(hours * 3_600_000_000))


def date_literal(day: date) -> str:
    """An ODBC date escape, which the ProvideX driver and the SQLite driver both take."""
    return "{d '" + day.isoformat() + "'}"


KeyTuple = tuple[str, ...]


@dataclass(frozen=True)
class _Source:
    """A table whose DateUpdated says that records of an entity changed."""

    table: str
    key_columns: tuple[str, ...]


@dataclass(frozen=True)
class _Entity:
    name: str
    sources: tuple[_Source, ...]
    canonical_key: Callable[[KeyTuple], str]
    build: Build
    skip_key: Callable[[KeyTuple], bool] = lambda key: False
    record_entity: str = ""
    """The canonical entity its records are (and the ledger stream they land in), when it
    is not `name`: A/P checks are payments, beside the cash receipts."""
    owns: Callable[[str], bool] = lambda key: True
    """Which canonical keys of that ledger stream are this entity's."""


class Sage100Reader:
    """Reads canonical records from one Sage 100 company over ODBC."""

    def __init__(
        self,
        connection_string: str,
        *,
        overlap: timedelta = DEFAULT_OVERLAP,
        batch_size: int = 1000,
        currency: str = "GBP",
        login_timeout: int = 15,
        query_timeout: int = 300,
    ) -> None:
        self._connection_string = connection_string
        self.overlap = overlap
        self.batch_size = batch_size
        self.currency = currency
        self._login_timeout = login_timeout
        self._query_timeout = query_timeout
        self._connection: pyodbc.Connection | None = None
        self.rows_fetched = 0
        """Every row the server has returned to this reader: what reads cost Sage."""

    @classmethod
    def from_settings(cls, settings: Sage100Settings) -> Sage100Reader:
        """From `Sage100Settings` (connection string kept secret, overlap in seconds)."""
        return cls(
            settings.odbc_connection_string.get_secret_value(),
            overlap=timedelta(seconds=settings.overlap_seconds),
        )

    # -- connection ------------------------------------------------------------------------
    def connection(self) -> pyodbc.Connection:
        if self._connection is None:
            try:
                self._connection = pyodbc.connect(
                    self._connection_string, autocommit=True, timeout=self._login_timeout
                )
            except pyodbc.Error as exc:
                raise ConnectionLost(
                    "cannot open the Sage 100 ODBC connection",
                    system="sage100",
                    remote_message=_odbc_message(exc),
                ) from None
            self._connection.timeout = self._query_timeout
        return self._connection

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def rows(self, sql: str, params: Sequence[Any] = ()) -> Generator[dict[str, Any], None, None]:
        """Rows of a query as column -> value, fetched `batch_size` at a time."""
        try:
            cursor = self.connection().cursor()
            cursor.execute(sql, *params)
            names = [column[0] for column in cursor.description]
            while True:
                batch = cursor.fetchmany(self.batch_size)
                if not batch:
                    break
                self.rows_fetched += len(batch)
                for values in batch:
                    yield dict(zip(names, values, strict=True))
            cursor.close()
        except (pyodbc.OperationalError, pyodbc.InterfaceError) as exc:
            self.close()
            raise ConnectionLost(
                "the Sage 100 ODBC connection failed",
                system="sage100",
                remote_message=_odbc_message(exc),
            ) from None
        except pyodbc.Error as exc:
            raise PermanentError(
                f"Sage 100 refused the query {sql[:80]!r}",
                system="sage100",
                remote_message=_odbc_message(exc),
            ) from None

    def rows_for_keys(
        self,
        table: str,
        key_columns: Sequence[str],
        key_values: Sequence[KeyTuple],
        order_by: str = "",
    ) -> Iterator[dict[str, Any]]:
        """Rows whose key is among `key_values`, asked for a hundred keys at a time."""
        order = f" ORDER BY {order_by}" if order_by else ""
        for start in range(0, len(key_values), KEYS_PER_QUERY):
            chunk = key_values[start : start + KEYS_PER_QUERY]
            if len(key_columns) == 1:
                where = f"{key_columns[0]} IN ({', '.join('?' for _ in chunk)})"
            else:
                one = "(" + " AND ".join(f"{c} = ?" for c in key_columns) + ")"
                where = " OR ".join(one for _ in chunk)
            params = [value for key in chunk for value in key]
            yield from self.rows(f"SELECT * FROM {table} WHERE {where}{order}", params)

    # -- lookups ---------------------------------------------------------------------------
    def lookups(self) -> Lookups:
        """Terms codes and GL accounts as the company holds them now."""
        return Lookups(
            ar_terms={
                r["TermsCode"]: int(mapping.number(r, "DaysBeforeDue"))
                for r in self.rows("SELECT TermsCode, DaysBeforeDue FROM AR_TermsCode")
            },
            ap_terms={
                r["TermsCode"]: int(mapping.number(r, "DaysBeforeDue"))
                for r in self.rows("SELECT TermsCode, DaysBeforeDue FROM AP_TermsCode")
            },
            accounts={
                r["AccountKey"]: r["Account"]
                for r in self.rows("SELECT AccountKey, Account FROM GL_Account")
            },
            currency=self.currency,
        )

    # -- what there is ------------------------------------------------------------------
    def read_all(self, entity: str) -> Iterator[CanonicalRecord]:
        """Every record of `entity` the company holds (a record that cannot be mapped
        raises its `ValidationFailed`; `read_sourced` reports it and goes on)."""
        for sourced in self.read_sourced(entity):
            yield sourced.checked()

    def read_sourced(self, entity: str) -> Iterator[SourceRecord]:
        """Every record of `entity`, with its native rows and stamp."""
        spec = _entity(entity)
        yield from spec.build(self, None, self.lookups())

    def read_keys(
        self, entity: str, key_values: Sequence[KeyTuple], lookups: Lookups | None = None
    ) -> Iterator[SourceRecord]:
        """The records of `entity` with these native keys (as `stamps_since` gives them);
        keys that no longer exist are simply absent."""
        if not key_values:
            return
        spec = _entity(entity)
        yield from spec.build(self, key_values, lookups or self.lookups())

    def canonical_key(self, entity: str, key: KeyTuple) -> str:
        return _entity(entity).canonical_key(key)

    def record_entity(self, entity: str) -> str:
        """The canonical entity of the records of reader entity `entity` (its ledger
        stream): `payment` for `supplier_payment`, else `entity` itself."""
        return _entity(entity).record_entity or entity

    def owns_key(self, entity: str, key: str) -> bool:
        """Whether a canonical key of that ledger stream is one `entity` reads (receipts
        and A/P checks share the payment stream)."""
        return _entity(entity).owns(key)

    def key_set(self, entity: str) -> set[str]:
        """Every canonical key of `entity`: compare two of them to find deletes."""
        spec = _entity(entity)
        return {spec.canonical_key(key) for key in self.native_keys(entity)}

    def native_keys(self, entity: str) -> list[KeyTuple]:
        """Every native key of `entity`, sorted: read a company in bounded chunks of keys
        with `read_keys`."""
        spec = _entity(entity)
        source = spec.sources[0]
        columns = ", ".join(source.key_columns)
        found = set()
        for row in self.rows(f"SELECT DISTINCT {columns} FROM {source.table}"):
            key = tuple(str(row[c]) for c in source.key_columns)
            if not spec.skip_key(key):
                found.add(key)
        return sorted(found)

    def stamps_since(self, entity: str, start: datetime) -> dict[KeyTuple, datetime]:
        """Native key -> newest stamp of the records of `entity` stamped at or after `start`.

        The query filters on DateUpdated only (indexed); TimeUpdated is compared here. A
        stamp that cannot be read is refused, naming its record and column: without it no
        poll can tell when that record changes, so none passes over it unseen."""
        spec = _entity(entity)
        stamps: dict[KeyTuple, datetime] = {}
        for source in spec.sources:
            columns = ", ".join((*source.key_columns, "DateUpdated", "TimeUpdated"))
            sql = (
                f"SELECT {columns} FROM {source.table}"
                f" WHERE DateUpdated >= {date_literal(start.date())}"
            )
            for row in self.rows(sql):
                key = tuple(str(row[c]) for c in source.key_columns)
                if spec.skip_key(key):
                    continue
                try:
                    stamp = stamp_of(row)
                except mapping.UnreadableColumn as unreadable:
                    raise ValidationFailed(
                        f"{unreadable}: no change to this record can be seen",
                        system="sage100",
                        entity=entity,
                        key=spec.canonical_key(key),
                        field=f"raw.{unreadable.column}",
                    ) from None
                if stamp is not None and stamp >= start:
                    stamps[key] = max(stamp, stamps.get(key, stamp))
        return stamps

    def newest_stamp(self, entity: str) -> datetime | None:
        """The newest (DateUpdated, TimeUpdated) among the records of `entity`."""
        spec = _entity(entity)
        newest: datetime | None = None
        for source in spec.sources:
            day = self._newest_day(source.table)
            if day is None:
                continue
            start = datetime(day.year, day.month, day.day)
            for stamp in self.stamps_since(entity, start).values():
                newest = stamp if newest is None else max(newest, stamp)
        return newest

    def _newest_day(self, table: str) -> date | None:
        """The newest DateUpdated of `table` that is a date. Not MAX: a value that is no
        date sorts after every date in a column that holds text, and a record without a
        stamp is read as never stamped (`stamps_since`), not as the newest."""
        dates = self.rows(f"SELECT DISTINCT DateUpdated FROM {table} ORDER BY DateUpdated DESC")
        with closing(dates):
            for row in dates:
                try:
                    day = mapping.day(row, "DateUpdated")
                except mapping.UnreadableColumn:
                    continue
                if day is not None:
                    return day
        return None


def _odbc_message(exc: pyodbc.Error) -> str:
    return " ".join(str(part) for part in exc.args)


# --------------------------------------------------------------------------------------
# Entities: which tables carry each, and how rows become records
# --------------------------------------------------------------------------------------


def _sourced(
    entity: str,
    key: str,
    raw: dict[str, Any],
    rows: Sequence[Row],
    to_record: Callable[[], CanonicalRecord],
) -> SourceRecord:
    """Maps one record, catching what its rows make impossible, so a reader goes on."""
    updated_at = None
    try:
        stamps = [stamp for stamp in map(stamp_of, rows) if stamp is not None]
        updated_at = max(stamps) if stamps else None
        return SourceRecord(key, raw, updated_at, to_record())
    except ValidationFailed as refused:
        return SourceRecord(key, raw, updated_at, None, refused)
    except mapping.UnreadableColumn as unreadable:
        error = ValidationFailed(
            str(unreadable),
            system="sage100",
            entity=entity,
            key=key,
            field=_column_path(raw, unreadable.column, unreadable.value),
        )
        return SourceRecord(key, raw, updated_at, None, error)
    except (ValueError, ArithmeticError, TypeError, KeyError) as broken:
        error = ValidationFailed(
            f"cannot be mapped: {type(broken).__name__}: {broken}",
            system="sage100",
            entity=entity,
            key=key,
        )
        return SourceRecord(key, raw, updated_at, None, error)


def _column_path(raw: dict[str, Any], column: str, value: Any) -> str:
    """Where the unreadable `value` of `column` sits in a record's raw rows, as a dead
    letter names it: ``raw.Column`` for a one-row record, ``raw.<Table>.Column`` or
    ``raw.<Table>.<line>.Column`` for a document's header and lines."""
    if column in raw:
        return f"raw.{column}"
    for table, rows in raw.items():
        for at, row in enumerate(rows if isinstance(rows, list) else [rows]):
            if isinstance(row, Mapping) and column in row and row[column] == value:
                line = f"{at}." if isinstance(rows, list) else ""
                return f"raw.{table}.{line}{column}"
    return f"raw.{column}"


Build = Callable[[Sage100Reader, Sequence[KeyTuple] | None, Lookups], Iterator[SourceRecord]]


def _single_table(
    entity: str,
    table: str,
    key_columns: tuple[str, ...],
    canonical_key: Callable[[KeyTuple], str],
    to_record: Callable[[Row, Lookups], CanonicalRecord],
    skip: Callable[[Row], bool] = lambda row: False,
    skip_key: Callable[[KeyTuple], bool] = lambda key: False,
) -> _Entity:
    """An entity whose records are the rows of one table (one row, one record)."""

    def build(
        reader: Sage100Reader, key_values: Sequence[KeyTuple] | None, lookups: Lookups
    ) -> Iterator[SourceRecord]:
        for row in _table_rows(reader, table, key_columns, key_values):
            if not skip(row):
                key = canonical_key(tuple(str(row[c]) for c in key_columns))
                yield _sourced(entity, key, row, [row], partial(to_record, row, lookups))

    return _Entity(entity, (_Source(table, key_columns),), canonical_key, build, skip_key)


def _grouped(rows: Iterable[Row], columns: Sequence[str]) -> dict[KeyTuple, list[Row]]:
    groups: dict[KeyTuple, list[Row]] = defaultdict(list)
    for row in rows:
        groups[tuple(str(row[c]) for c in columns)].append(row)
    return groups


def _table_rows(
    reader: Sage100Reader,
    table: str,
    key_columns: tuple[str, ...],
    key_values: Sequence[KeyTuple] | None,
) -> Iterator[dict[str, Any]]:
    if key_values is None:
        return reader.rows(f"SELECT * FROM {table}")
    return reader.rows_for_keys(table, key_columns, key_values)


def _grouped_rows(
    reader: Sage100Reader,
    table: str,
    key_columns: tuple[str, ...],
    key_values: Sequence[KeyTuple] | None,
) -> dict[KeyTuple, list[Row]]:
    """A table's rows (all, or those of `key_values`) grouped by their key."""
    return _grouped(_table_rows(reader, table, key_columns, key_values), key_columns)


InvoiceToRecord = Callable[[Row, list[Row], Row | None, Lookups], CanonicalRecord]


def _invoices(
    entity: str,
    *,
    header_table: str,
    detail_table: str,
    open_table: str,
    key_columns: tuple[str, ...],
    canonical_key: Callable[[KeyTuple], str],
    to_record: InvoiceToRecord,
    lines_of: Callable[[Row, list[Row]], list[Row]] = lambda header, details: details,
) -> _Entity:
    """An invoice entity: a header row, its detail rows and its open-invoice row (none once
    paid), three tables keyed alike. `lines_of` picks a header's lines among the detail
    rows of its key."""

    def build(
        reader: Sage100Reader, key_values: Sequence[KeyTuple] | None, lookups: Lookups
    ) -> Iterator[SourceRecord]:
        headers = _grouped_rows(reader, header_table, key_columns, key_values)
        details = _grouped_rows(reader, detail_table, key_columns, key_values)
        opened = _grouped_rows(reader, open_table, key_columns, key_values)
        for invoice_key in sorted(headers):
            header = headers[invoice_key][0]
            lines = lines_of(header, details.get(invoice_key, []))
            open_row = next(iter(opened.get(invoice_key, [])), None)
            raw = {header_table: header, detail_table: lines, open_table: open_row}
            stamped = [header, *([open_row] if open_row else [])]
            yield _sourced(
                entity, canonical_key(invoice_key), raw, stamped,
                partial(to_record, header, lines, open_row, lookups),
            )  # fmt: skip

    sources = (_Source(header_table, key_columns), _Source(open_table, key_columns))
    return _Entity(entity, sources, canonical_key, build)


def _same_history_header(header: Row, details: list[Row]) -> list[Row]:
    """An A/R history invoice's lines: the detail rows of the header's HeaderSeqNo."""
    return [d for d in details if d.get("HeaderSeqNo") == header.get("HeaderSeqNo")]


AP_KEY = ("APDivisionNo", "VendorNo", "InvoiceNo")
CHECK_KEY = ("BankCode", "CheckNo", "CheckSeqNo")


def _supplier_payments(
    reader: Sage100Reader, key_values: Sequence[KeyTuple] | None, lookups: Lookups
) -> Iterator[SourceRecord]:
    headers = _grouped_rows(reader, "AP_CheckHistoryHeader", CHECK_KEY, key_values)
    details = _grouped_rows(reader, "AP_CheckHistoryDetail", CHECK_KEY, key_values)
    for check in sorted(headers):
        header = headers[check][0]
        lines = details.get(check, [])
        raw = {"AP_CheckHistoryHeader": header, "AP_CheckHistoryDetail": lines}
        yield _sourced(
            "payment", keys.check_key(*check), raw, [header, *lines],
            partial(mapping.supplier_payment_from_rows, header, lines),
        )  # fmt: skip


RECEIPT_KEY = ("DepositNo", "ARDivisionNo", "CustomerNo", "CheckNo")
JOURNAL_KEY = ("SourceJournal", "JournalRegisterNo")


def _grouped_table(
    entity: str,
    table: str,
    key_columns: tuple[str, ...],
    canonical_key: Callable[[KeyTuple], str],
    to_record: Callable[[list[Row], Lookups], CanonicalRecord],
    owns: Callable[[str], bool] = lambda key: True,
) -> _Entity:
    """An entity whose records are the rows of one table sharing a key (a receipt's
    applications, a journal's postings)."""

    def build(
        reader: Sage100Reader, key_values: Sequence[KeyTuple] | None, lookups: Lookups
    ) -> Iterator[SourceRecord]:
        groups = _grouped_rows(reader, table, key_columns, key_values)
        for group_key, group in sorted(groups.items()):
            yield _sourced(
                entity, canonical_key(group_key), {table: group}, group,
                partial(to_record, group, lookups),
            )  # fmt: skip

    return _Entity(entity, (_Source(table, key_columns),), canonical_key, build, owns=owns)


def _is_misc_item(row: Row) -> bool:
    return str(row["ItemCode"]).startswith("/")


ENTITIES: dict[str, _Entity] = {
    spec.name: spec
    for spec in (
        _single_table(
            "customer",
            "AR_Customer",
            ("ARDivisionNo", "CustomerNo"),
            lambda k: keys.customer_key(k[0], k[1]),
            mapping.customer_from_row,
        ),
        _single_table(
            "supplier",
            "AP_Vendor",
            ("APDivisionNo", "VendorNo"),
            lambda k: keys.vendor_key(k[0], k[1]),
            mapping.supplier_from_row,
        ),
        _single_table(
            "product",
            "CI_Item",
            ("ItemCode",),
            lambda k: k[0],
            mapping.product_from_row,
            _is_misc_item,
            skip_key=lambda k: k[0].startswith("/"),
        ),
        _single_table(
            "stock_level",
            "IM_ItemWarehouse",
            ("ItemCode", "WarehouseCode"),
            lambda k: keys.stock_key(k[0], k[1]),
            lambda row, _: mapping.stock_from_row(row),
        ),
        _single_table(
            "gl_account",
            "GL_Account",
            ("Account",),
            lambda k: k[0],
            lambda row, _: mapping.gl_account_from_row(row),
        ),
        _invoices(
            "sales_invoice",
            header_table="AR_InvoiceHistoryHeader",
            detail_table="AR_InvoiceHistoryDetail",
            open_table="AR_OpenInvoice",
            key_columns=("InvoiceNo",),
            canonical_key=lambda k: k[0],
            to_record=mapping.sales_invoice_from_rows,
            lines_of=_same_history_header,
        ),
        _invoices(
            "purchase_invoice",
            header_table="AP_InvoiceHeader",
            detail_table="AP_InvoiceDetail",
            open_table="AP_OpenInvoice",
            key_columns=AP_KEY,
            canonical_key=lambda k: keys.ap_invoice_key(*k),
            to_record=mapping.purchase_invoice_from_rows,
        ),
        _grouped_table(
            "payment",
            "AR_CashReceiptsHistory",
            RECEIPT_KEY,
            lambda k: keys.receipt_key(*k),
            lambda rows, _: mapping.receipt_from_rows(rows),
            owns=lambda key: not keys.is_check_key(key),
        ),
        _Entity(
            "supplier_payment",
            (
                _Source("AP_CheckHistoryHeader", CHECK_KEY),
                _Source("AP_CheckHistoryDetail", CHECK_KEY),
            ),
            lambda k: keys.check_key(*k),
            _supplier_payments,
            record_entity="payment",
            owns=keys.is_check_key,
        ),
        _grouped_table(
            "journal_entry",
            "GL_DetailPosting",
            JOURNAL_KEY,
            lambda k: keys.journal_key(*k),
            mapping.journal_from_rows,
        ),
        _single_table(
            "order_status",
            "SO_SalesOrderHeader",
            ("SalesOrderNo",),
            lambda k: k[0],
            lambda row, _: mapping.order_status_from_row(row),
        ),
    )
}


def _entity(name: str) -> _Entity:
    try:
        return ENTITIES[name]
    except KeyError:
        raise PermanentError(
            f"the Sage 100 reader knows no entity {name!r}; known: {', '.join(ENTITIES)}",
            system="sage100",
            entity=name,
        ) from None
