"""Reads a Sage 100 company over ODBC: full scans, key sets, and incremental change reads.

The connection string comes from configuration as it is: `DSN=SOTAMAS90;UID=...;PWD=...;
Company=ABC` for the ProvideX driver, an SQL Server string for Premium, or
`DRIVER=SQLite3;Database=PATH` for the sandbox company. Rows come in batches
(`fetchmany`), and every WHERE clause filters on an indexed column only: key columns, or
DateUpdated (Sage indexes keys; the sandbox adds an index on DateUpdated).

Incremental reads and their promise. `read_changes(entity, since)` returns the records
whose (DateUpdated, TimeUpdated) is at or after `since` minus an overlap window, and a new
`Watermark`: the newest stamp among what it returned (or `since` again when nothing
changed), plus the (key, stamp) versions it delivered inside the overlap window.
TimeUpdated is decimal hours as text ("13.50000" = 13:30:00), neither padded nor indexed,
so the query selects on DateUpdated alone (`>= {d 'YYYY-MM-DD'}` of the day the window
starts) and the time is compared here. Comparison is `>=` and the window reaches back
`overlap` (default 120 s) before the watermark, so a record stamped at the watermark, in
the same second as the last one read, across midnight, or by a writer whose clock or
transaction lags, is never skipped. Versions already delivered (key and stamp) are not
returned again, so a read after N writes returns those N; a record with a new stamp
always is, and one stamped in the very tick of the watermark (TimeUpdated resolves to
0.036 s, so a second write in that tick keeps the stamp) is rebuilt and returned when its
content hash differs. Delivery is **at least once**: with an older or lost watermark the
same version comes back, and the ledger's content hash makes the repeat a no-op. Store a
watermark only once the records before it are stored. Deletes leave no stamp:
`key_set(entity)` scans every key so the caller can diff key sets.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from types import TracebackType
from typing import Any, Self

import pyodbc

from canonical import CanonicalRecord, ConnectionLost, PermanentError
from connectors.sage100 import keys, mapping
from connectors.sage100.mapping import Lookups, Row
from connectors.sage100.settings import Sage100Settings

DEFAULT_OVERLAP = timedelta(seconds=120)
KEYS_PER_QUERY = 100


@dataclass(frozen=True)
class Watermark:
    """Where an incremental read of one entity stands: the newest (DateUpdated,
    TimeUpdated) seen, and which versions inside the overlap window were already delivered
    (canonical key and stamp), so that re-reading the window returns only what is new."""

    updated_at: datetime
    delivered: frozenset[tuple[str, datetime]] = frozenset()
    boundary: frozenset[tuple[str, str]] = frozenset()
    """(key, content hash) of what was delivered stamped exactly at `updated_at`: a second
    write in that same TimeUpdated tick keeps the stamp, so there content decides."""

    def window_start(self, overlap: timedelta) -> datetime:
        return self.updated_at - overlap

    def to_text(self) -> str:
        return json.dumps(
            {
                "updated_at": self.updated_at.isoformat(),
                "delivered": sorted([key, stamp.isoformat()] for key, stamp in self.delivered),
                "boundary": sorted([key, digest] for key, digest in self.boundary),
            }
        )

    @classmethod
    def from_text(cls, text: str) -> Watermark:
        stored = json.loads(text)
        return cls(
            datetime.fromisoformat(stored["updated_at"]),
            frozenset((key, datetime.fromisoformat(stamp)) for key, stamp in stored["delivered"]),
            frozenset((key, digest) for key, digest in stored.get("boundary", [])),
        )


@dataclass(frozen=True)
class ChangeBatch:
    """What an incremental read returns: records (at least once) and where to resume."""

    entity: str
    records: list[CanonicalRecord]
    watermark: Watermark | None


def stamp_of(row: Row) -> datetime | None:
    """The instant of a row's (DateUpdated, TimeUpdated); None when it was never stamped."""
    day = mapping.day(row.get("DateUpdated"))
    if day is None:
        return None
    start = datetime(day.year, day.month, day.day)
    time_text = str(row.get("TimeUpdated") or "").strip()
    if not time_text:
        return start
    return start + timedelta(microseconds=int(mapping.number(time_text) * 3_600_000_000))


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
    build: Callable[[Sage100Reader, Sequence[KeyTuple] | None, Lookups], Iterator[Any]]
    skip_key: Callable[[KeyTuple], bool] = lambda key: False


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

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def rows(self, sql: str, params: Sequence[Any] = ()) -> Iterator[dict[str, Any]]:
        """Rows of a query as column -> value, fetched `batch_size` at a time."""
        try:
            cursor = self.connection().cursor()
            cursor.execute(sql, *params)
            names = [column[0] for column in cursor.description]
            while True:
                batch = cursor.fetchmany(self.batch_size)
                if not batch:
                    break
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
                r["TermsCode"]: int(mapping.number(r["DaysBeforeDue"]))
                for r in self.rows("SELECT TermsCode, DaysBeforeDue FROM AR_TermsCode")
            },
            ap_terms={
                r["TermsCode"]: int(mapping.number(r["DaysBeforeDue"]))
                for r in self.rows("SELECT TermsCode, DaysBeforeDue FROM AP_TermsCode")
            },
            accounts={
                r["AccountKey"]: r["Account"]
                for r in self.rows("SELECT AccountKey, Account FROM GL_Account")
            },
            currency=self.currency,
        )

    # -- the three reads -------------------------------------------------------------------
    def read_all(self, entity: str) -> Iterator[CanonicalRecord]:
        """Every record of `entity` the company holds."""
        spec = _entity(entity)
        yield from spec.build(self, None, self.lookups())

    def key_set(self, entity: str) -> set[str]:
        """Every canonical key of `entity`: compare two of them to find deletes."""
        spec = _entity(entity)
        source = spec.sources[0]
        columns = ", ".join(source.key_columns)
        result = set()
        for row in self.rows(f"SELECT DISTINCT {columns} FROM {source.table}"):
            key = tuple(str(row[c]) for c in source.key_columns)
            if not spec.skip_key(key):
                result.add(spec.canonical_key(key))
        return result

    def read_changes(self, entity: str, since: Watermark | None) -> ChangeBatch:
        """Records of `entity` stamped at or after `since` minus the overlap window, except
        versions `since` says were delivered already; everything when `since` is None."""
        spec = _entity(entity)
        lookups = self.lookups()
        if since is None:
            # Stamps first, then the scan: the watermark never passes a record not read.
            newest = self.newest_stamp(spec)
            if newest is None:
                return ChangeBatch(entity, list(spec.build(self, None, lookups)), None)
            recent = self.stamps_since(spec, newest - self.overlap)
            records = list(spec.build(self, None, lookups))
            return ChangeBatch(entity, records, self._watermark(spec, newest, recent, records))
        stamps = self.stamps_since(spec, since.window_start(self.overlap))
        wanted = sorted(
            key
            for key, stamp in stamps.items()
            if (spec.canonical_key(key), stamp) not in since.delivered or stamp == since.updated_at
        )
        built = list(spec.build(self, wanted, lookups)) if wanted else []
        records = [r for r in built if (r.key, r.content_hash) not in since.boundary]
        newest = max([*stamps.values(), since.updated_at])
        return ChangeBatch(entity, records, self._watermark(spec, newest, stamps, built))

    def _watermark(
        self,
        spec: _Entity,
        newest: datetime,
        stamps: dict[KeyTuple, datetime],
        built: list[CanonicalRecord],
    ) -> Watermark:
        start = newest - self.overlap
        at_newest = {spec.canonical_key(k) for k, stamp in stamps.items() if stamp == newest}
        return Watermark(
            newest,
            frozenset(
                (spec.canonical_key(key), stamp) for key, stamp in stamps.items() if stamp >= start
            ),
            frozenset((r.key, r.content_hash) for r in built if r.key in at_newest),
        )

    def stamps_since(self, spec: _Entity, start: datetime) -> dict[KeyTuple, datetime]:
        """Key -> newest stamp of the records of `spec` stamped at or after `start`.

        The query filters on DateUpdated only (indexed); TimeUpdated is compared here."""
        stamps: dict[KeyTuple, datetime] = {}
        for source in spec.sources:
            columns = ", ".join((*source.key_columns, "DateUpdated", "TimeUpdated"))
            sql = (
                f"SELECT {columns} FROM {source.table}"
                f" WHERE DateUpdated >= {date_literal(start.date())}"
            )
            for row in self.rows(sql):
                stamp = stamp_of(row)
                if stamp is None or stamp < start:
                    continue
                key = tuple(str(row[c]) for c in source.key_columns)
                if not spec.skip_key(key):
                    stamps[key] = max(stamp, stamps.get(key, stamp))
        return stamps

    def newest_stamp(self, spec: _Entity) -> datetime | None:
        newest: datetime | None = None
        for source in spec.sources:
            latest_day = next(
                iter(self.rows(f"SELECT MAX(DateUpdated) AS D FROM {source.table}")), {}
            ).get("D")
            day = mapping.day(latest_day)
            if day is None:
                continue
            start = datetime(day.year, day.month, day.day)
            for stamp in self.stamps_since(spec, start).values():
                newest = stamp if newest is None else max(newest, stamp)
        return newest


