"""What every emulated business object shares: the column buffer checked against Sage's
types (`_Buffer`), and keys, values, write and delete with audit stamps, the codes and
terms a column takes, and the reference checks objects make of each other's tables
(`_BusinessObject`). Documents with lines build on it in `documents`.
"""

from __future__ import annotations

import sqlite3
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any, ClassVar

from sandbox.sage100.boi.session import (
    ERROR,
    EXISTING_RECORD,
    LOCKS,
    NEW_RECORD,
    OK,
    WARNING,
    SY_Session,
    _text_date,
)
from sandbox.sage100.company import Column, audit_stamp, blank_value, columns_in

if TYPE_CHECKING:
    from sandbox.sage100.boi.script import ProvideXScript


def _boi_date(value: str | None) -> str:
    return value.replace("-", "") if value else ""


def _money(value: Any) -> Decimal:
    return Decimal(str(value or 0))


class _Buffer:
    """Column values being edited, checked against the table's Sage types as they are set."""

    def __init__(self, table: str, db: sqlite3.Connection) -> None:
        self.table = table
        self.columns: dict[str, Column] = {c.name: c for c in columns_in(db, table)}
        self.values: dict[str, Any] = {}

    def column_for(self, boi_name: str) -> Column:
        name = boi_name[:-1] if boi_name.endswith("$") else boi_name
        column = self.columns.get(name)
        if column is None or column.boi_name != boi_name:
            raise LookupError(f"The column {boi_name} is not in the IOList.")
        return column

    def coerce(self, column: Column, value: Any) -> Any:
        """The stored form of `value`, or ValueError with Sage's message."""
        if column.kind == "date":
            try:
                return _text_date(value) or None
            except (ValueError, TypeError):
                raise ValueError(f"The {column.name} is not a valid date: {value!r}.") from None
        if column.kind == "text":
            text = "" if value is None else str(value)
            if column.width is not None and len(text) > column.width:
                raise ValueError(
                    f"The {column.name} is too long: {len(text)} characters,"
                    f" the maximum is {column.width}."
                )
            return text
        if isinstance(value, bool):
            raise ValueError(f"The {column.name} must be numeric: {value!r}.")
        try:
            number = Decimal(str(value).strip() or "0")
        except InvalidOperation:
            raise ValueError(f"The {column.name} must be numeric: {value!r}.") from None
        if not number.is_finite():
            raise ValueError(f"The {column.name} must be numeric: {value!r}.")
        number = number.quantize(Decimal(1).scaleb(-column.scale), rounding=ROUND_HALF_UP)
        if column.width is not None and abs(number) >= Decimal(10) ** (column.width - column.scale):
            raise ValueError(f"The {column.name} is too large: {value}.")
        return str(number)

    def stored(self, boi_name: str, value: Any) -> tuple[Column, Any]:
        """The column `boi_name` names and `value` as it would store there, or LookupError
        or ValueError with Sage's message."""
        column = self.column_for(boi_name)
        return column, self.coerce(column, value)

    def get(self, boi_name: str) -> Any:
        column = self.column_for(boi_name)
        value = self.values.get(column.name)
        if column.kind == "date":
            return _boi_date(value)
        if column.kind == "text":
            return value or ""
        return float(value or 0)

    def text(self, name: str) -> str:
        return str(self.values.get(name) or "").strip()