def _odbc_message(exc: pyodbc.Error) -> str:
    return " ".join(str(part) for part in exc.args)


# --------------------------------------------------------------------------------------
# Entities: which tables carry each, and how rows become records
# --------------------------------------------------------------------------------------


def _single_table(
    table: str,
    key_columns: tuple[str, ...],
    to_record: Callable[[Row, Lookups], CanonicalRecord],
    skip: Callable[[Row], bool] = lambda row: False,
) -> Callable[[Sage100Reader, Sequence[KeyTuple] | None, Lookups], Iterator[CanonicalRecord]]:
    def build(
        reader: Sage100Reader, key_values: Sequence[KeyTuple] | None, lookups: Lookups
    ) -> Iterator[CanonicalRecord]:
        rows: Iterable[Row]
        if key_values is None:
            rows = reader.rows(f"SELECT * FROM {table}")
        else:
            rows = reader.rows_for_keys(table, key_columns, key_values)
        for row in rows:
            if not skip(row):
                yield to_record(row, lookups)

    return build


def _grouped(rows: Iterable[Row], columns: Sequence[str]) -> dict[KeyTuple, list[Row]]:
    groups: dict[KeyTuple, list[Row]] = defaultdict(list)
    for row in rows:
        groups[tuple(str(row[c]) for c in columns)].append(row)
    return groups