class _BusinessObject:
    """What every Sage business object does: keys, values, write, delete, clear."""

    TABLE: ClassVar[str]
    KEY: ClassVar[tuple[str, ...]]
    REQUIRED: ClassVar[tuple[str, ...]] = ()
    TERMS_TABLE: ClassVar[str | None] = None
    """Where a TermsCode set on this object must be on file."""
    CODES: ClassVar[dict[str, tuple[str, ...]]] = {}
    """Columns that take one of a few codes, and those codes."""

    def __init__(self, script: ProvideXScript, session: SY_Session) -> None:
        self.script = script
        self.session = session
        self.sLastErrorMsg = ""
        self.nEditState = 0
        self._warning = ""
        self._buffer = _Buffer(self.TABLE, self.db)
        self._key_values: dict[str, str] = {}

    # -- plumbing -------------------------------------------------------------------------
    @property
    def db(self) -> sqlite3.Connection:
        return self.script.db

    def _fail(self, message: str) -> int:
        self.sLastErrorMsg = message
        return ERROR

    def _ok(self) -> int:
        self.sLastErrorMsg = ""
        return OK

    def _stamp(self, *, created: bool = False) -> dict[str, str]:
        """The audit columns (date, time, user) of a write by this session now."""
        return audit_stamp(self.script.clock(), self.session.user or "", created=created)

    def _row(self, table: str, where: dict[str, Any]) -> sqlite3.Row | None:
        clause = " AND ".join(f"{k} = ?" for k in where)
        row: sqlite3.Row | None = self.db.execute(
            f"SELECT * FROM {table} WHERE {clause}", tuple(where.values())
        ).fetchone()
        return row

    def _lock(self, table: str, key: tuple[str, ...]) -> bool:
        return LOCKS.take((self.script.path, table, key), self.session.session_id)

    def _handed_out(self) -> set[str]:
        return self.script.handed_out.setdefault(type(self).__name__, set())

    def _release(self) -> None:
        LOCKS.release_all(self.session.session_id)

    def _reset(self) -> None:
        self._release()
        self._buffer = _Buffer(self.TABLE, self.db)
        self._key_values = {}
        self.nEditState = 0

    # -- the BOI surface ------------------------------------------------------------------
    def nSetKeyValue(self, column: str, value: Any) -> int:
        self.script.check_connected()
        try:
            col = self._buffer.column_for(column)
            if col.name not in self.KEY:
                return self._fail(f"The column {column} is not part of the key.")
            self._key_values[col.name] = self._buffer.coerce(col, value)
        except (LookupError, ValueError) as exc:
            return self._fail(str(exc.args[0]))
        return self._ok()

    def nSetKey(self, *key: Any) -> int:
        self.script.check_connected()
        if key:
            if len(self.KEY) != 1 or len(key) != 1:
                return self._fail("nSetKey takes the key value only for a one-column key.")
            status = self.nSetKeyValue(self._buffer.columns[self.KEY[0]].boi_name, key[0])
            if status != OK:
                return status
        self._release()
        for name in self.KEY:
            if not str(self._key_values.get(name, "")).strip():
                return self._fail(f"The {name} is required.")
        problem = self._check_key()
        if problem:
            return self._fail(problem)
        key_tuple = tuple(str(self._key_values[k]) for k in self.KEY)
        if not self._lock(self.TABLE, key_tuple):
            return self._fail(f"The record {'-'.join(key_tuple)} is in use by another user.")
        existing = self._existing()
        self._buffer = _Buffer(self.TABLE, self.db)
        if existing is not None:
            self._buffer.values = dict(existing)
            self.nEditState = EXISTING_RECORD
        else:
            self._buffer.values = dict(self._key_values) | self._defaults()
            self.nEditState = NEW_RECORD
        self.sLastErrorMsg = ""
        return self.nEditState

    def nSetValue(self, column: str, value: Any) -> int:
        self.script.check_connected()
        if self.nEditState == 0:
            return self._fail("No record is selected; call nSetKey first.")
        try:
            col, stored = self._buffer.stored(column, value)
        except (LookupError, ValueError) as exc:
            return self._fail(str(exc.args[0]))
        if col.name in self.KEY:
            return self._fail(f"The {col.name} is part of the key; use nSetKeyValue.")
        problem = self._check_value(col.name, stored)
        if problem:
            return self._fail(problem)
        self._buffer.values[col.name] = stored
        return self._ok()

    def nGetValue(self, column: str, value: Any = None) -> tuple[int, Any]:
        self.script.check_connected()
        try:
            return self._ok(), self._buffer.get(column)
        except LookupError as exc:
            return self._fail(str(exc.args[0])), value

    def nWrite(self) -> int:
        self.script.check_connected()
        if self.nEditState == 0:
            return self._fail("No record is selected; call nSetKey first.")
        for name in self.REQUIRED:
            if not self._buffer.text(name):
                return self._fail(f"The {name} is required.")
        self._warning = ""
        try:
            with self.db:
                problem = self._write()
                if problem:
                    raise _Refused(problem)
        except _Refused as refused:
            return self._fail(str(refused))
        self._reset()
        if self._warning:
            self.sLastErrorMsg = self._warning
            return WARNING
        return self._ok()

    def nDelete(self) -> int:
        self.script.check_connected()
        if self.nEditState != EXISTING_RECORD:
            return self._fail("The record is not on file.")
        where = {k: self._buffer.values[k] for k in self.KEY}
        with self.db:
            self.db.execute(
                f"DELETE FROM {self.TABLE} WHERE " + " AND ".join(f"{k} = ?" for k in where),
                tuple(where.values()),
            )
        self._reset()
        return self._ok()

    def nClear(self) -> int:
        self._reset()
        return self._ok()

    def DropObject(self) -> None:
        self._reset()

    # -- what each object adds ------------------------------------------------------------
    def _check_key(self) -> str | None:
        return None

    def _existing(self) -> sqlite3.Row | None:
        return self._row(self.TABLE, {k: self._key_values[k] for k in self.KEY})

    def _defaults(self) -> dict[str, Any]:
        return {}

    def _check_value(self, column: str, value: Any) -> str | None:
        if column == "TermsCode" and self.TERMS_TABLE:
            return self._terms_problem(self.TERMS_TABLE, value)
        codes = self.CODES.get(column)
        if codes is not None and value not in codes:
            use = f"; use {' or '.join(codes)}" if len(codes) == 2 else ""
            return f"The {column} {value} is invalid{use}."
        return None

    def _write(self) -> str | None:
        self._upsert(self.TABLE, self._buffer, created=self.nEditState == NEW_RECORD)
        return None

    def _put(self, table: str, values: dict[str, Any], *, created: bool = True) -> None:
        """Writes one row of `table` from its column values: a new row, blanks filled,
        unless `created` is False."""
        row = _Buffer(table, self.db)
        row.values = values
        self._upsert(table, row, created=created)

    def _upsert(self, table: str, buffer: _Buffer, *, created: bool) -> None:
        values = {k: v for k, v in buffer.values.items() if k in buffer.columns}
        if created:
            values = {name: blank_value(column) for name, column in buffer.columns.items()} | values
        values |= {k: v for k, v in self._stamp(created=created).items() if k in buffer.columns}
        names = list(values)
        self.db.execute(
            f"INSERT OR REPLACE INTO {table} ({', '.join(names)})"
            f" VALUES ({', '.join('?' for _ in names)})",
            tuple(values[n] for n in names),
        )

    def _update(
        self,
        table: str,
        changes: dict[str, Any],
        where: dict[str, Any],
        stamp: dict[str, str] | None = None,
    ) -> int:
        """Updates the rows of `table` that match `where` and stamps them as every write is
        (with `stamp` when given); `changes` maps each assignment ("Balance = ?",
        "Total = COALESCE(Total, 0) + ?") to its value. Returns how many rows changed."""
        stamp = stamp or self._stamp()
        sets = [*changes, *(f"{column} = ?" for column in stamp)]
        cursor = self.db.execute(
            f"UPDATE {table} SET {', '.join(sets)} WHERE "
            + " AND ".join(f"{k} = ?" for k in where),
            (*changes.values(), *stamp.values(), *where.values()),
        )
        return cursor.rowcount

    def _item_total(self, item_code: str, delta: Decimal) -> None:
        """Keeps CI_Item.TotalQuantityOnHand with the warehouses."""
        self._update(
            "CI_Item",
            {"TotalQuantityOnHand = COALESCE(TotalQuantityOnHand, 0) + ?": str(delta)},
            {"ItemCode": item_code},
        )

    # -- shared reference checks ----------------------------------------------------------
    def _customer(self, division: str, customer_no: str) -> sqlite3.Row | None:
        return self._row("AR_Customer", {"ARDivisionNo": division, "CustomerNo": customer_no})

    def _vendor(self, division: str, vendor_no: str) -> sqlite3.Row | None:
        return self._row("AP_Vendor", {"APDivisionNo": division, "VendorNo": vendor_no})

    def _vendor_problem(self, division: str, vendor_no: str) -> str | None:
        where = {"APDivisionNo": division, "VendorNo": vendor_no}
        return self._reference_problem(
            f"VendorNo {division}-{vendor_no}", "AP_Vendor", where, status="VendorStatus"
        )

    def _account_problem(self, account_key: str) -> str | None:
        if not account_key:
            return None
        where = {"AccountKey": account_key}
        return self._reference_problem(
            f"AccountKey {account_key}", "GL_Account", where, status="Status", shown="Account"
        )

    def _item_problem(self, item_code: str) -> str | None:
        where = {"ItemCode": item_code}
        return self._reference_problem(
            f"ItemCode {item_code}", "CI_Item", where, status="InactiveItem", active="N"
        )

    def _reference_problem(
        self,
        name: str,
        table: str,
        where: dict[str, Any],
        *,
        status: str,
        active: str = "A",
        shown: str | None = None,
    ) -> str | None:
        """Why the record `name` refers to ("VendorNo 01-RST0000") cannot be used: no row
        of `table` matches `where`, or the row's `status` column (blank read as `active`)
        is not `active`. The inactive message shows the row's `shown` column too, if named."""
        row = self._row(table, where)
        if row is None:
            return f"The {name} is not on file."
        if (row[status] or active) != active:
            also = f" ({row[shown]})" if shown else ""
            return f"The {name}{also} is inactive."
        return None

    def _period_problem(self, column: str, posting_date: str) -> str | None:
        period = self.db.execute(
            "SELECT FiscalYear, FiscalPeriod, PeriodStatus FROM GL_FiscalYearDetail"
            " WHERE PeriodEndingDate >= ? ORDER BY PeriodEndingDate LIMIT 1",
            (posting_date,),
        ).fetchone()
        if period is None:
            return f"The {column} {posting_date} is not in a fiscal year on file."
        if period["PeriodStatus"] == "C":
            return (
                f"The {column} {posting_date} is in a closed period"
                f" ({period['FiscalYear']}-{period['FiscalPeriod']})."
            )
        return None

    def _terms_problem(self, table: str, terms_code: str) -> str | None:
        if terms_code and self._row(table, {"TermsCode": terms_code}) is None:
            return f"The TermsCode {terms_code} is not on file."
        return None

    def _default_due_date(self, terms_table: str, header: dict[str, Any]) -> None:
        """An invoice without an InvoiceDueDate is due its terms' DaysBeforeDue after its
        InvoiceDate (on the day itself when the terms are not on file)."""
        if header.get("InvoiceDueDate"):
            return
        terms = self._row(terms_table, {"TermsCode": header["TermsCode"]})
        days = int(Decimal(str(terms["DaysBeforeDue"] or 0))) if terms else 0
        header["InvoiceDueDate"] = date.fromordinal(
            date.fromisoformat(header["InvoiceDate"]).toordinal() + days
        ).isoformat()


class _Refused(Exception):
    """A write refused part-way: the transaction rolls back and the message is returned."""