def _document_rows(
    reader: Sage100Reader,
    table: str,
    key_columns: tuple[str, ...],
    key_values: Sequence[KeyTuple] | None,
) -> Iterable[Row]:
    if key_values is None:
        return reader.rows(f"SELECT * FROM {table}")
    return reader.rows_for_keys(table, key_columns, key_values)


def _sales_invoices(
    reader: Sage100Reader, key_values: Sequence[KeyTuple] | None, lookups: Lookups
) -> Iterator[CanonicalRecord]:
    key = ("InvoiceNo",)
    headers = _grouped(_document_rows(reader, "AR_InvoiceHistoryHeader", key, key_values), key)
    details = _grouped(_document_rows(reader, "AR_InvoiceHistoryDetail", key, key_values), key)
    opened = _grouped(_document_rows(reader, "AR_OpenInvoice", key, key_values), key)
    for invoice_key in sorted(headers):
        header = headers[invoice_key][0]
        seq = header.get("HeaderSeqNo")
        yield mapping.sales_invoice_from_rows(
            header,
            [d for d in details.get(invoice_key, []) if d.get("HeaderSeqNo") == seq],
            next(iter(opened.get(invoice_key, [])), None),
            lookups,
        )


AP_KEY = ("APDivisionNo", "VendorNo", "InvoiceNo")


def _purchase_invoices(
    reader: Sage100Reader, key_values: Sequence[KeyTuple] | None, lookups: Lookups
) -> Iterator[CanonicalRecord]:
    headers = _grouped(_document_rows(reader, "AP_InvoiceHeader", AP_KEY, key_values), AP_KEY)
    details = _grouped(_document_rows(reader, "AP_InvoiceDetail", AP_KEY, key_values), AP_KEY)
    opened = _grouped(_document_rows(reader, "AP_OpenInvoice", AP_KEY, key_values), AP_KEY)
    for invoice_key in sorted(headers):
        yield mapping.purchase_invoice_from_rows(
            headers[invoice_key][0],
            details.get(invoice_key, []),
            next(iter(opened.get(invoice_key, [])), None),
            lookups,
        )


RECEIPT_KEY = ("DepositNo", "ARDivisionNo", "CustomerNo", "CheckNo")


def _receipts(
    reader: Sage100Reader, key_values: Sequence[KeyTuple] | None, lookups: Lookups
) -> Iterator[CanonicalRecord]:
    rows = _document_rows(reader, "AR_CashReceiptsHistory", RECEIPT_KEY, key_values)
    for _, group in sorted(_grouped(rows, RECEIPT_KEY).items()):
        yield mapping.receipt_from_rows(group)


JOURNAL_KEY = ("SourceJournal", "JournalRegisterNo")


def _journals(
    reader: Sage100Reader, key_values: Sequence[KeyTuple] | None, lookups: Lookups
) -> Iterator[CanonicalRecord]:
    rows = _document_rows(reader, "GL_DetailPosting", JOURNAL_KEY, key_values)
    for _, group in sorted(_grouped(rows, JOURNAL_KEY).items()):
        yield mapping.journal_from_rows(group, lookups)


def _is_misc_item(row: Row) -> bool:
    return str(row["ItemCode"]).startswith("/")


ENTITIES: dict[str, _Entity] = {
    spec.name: spec
    for spec in (
        _Entity(
            "customer",
            (_Source("AR_Customer", ("ARDivisionNo", "CustomerNo")),),
            lambda k: keys.customer_key(k[0], k[1]),
            _single_table("AR_Customer", ("ARDivisionNo", "CustomerNo"), mapping.customer_from_row),
        ),
        _Entity(
            "supplier",
            (_Source("AP_Vendor", ("APDivisionNo", "VendorNo")),),
            lambda k: keys.vendor_key(k[0], k[1]),
            _single_table("AP_Vendor", ("APDivisionNo", "VendorNo"), mapping.supplier_from_row),
        ),
        _Entity(
            "product",
            (_Source("CI_Item", ("ItemCode",)),),
            lambda k: k[0],
            _single_table("CI_Item", ("ItemCode",), mapping.product_from_row, _is_misc_item),
            skip_key=lambda k: k[0].startswith("/"),
        ),
        _Entity(
            "stock_level",
            (_Source("IM_ItemWarehouse", ("ItemCode", "WarehouseCode")),),
            lambda k: keys.stock_key(k[0], k[1]),
            _single_table(
                "IM_ItemWarehouse",
                ("ItemCode", "WarehouseCode"),
                lambda row, _: mapping.stock_from_row(row),
            ),
        ),
        _Entity(
            "gl_account",
            (_Source("GL_Account", ("Account",)),),
            lambda k: k[0],
            _single_table(
                "GL_Account", ("Account",), lambda row, _: mapping.gl_account_from_row(row)
            ),
        ),
        _Entity(
            "sales_invoice",
            (
                _Source("AR_InvoiceHistoryHeader", ("InvoiceNo",)),
                _Source("AR_OpenInvoice", ("InvoiceNo",)),
            ),
            lambda k: k[0],
            _sales_invoices,
        ),
        _Entity(
            "purchase_invoice",
            (_Source("AP_InvoiceHeader", AP_KEY), _Source("AP_OpenInvoice", AP_KEY)),
            lambda k: keys.ap_invoice_key(*k),
            _purchase_invoices,
        ),
        _Entity(
            "payment",
            (_Source("AR_CashReceiptsHistory", RECEIPT_KEY),),
            lambda k: keys.receipt_key(*k),
            _receipts,
        ),
        _Entity(
            "journal_entry",
            (_Source("GL_DetailPosting", JOURNAL_KEY),),
            lambda k: keys.journal_key(*k),
            _journals,
        ),
        _Entity(
            "order_status",
            (_Source("SO_SalesOrderHeader", ("SalesOrderNo",)),),
            lambda k: k[0],
            _single_table(
                "SO_SalesOrderHeader",
                ("SalesOrderNo",),
                lambda row, _: mapping.order_status_from_row(row),
            ),
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
