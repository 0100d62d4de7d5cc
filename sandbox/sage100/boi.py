"""An emulator of the Sage 100 Business Object Interface over the sandbox company file.

`ProvideXScript(company_db_path)` stands for `CreateObject("ProvideX.Script")`, so a
script written for the COM object runs against it unchanged::

    script = ProvideXScript("sage100.db")
    script.Init(r"C:\\Sage\\Sage 100\\MAS90\\Home")
    session = script.NewObject("SY_Session")
    session.nSetUser("ledgerbridge", "secret"); session.nSetCompany("ABC")
    session.nSetDate("A/R", "20261031"); session.nSetModule("A/R")
    session.nSetProgram(session.nLookupTask("AR_Customer_ui"))
    customer = script.NewObject("AR_Customer_bus", session)
    customer.nSetKeyValue("ARDivisionNo$", "01"); customer.nSetKeyValue("CustomerNo$", "ACME")
    customer.nSetKey()                     # 2 = new record, 1 = existing
    customer.nSetValue("CustomerName$", "Acme Ltd"); customer.nSetValue("CreditLimit", 5000)
    customer.nWrite() or print(customer.sLastErrorMsg)

Every call returns 1 (ok), -1 (warning: done, but read `sLastErrorMsg`, as when an invoice
takes a customer over its credit limit) or 0 (error, text in `sLastErrorMsg`). String and
date columns take a `$` suffix; dates are "YYYYMMDD". Out-parameters that COM passes by
reference (`nGetValue`, `nGetNext...No`) come back as `(return_value, value)`, which is
what pywin32 hands a Python caller. Validation follows Sage: unknown customer, vendor,
item or account, inactive item or account, a required column left blank, a value too
long or not numeric, a duplicate invoice number, a journal out of balance, a posting
date in a closed period; a record another session holds is "in use".

Where the sandbox is simpler than Sage: an invoice, receipt or journal is posted by its
own `nWrite` (no separate register/update step), straight into the history and open
item tables.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from pathlib import Path
from typing import Any, ClassVar

from sandbox.sage100.company import Column, audit_stamp, blank_value, columns_in, connect_company

OK, WARNING, ERROR = 1, -1, 0
EXISTING_RECORD, NEW_RECORD = 1, 2

TASKS: dict[str, int] = {
    name: number
    for number, name in enumerate(
        (
            "AR_Customer_ui",
            "AR_Invoice_ui",
            "AR_CashReceipts_ui",
            "AP_Vendor_ui",
            "AP_Invoice_ui",
            "CI_ItemCode_ui",
            "IM_Transaction_ui",
            "GL_Account_ui",
            "GL_GeneralJournal_ui",
            "SO_SalesOrder_ui",
        ),
        start=101,
    )
}


class BOIError(RuntimeError):
    """A call the COM server itself rejects (a COM exception, not a return code)."""


class BOIConnectionLost(BOIError):
    """The COM call failed because the Sage host went away."""


class _Locks:
    """Record locks shared by every session in this process, as Sage shares them per host."""

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._held: dict[tuple[str, str, tuple[str, ...]], int] = {}

    def take(self, lock: tuple[str, str, tuple[str, ...]], owner: int) -> bool:
        with self._guard:
            holder = self._held.setdefault(lock, owner)
            return holder == owner

    def release_all(self, owner: int) -> None:
        with self._guard:
            for lock in [k for k, v in self._held.items() if v == owner]:
                del self._held[lock]


LOCKS = _Locks()


def _text_date(value: str) -> str:
    """A BOI date ("YYYYMMDD") as the ISO text the company file stores."""
    text = str(value).strip()
    if text == "":
        return ""
    if len(text) != 8 or not text.isdigit():
        raise ValueError(text)
    return date(int(text[:4]), int(text[4:6]), int(text[6:])).isoformat()


def _boi_date(value: str | None) -> str:
    return value.replace("-", "") if value else ""


def _money(value: Any) -> Decimal:
    return Decimal(str(value or 0))


def _extension(line: _Buffer, quantity: str, price: str) -> None:
    """Sets the line's ExtensionAmt (quantity x price, to the penny) unless it is given."""
    if "ExtensionAmt" not in line.values:
        extension = _money(line.values.get(quantity)) * _money(line.values.get(price))
        line.values["ExtensionAmt"] = str(extension.quantize(Decimal("0.01"), ROUND_HALF_UP))


def _tax_split(lines: list[dict[str, Any]]) -> tuple[Decimal, Decimal, Decimal]:
    """(taxable, non-taxable, tax) of an invoice's lines: a line with a tax rate or amount
    is taxable."""
    taxable = non_taxable = tax = Decimal(0)
    for line in lines:
        amount = _money(line.get("ExtensionAmt"))
        if _money(line.get("TaxRate")) or _money(line.get("TaxAmt")):
            taxable += amount
        else:
            non_taxable += amount
        tax += _money(line.get("TaxAmt"))
    return taxable, non_taxable, tax


class ProvideXScript:
    """`CreateObject("ProvideX.Script")` for the sandbox company at `company_db_path`."""

    def __init__(
        self, company_db_path: str | Path, *, clock: Callable[[], datetime] = datetime.now
    ) -> None:
        self.path = str(Path(company_db_path).resolve())
        self.clock = clock
        self.home_path: str | None = None
        self._db: sqlite3.Connection | None = None
        self._lost = False
        self.handed_out: dict[str, set[str]] = {}
        """Numbers each object's nGetNext...No handed out and not yet written."""

    def Init(self, home_path: str) -> None:
        self.home_path = home_path
        self._db = connect_company(self.path)

    def NewObject(self, name: str, session: SY_Session | None = None) -> Any:
        self.check_connected()
        if name == "SY_Session":
            return SY_Session(self)
        kind = BUSINESS_OBJECTS.get(name)
        if kind is None:
            raise BOIError(f"NewObject: {name} is not a business object")
        if session is None or not session.ready():
            raise BOIError(
                f"NewObject({name}): the session needs nSetUser, nSetCompany and nSetProgram"
            )
        return kind(self, session)

    @property
    def db(self) -> sqlite3.Connection:
        self.check_connected()
        if self._db is None:
            raise BOIError("ProvideX.Script used before Init")
        return self._db

    def check_connected(self) -> None:
        if self._lost:
            raise BOIConnectionLost("The remote procedure call failed (the Sage host is gone)")

    def drop_connection(self) -> None:
        """Sandbox only: the Sage host goes away; every later call fails as COM would."""
        self._lost = True

    def restore_connection(self) -> None:
        self._lost = False

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None


class SY_Session:  # noqa: N801 (Sage's own class name)
    """The Sage session: who, which company, which date, which task."""

    _next_id: ClassVar[int] = 1

    def __init__(self, script: ProvideXScript) -> None:
        self.script = script
        self.session_id = SY_Session._next_id
        SY_Session._next_id += 1
        self.user: str | None = None
        self.company: str | None = None
        self.module: str | None = None
        self.program: int | None = None
        self.session_date: date | None = None
        self.sLastErrorMsg = ""

    def _fail(self, message: str) -> int:
        self.sLastErrorMsg = message
        return ERROR

    def nSetUser(self, user: str, password: str) -> int:
        self.script.check_connected()
        if not user.strip():
            return self._fail("User logon is required.")
        self.user = user.strip()
        return OK

    def nSetCompany(self, company: str) -> int:
        self.script.check_connected()
        code = company.strip().upper()
        if not code or len(code) > 3:
            return self._fail(f"Company code {company!r} is invalid.")
        self.company = code
        return OK

    def nSetDate(self, module: str, yyyymmdd: str) -> int:
        try:
            self.session_date = date.fromisoformat(_text_date(yyyymmdd))
        except ValueError:
            return self._fail(f"Date {yyyymmdd!r} is invalid.")
        return OK

    def nSetModule(self, module: str) -> int:
        self.module = module
        return OK

    def nLookupTask(self, task_name: str) -> int:
        task = TASKS.get(task_name, 0)
        if not task:
            self.sLastErrorMsg = f"Task {task_name} not found."
        return task

    def nSetProgram(self, task_id: int) -> int:
        if task_id not in TASKS.values():
            return self._fail(f"Program {task_id} is invalid.")
        self.program = task_id
        return OK

    def ready(self) -> bool:
        return bool(self.user and self.company and self.program)

    def today(self) -> date:
        return self.session_date or self.script.clock().date()

    def nCleanup(self) -> int:
        LOCKS.release_all(self.session_id)
        return OK

    def DropObject(self) -> None:
        self.nCleanup()


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
            col = self._buffer.column_for(column)
            stored = self._buffer.coerce(col, value)
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
        return None

    def _write(self) -> str | None:
        self._upsert(self.TABLE, self._buffer, created=self.nEditState == NEW_RECORD)
        return None

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

    def _item_total(self, item_code: str, delta: Decimal) -> None:
        """Keeps CI_Item.TotalQuantityOnHand with the warehouses, stamped as every write is."""
        stamp = self._stamp()
        self.db.execute(
            "UPDATE CI_Item SET TotalQuantityOnHand = COALESCE(TotalQuantityOnHand, 0) + ?,"
            " DateUpdated = ?, TimeUpdated = ?, UserUpdatedKey = ? WHERE ItemCode = ?",
            (
                str(delta),
                stamp["DateUpdated"],
                stamp["TimeUpdated"],
                stamp["UserUpdatedKey"],
                item_code,
            ),
        )

    # -- shared reference checks ----------------------------------------------------------
    def _customer(self, division: str, customer_no: str) -> sqlite3.Row | None:
        return self._row("AR_Customer", {"ARDivisionNo": division, "CustomerNo": customer_no})

    def _vendor(self, division: str, vendor_no: str) -> sqlite3.Row | None:
        return self._row("AP_Vendor", {"APDivisionNo": division, "VendorNo": vendor_no})

    def _account_problem(self, account_key: str) -> str | None:
        if not account_key:
            return None
        account = self._row("GL_Account", {"AccountKey": account_key})
        if account is None:
            return f"The AccountKey {account_key} is not on file."
        if (account["Status"] or "A") != "A":
            return f"The AccountKey {account_key} ({account['Account']}) is inactive."
        return None

    def _item_problem(self, item_code: str) -> str | None:
        item = self._row("CI_Item", {"ItemCode": item_code})
        if item is None:
            return f"The ItemCode {item_code} is not on file."
        if (item["InactiveItem"] or "N") == "Y":
            return f"The ItemCode {item_code} is inactive."
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


class _Lines:
    """`oLines` of a document object: add, set, write one line at a time."""

    def __init__(self, owner: _DocumentObject, table: str) -> None:
        self.owner = owner
        self.table = table
        self.sLastErrorMsg = ""
        self.nEditState = 0
        self.written: list[dict[str, Any]] = []
        self._line: _Buffer | None = None

    def _fail(self, message: str) -> int:
        self.sLastErrorMsg = message
        self.owner.sLastErrorMsg = message
        return ERROR

    def nAddLine(self) -> int:
        self.owner.script.check_connected()
        if self.owner.nEditState == 0:
            return self._fail("No document is selected; call nSetKey first.")
        self._line = _Buffer(self.table, self.owner.db)
        self._line.values = self.owner._line_defaults()
        self.nEditState = NEW_RECORD
        self.sLastErrorMsg = ""
        return OK

    def nSetValue(self, column: str, value: Any) -> int:
        self.owner.script.check_connected()
        if self._line is None:
            return self._fail("No line is selected; call nAddLine first.")
        try:
            col = self._line.column_for(column)
            stored = self._line.coerce(col, value)
        except (LookupError, ValueError) as exc:
            return self._fail(str(exc.args[0]))
        problem = self.owner._check_line_value(self._line, col.name, stored)
        if problem:
            return self._fail(problem)
        self._line.values[col.name] = stored
        self.sLastErrorMsg = ""
        return OK

    def nGetValue(self, column: str, value: Any = None) -> tuple[int, Any]:
        if self._line is None:
            return self._fail("No line is selected; call nAddLine first."), value
        try:
            return OK, self._line.get(column)
        except LookupError as exc:
            return self._fail(str(exc.args[0])), value

    def nWrite(self) -> int:
        self.owner.script.check_connected()
        if self._line is None:
            return self._fail("No line is selected; call nAddLine first.")
        problem = self.owner._complete_line(self._line)
        if problem:
            return self._fail(problem)
        self.written.append(dict(self._line.values))
        self._line = None
        self.nEditState = 0
        self.sLastErrorMsg = ""
        return OK

    def nDelete(self) -> int:
        self._line = None
        self.nEditState = 0
        return OK

    def nClear(self) -> int:
        return self.nDelete()


class _DocumentObject(_BusinessObject):
    """A header with lines; `nWrite` posts the whole document at once."""

    LINE_TABLE: ClassVar[str]

    def __init__(self, script: ProvideXScript, session: SY_Session) -> None:
        super().__init__(script, session)
        self.oLines = _Lines(self, self.LINE_TABLE)

    def _reset(self) -> None:
        super()._reset()
        self.oLines = _Lines(self, self.LINE_TABLE)

    def nSetKey(self, *key: Any) -> int:
        status = super().nSetKey(*key)
        if status == EXISTING_RECORD:
            self._release()
            self.nEditState = 0
            return self._fail(self._duplicate_message())
        return status

    def _duplicate_message(self) -> str:
        return "The document already exists."

    def _posting_problem(self, date_column: str, no_lines: str) -> str | None:
        """Why the document cannot post: its date is not in an open period, or it has no
        lines (`no_lines` says so)."""
        problem = self._period_problem(date_column, self._buffer.values[date_column])
        if problem:
            return problem
        return None if self.oLines.written else no_lines

    def _line_defaults(self) -> dict[str, Any]:
        return {}

    def _check_line_value(self, line: _Buffer, column: str, value: Any) -> str | None:
        return None

    def _complete_line(self, line: _Buffer) -> str | None:
        return None


# ---------------------------------------------------------------------------------------
# Masters
# ---------------------------------------------------------------------------------------


class AR_Customer_bus(_BusinessObject):  # noqa: N801 (Sage's own class name)
    TABLE = "AR_Customer"
    KEY = ("ARDivisionNo", "CustomerNo")
    REQUIRED = ("CustomerName", "TermsCode")

    def _defaults(self) -> dict[str, Any]:
        return {"CustomerStatus": "A", "DateEstablished": self.session.today().isoformat()}

    def _check_key(self) -> str | None:
        division = self._key_values["ARDivisionNo"]
        if not (division.isdigit() and len(division) == 2):
            return f"The ARDivisionNo {division} is invalid; divisions are two digits."
        return None

    def _check_value(self, column: str, value: Any) -> str | None:
        if column == "TermsCode":
            return self._terms_problem("AR_TermsCode", value)
        if column == "CustomerStatus" and value not in ("A", "I"):
            return f"The CustomerStatus {value} is invalid; use A or I."
        return None


class AP_Vendor_bus(_BusinessObject):  # noqa: N801 (Sage's own class name)
    TABLE = "AP_Vendor"
    KEY = ("APDivisionNo", "VendorNo")
    REQUIRED = ("VendorName", "TermsCode")

    def _defaults(self) -> dict[str, Any]:
        return {"VendorStatus": "A"}

    def _check_value(self, column: str, value: Any) -> str | None:
        if column == "TermsCode":
            return self._terms_problem("AP_TermsCode", value)
        if column == "VendorStatus" and value not in ("A", "I"):
            return f"The VendorStatus {value} is invalid; use A or I."
        return None


class CI_ItemCode_bus(_BusinessObject):  # noqa: N801 (Sage's own class name)
    TABLE = "CI_Item"
    KEY = ("ItemCode",)
    REQUIRED = ("ItemCodeDesc",)

    def _defaults(self) -> dict[str, Any]:
        return {
            "ItemType": "1",
            "InactiveItem": "N",
            "Valuation": "2",
            "DefaultWarehouseCode": "000",
            "UseInAR": "Y",
            "UseInSO": "Y",
            "UseInPO": "Y",
            "TaxClass": "TX",
        }

    def _check_value(self, column: str, value: Any) -> str | None:
        if column in ("SalesAcctKey", "CostOfGoodsSoldAcctKey", "InventoryAcctKey"):
            return self._account_problem(value)
        if column == "InactiveItem" and value not in ("Y", "N"):
            return f"The InactiveItem {value} is invalid; use Y or N."
        if column == "ItemType" and value not in ("1", "2", "3", "4", "5"):
            return f"The ItemType {value} is invalid."
        return None


class GL_Account_bus(_BusinessObject):  # noqa: N801 (Sage's own class name)
    """GL accounts, keyed by the formatted Account; AccountKey is assigned on first write."""

    TABLE = "GL_Account"
    KEY = ("AccountKey",)
    REQUIRED = ("AccountDesc",)

    def nSetKeyValue(self, column: str, value: Any) -> int:
        if column == "Account$":
            account = str(value).strip()
            found = self._row("GL_Account", {"Account": account})
            key = found["AccountKey"] if found else self._next_account_key()
            self._pending_account = account
            return super().nSetKeyValue("AccountKey$", key)
        return super().nSetKeyValue(column, value)

    def _next_account_key(self) -> str:
        row = self.db.execute("SELECT MAX(AccountKey) FROM GL_Account").fetchone()
        return f"{int(row[0] or 0) + 1:09d}"

    def _defaults(self) -> dict[str, Any]:
        account = getattr(self, "_pending_account", "")
        main = account.split("-")[0]
        return {
            "Account": account,
            "RawAccount": account.replace("-", ""),
            "MainAccountCode": main,
            "Status": "A",
        }

    def _check_value(self, column: str, value: Any) -> str | None:
        if column == "Status" and value not in ("A", "I"):
            return f"The Status {value} is invalid; use A or I."
        return None


# ---------------------------------------------------------------------------------------
# A/R invoices and cash receipts
# ---------------------------------------------------------------------------------------


def _next_number(db: sqlite3.Connection, sql: str, width: int, handed_out: set[str]) -> str:
    numbers = [int(r[0]) for r in db.execute(sql) if str(r[0]).isdigit()]
    candidate = max([*numbers, *(int(n) for n in handed_out), 0]) + 1
    number = f"{candidate:0{width}d}"
    handed_out.add(number)
    return number


class AR_Invoice_bus(_DocumentObject):  # noqa: N801 (Sage's own class name)
    """A/R invoice data entry, posted on write to invoice history and open invoices."""

    TABLE = "AR_InvoiceHistoryHeader"
    LINE_TABLE = "AR_InvoiceHistoryDetail"
    KEY = ("InvoiceNo",)
    REQUIRED = ("CustomerNo", "InvoiceDate", "TermsCode")

    def nGetNextInvoiceNo(self, invoice_no: str = "") -> tuple[int, str]:
        self.script.check_connected()
        number = _next_number(
            self.db,
            "SELECT InvoiceNo FROM AR_InvoiceHistoryHeader UNION SELECT InvoiceNo"
            " FROM AR_OpenInvoice",
            7,
            self._handed_out(),
        )
        return self._ok(), number

    def _existing(self) -> sqlite3.Row | None:
        number = self._key_values["InvoiceNo"]
        return self._row("AR_InvoiceHistoryHeader", {"InvoiceNo": number}) or self._row(
            "AR_OpenInvoice", {"InvoiceNo": number}
        )

    def _duplicate_message(self) -> str:
        return f"The InvoiceNo {self._key_values['InvoiceNo']} already exists."

    def _defaults(self) -> dict[str, Any]:
        return {
            "HeaderSeqNo": "000000",
            "ModuleCode": "A/R",
            "InvoiceType": "IN",
            "ARDivisionNo": "01",
            "SourceJournal": "SJ",
        }

    def _check_value(self, column: str, value: Any) -> str | None:
        if column == "CustomerNo":
            division = self._buffer.text("ARDivisionNo") or "01"
            customer = self._customer(division, value)
            if customer is None:
                return f"The CustomerNo {division}-{value} is not on file."
            if (customer["CustomerStatus"] or "A") != "A":
                return f"The CustomerNo {division}-{value} is inactive."
            self._buffer.values |= {
                "TermsCode": customer["TermsCode"] or "",
                "BillToName": customer["CustomerName"] or "",
                "BillToAddress1": customer["AddressLine1"] or "",
                "BillToCity": customer["City"] or "",
                "BillToZipCode": customer["ZipCode"] or "",
                "BillToCountryCode": customer["CountryCode"] or "",
            }
        if column == "TermsCode":
            return self._terms_problem("AR_TermsCode", value)
        return None

    def _line_defaults(self) -> dict[str, Any]:
        return {"ItemType": "1", "WarehouseCode": "000", "QuantityShipped": "1"}

    def _check_line_value(self, line: _Buffer, column: str, value: Any) -> str | None:
        if column == "ItemCode":
            problem = self._item_problem(value)
            if problem:
                return problem
            item = self._row("CI_Item", {"ItemCode": value})
            assert item is not None
            line.values |= {
                "ItemType": item["ItemType"] or "1",
                "ItemCodeDesc": line.values.get("ItemCodeDesc") or item["ItemCodeDesc"] or "",
                "SalesAcctKey": line.values.get("SalesAcctKey") or item["SalesAcctKey"] or "",
                "WarehouseCode": item["DefaultWarehouseCode"] or "000",
                "UnitPrice": line.values.get("UnitPrice") or str(item["StandardUnitPrice"] or 0),
            }
        if column == "SalesAcctKey":
            return self._account_problem(value)
        return None

    def _complete_line(self, line: _Buffer) -> str | None:
        if not line.text("ItemCode"):
            return "The ItemCode is required."
        problem = self._account_problem(line.text("SalesAcctKey"))
        if problem:
            return problem
        _extension(line, "QuantityShipped", "UnitPrice")
        line.values.setdefault("QuantityOrdered", line.values.get("QuantityShipped", "1"))
        return None

    def _write(self) -> str | None:
        header = self._buffer.values
        problem = self._posting_problem("InvoiceDate", "The invoice has no lines.")
        if problem:
            return problem
        taxable, non_taxable, tax = _tax_split(self.oLines.written)
        header |= {
            "TaxableSalesAmt": str(taxable),
            "NonTaxableSalesAmt": str(non_taxable),
            "SalesTaxAmt": str(tax),
            "TransactionDate": header["InvoiceDate"],
        }
        self._default_due_date("AR_TermsCode", header)
        self._upsert(self.TABLE, self._buffer, created=True)
        for seq, values in enumerate(self.oLines.written, start=1):
            detail = _Buffer(self.LINE_TABLE, self.db)
            detail.values = values | {
                "InvoiceNo": header["InvoiceNo"],
                "HeaderSeqNo": header["HeaderSeqNo"],
                "DetailSeqNo": f"{seq:06d}",
            }
            self._upsert(self.LINE_TABLE, detail, created=True)
            self._take_stock(values)
        total = taxable + non_taxable + tax
        open_invoice = _Buffer("AR_OpenInvoice", self.db)
        open_invoice.values = {
            "ARDivisionNo": header["ARDivisionNo"],
            "CustomerNo": header["CustomerNo"],
            "InvoiceNo": header["InvoiceNo"],
            "InvoiceType": header["InvoiceType"],
            "InvoiceDate": header["InvoiceDate"],
            "InvoiceDueDate": header["InvoiceDueDate"],
            "InvoiceHistoryHeaderSeqNo": header["HeaderSeqNo"],
            "PostingDate": header["InvoiceDate"],
            "TermsCode": header["TermsCode"],
            "CustomerPONo": header.get("CustomerPONo") or "",
            "Comment": header.get("Comment") or "",
            "TaxableAmt": str(taxable),
            "NonTaxableAmt": str(non_taxable),
            "SalesTaxAmt": str(tax),
            "Balance": str(total),
        }
        self._upsert("AR_OpenInvoice", open_invoice, created=True)
        customer = self._customer(header["ARDivisionNo"], header["CustomerNo"])
        if customer is not None:
            limit = _money(customer["CreditLimit"])
            owed = _money(customer["CurrentBalance"]) + total
            if limit and owed > limit:
                self._warning = (
                    f"The CustomerNo {header['ARDivisionNo']}-{header['CustomerNo']} is over"
                    f" its credit limit of {limit:.2f} by {owed - limit:.2f}."
                )
        self._update_customer_balance(header["ARDivisionNo"], header["CustomerNo"], total)
        return None

    def _take_stock(self, line: dict[str, Any]) -> None:
        if line.get("ItemType") != "1":
            return
        quantity = _money(line.get("QuantityShipped"))
        stamp = self._stamp()
        updated = self.db.execute(
            "UPDATE IM_ItemWarehouse SET QuantityOnHand = QuantityOnHand - ?, DateUpdated = ?,"
            " TimeUpdated = ?, UserUpdatedKey = ? WHERE ItemCode = ? AND WarehouseCode = ?",
            (
                str(quantity),
                stamp["DateUpdated"],
                stamp["TimeUpdated"],
                stamp["UserUpdatedKey"],
                line["ItemCode"],
                line.get("WarehouseCode") or "000",
            ),
        )
        if updated.rowcount:
            self._item_total(line["ItemCode"], -quantity)

    def _update_customer_balance(self, division: str, customer_no: str, delta: Decimal) -> None:
        stamp = self._stamp()
        self.db.execute(
            "UPDATE AR_Customer SET CurrentBalance = COALESCE(CurrentBalance, 0) + ?,"
            " DateLastActivity = ?, DateUpdated = ?, TimeUpdated = ?, UserUpdatedKey = ?"
            " WHERE ARDivisionNo = ? AND CustomerNo = ?",
            (
                str(delta),
                stamp["DateUpdated"],
                stamp["DateUpdated"],
                stamp["TimeUpdated"],
                stamp["UserUpdatedKey"],
                division,
                customer_no,
            ),
        )


class AR_CashReceipts_bus(_DocumentObject):  # noqa: N801 (Sage's own class name)
    """Cash receipts: one check from one customer applied to open invoices (`oLines`)."""

    TABLE = "AR_CashReceiptsHistory"
    LINE_TABLE = "AR_CashReceiptsHistory"
    KEY = ("DepositNo", "ARDivisionNo", "CustomerNo", "CheckNo")

    def nGetNextDepositNo(self, deposit_no: str = "") -> tuple[int, str]:
        self.script.check_connected()
        number = _next_number(
            self.db, "SELECT DepositNo FROM AR_CashReceiptsHistory", 5, self._handed_out()
        )
        return self._ok(), number

    def _check_key(self) -> str | None:
        division = self._key_values["ARDivisionNo"]
        customer_no = self._key_values["CustomerNo"]
        if self._customer(division, customer_no) is None:
            return f"The CustomerNo {division}-{customer_no} is not on file."
        return None

    def _duplicate_message(self) -> str:
        return (
            f"Check {self._key_values['CheckNo']} is already posted to deposit"
            f" {self._key_values['DepositNo']}."
        )

    def _defaults(self) -> dict[str, Any]:
        return {
            "BankCode": "A",
            "DepositType": "C",
            "DepositDate": self.session.today().isoformat(),
            "TransactionType": "P",
            "CreditCardEntryNo": "000000",
        }

    def _check_line_value(self, line: _Buffer, column: str, value: Any) -> str | None:
        if column == "InvoiceNo":
            open_invoice = self._row(
                "AR_OpenInvoice",
                {
                    "ARDivisionNo": self._buffer.values["ARDivisionNo"],
                    "CustomerNo": self._buffer.values["CustomerNo"],
                    "InvoiceNo": value,
                },
            )
            if open_invoice is None:
                return f"The InvoiceNo {value} is not an open invoice of this customer."
        return None

    def _complete_line(self, line: _Buffer) -> str | None:
        if not line.text("InvoiceNo"):
            return "The InvoiceNo is required."
        if _money(line.values.get("CashAmountApplied")) <= 0:
            return "The CashAmountApplied must be more than zero."
        return None

    def _write(self) -> str | None:
        header = self._buffer.values
        problem = self._posting_problem("DepositDate", "The receipt is not applied to any invoice.")
        if problem:
            return problem
        total = Decimal(0)
        customer = self._customer(header["ARDivisionNo"], header["CustomerNo"])
        assert customer is not None
        for seq, values in enumerate(self.oLines.written, start=1):
            where = {
                "ARDivisionNo": header["ARDivisionNo"],
                "CustomerNo": header["CustomerNo"],
                "InvoiceNo": values["InvoiceNo"],
            }
            open_invoice = self._row("AR_OpenInvoice", where)
            assert open_invoice is not None
            applied = _money(values["CashAmountApplied"])
            balance = _money(open_invoice["Balance"])
            if applied > balance:
                return (
                    f"The amount applied {applied} exceeds the balance {balance}"
                    f" of invoice {values['InvoiceNo']}."
                )
            line = _Buffer(self.TABLE, self.db)
            line.values = (
                dict(header)
                | values
                | {
                    "SequenceNo": f"{seq:06d}",
                    "PostingDate": header["DepositDate"],
                    "CustomerName": customer["CustomerName"],
                    "InvoiceType": open_invoice["InvoiceType"],
                    "InvoiceBalance": str(balance - applied),
                }
            )
            self._upsert(self.TABLE, line, created=True)
            stamp = self._stamp()
            self.db.execute(
                "UPDATE AR_OpenInvoice SET Balance = ?, DateUpdated = ?, TimeUpdated = ?,"
                " UserUpdatedKey = ? WHERE ARDivisionNo = ? AND CustomerNo = ? AND InvoiceNo = ?",
                (
                    str(balance - applied),
                    stamp["DateUpdated"],
                    stamp["TimeUpdated"],
                    stamp["UserUpdatedKey"],
                    *where.values(),
                ),
            )
            total += applied
        stamp = self._stamp()
        self.db.execute(
            "UPDATE AR_Customer SET CurrentBalance = COALESCE(CurrentBalance, 0) - ?,"
            " LastPaymentAmt = ?, DateLastPayment = ?, DateUpdated = ?, TimeUpdated = ?,"
            " UserUpdatedKey = ? WHERE ARDivisionNo = ? AND CustomerNo = ?",
            (
                str(total),
                str(total),
                header["DepositDate"],
                stamp["DateUpdated"],
                stamp["TimeUpdated"],
                stamp["UserUpdatedKey"],
                header["ARDivisionNo"],
                header["CustomerNo"],
            ),
        )
        return None


# ---------------------------------------------------------------------------------------
# A/P invoices
# ---------------------------------------------------------------------------------------


class AP_Invoice_bus(_DocumentObject):  # noqa: N801 (Sage's own class name)
    """A/P invoice entry, posted on write: header, distribution lines, open invoice."""

    TABLE = "AP_InvoiceHeader"
    LINE_TABLE = "AP_InvoiceDetail"
    KEY = ("APDivisionNo", "VendorNo", "InvoiceNo")
    REQUIRED = ("InvoiceDate", "TermsCode")

    def nSetKey(self, *key: Any) -> int:
        self._key_values.setdefault("APDivisionNo", "01")
        if not self._key_values.get("VendorNo"):
            self._release()
            self.nEditState = 0
            return self._fail("The VendorNo is required.")
        return super().nSetKey(*key)

    def _check_key(self) -> str | None:
        division = self._key_values["APDivisionNo"]
        vendor_no = self._key_values["VendorNo"]
        vendor = self._vendor(division, vendor_no)
        if vendor is None:
            return f"The VendorNo {division}-{vendor_no} is not on file."
        if (vendor["VendorStatus"] or "A") != "A":
            return f"The VendorNo {division}-{vendor_no} is inactive."
        return None

    def _existing(self) -> sqlite3.Row | None:
        where = {k: self._key_values[k] for k in self.KEY}
        return self._row(self.TABLE, where) or self._row("AP_OpenInvoice", where)

    def _duplicate_message(self) -> str:
        return (
            f"The InvoiceNo {self._key_values['InvoiceNo']} already exists for vendor"
            f" {self._key_values['APDivisionNo']}-{self._key_values['VendorNo']}."
        )

    def _defaults(self) -> dict[str, Any]:
        vendor = self._vendor(self._key_values["APDivisionNo"], self._key_values["VendorNo"])
        return {"TermsCode": (vendor["TermsCode"] if vendor else "") or "", "HoldPayment": "N"}

    def _check_value(self, column: str, value: Any) -> str | None:
        if column == "TermsCode":
            return self._terms_problem("AP_TermsCode", value)
        return None

    def _line_defaults(self) -> dict[str, Any]:
        return {"QuantityOrdered": "1"}

    def _check_line_value(self, line: _Buffer, column: str, value: Any) -> str | None:
        if column == "AccountKey":
            return self._account_problem(value)
        return None

    def _complete_line(self, line: _Buffer) -> str | None:
        if not line.text("AccountKey"):
            return "The AccountKey is required."
        _extension(line, "QuantityOrdered", "UnitCost")
        return None

    def _write(self) -> str | None:
        header = self._buffer.values
        problem = self._posting_problem("InvoiceDate", "The invoice has no lines.")
        if problem:
            return problem
        taxable, non_taxable, tax = _tax_split(self.oLines.written)
        total = taxable + non_taxable + tax
        self._default_due_date("AP_TermsCode", header)
        header |= {
            "TaxableAmt": str(taxable),
            "NonTaxableAmt": str(non_taxable),
            "SalesTaxAmt": str(tax),
            "InvoiceAmt": str(total),
        }
        self._upsert(self.TABLE, self._buffer, created=True)
        for seq, values in enumerate(self.oLines.written, start=1):
            detail = _Buffer(self.LINE_TABLE, self.db)
            detail.values = values | {
                "APDivisionNo": header["APDivisionNo"],
                "VendorNo": header["VendorNo"],
                "InvoiceNo": header["InvoiceNo"],
                "LineKey": f"{seq:06d}",
                "LineSeqNo": f"{seq:014d}",
            }
            self._upsert(self.LINE_TABLE, detail, created=True)
        open_invoice = _Buffer("AP_OpenInvoice", self.db)
        open_invoice.values = {
            "APDivisionNo": header["APDivisionNo"],
            "VendorNo": header["VendorNo"],
            "InvoiceNo": header["InvoiceNo"],
            "InvoiceDate": header["InvoiceDate"],
            "InvoiceDueDate": header["InvoiceDueDate"],
            "InvoiceAmt": str(total),
            "Balance": str(total),
            "Comment": header.get("Comment") or "",
        }
        self._upsert("AP_OpenInvoice", open_invoice, created=True)
        return None


# ---------------------------------------------------------------------------------------
# G/L journal entries and inventory transactions
# ---------------------------------------------------------------------------------------


class GL_GeneralJournal_bus(_DocumentObject):  # noqa: N801 (Sage's own class name)
    """General journal: a header (PostingDate, Comment) and lines of AccountKey with a
    DebitAmount or a CreditAmount, posted to GL_DetailPosting as source journal GJ."""

    TABLE = "GL_DetailPosting"
    LINE_TABLE = "GL_DetailPosting"
    KEY = ("JournalRegisterNo",)
    REQUIRED = ("PostingDate",)

    def __init__(self, script: ProvideXScript, session: SY_Session) -> None:
        super().__init__(script, session)
        self._amounts: list[Decimal] = []

    def nGetNextEntryNo(self, entry_no: str = "") -> tuple[int, str]:
        self.script.check_connected()
        number = _next_number(
            self.db,
            "SELECT JournalRegisterNo FROM GL_DetailPosting WHERE SourceJournal = 'GJ'",
            6,
            self._handed_out(),
        )
        return self._ok(), number

    def nSetKeyValue(self, column: str, value: Any) -> int:
        if column == "EntryNo$":
            column = "JournalRegisterNo$"
        return super().nSetKeyValue(column, value)

    def _existing(self) -> sqlite3.Row | None:
        return self._row(
            "GL_DetailPosting",
            {"SourceJournal": "GJ", "JournalRegisterNo": self._key_values["JournalRegisterNo"]},
        )

    def _duplicate_message(self) -> str:
        return f"The JournalRegisterNo {self._key_values['JournalRegisterNo']} is already posted."

    def _defaults(self) -> dict[str, Any]:
        return {"SourceJournal": "GJ", "SourceModule": "G/L"}

    def nSetValue(self, column: str, value: Any) -> int:
        if column == "Comment$":
            column = "PostingComment$"
        return super().nSetValue(column, value)

    def _check_line_value(self, line: _Buffer, column: str, value: Any) -> str | None:
        if column == "AccountKey":
            return self._account_problem(value)
        return None

    def _complete_line(self, line: _Buffer) -> str | None:
        if not line.text("AccountKey"):
            return "The AccountKey is required."
        debit = _money(line.values.get("DebitAmount"))
        credit = _money(line.values.get("CreditAmount"))
        if debit and credit:
            return "A journal line is a debit or a credit, not both."
        return None

    def _write(self) -> str | None:
        header = self._buffer.values
        problem = self._period_problem("PostingDate", header["PostingDate"])
        if problem:
            return problem
        lines = self.oLines.written
        if len(lines) < 2:
            return "A journal entry needs at least two lines."
        debit = sum((_money(line.get("DebitAmount")) for line in lines), Decimal(0))
        credit = sum((_money(line.get("CreditAmount")) for line in lines), Decimal(0))
        if debit != credit:
            return f"The journal entry is out of balance by {abs(debit - credit):.2f}."
        for seq, values in enumerate(lines, start=1):
            line = _Buffer(self.TABLE, self.db)
            line.values = (
                dict(header)
                | {k: v for k, v in values.items() if v not in (None, "")}
                | {"SequenceNo": f"{seq:06d}"}
            )
            line.values.setdefault("PostingComment", header.get("PostingComment", ""))
            self._upsert(self.TABLE, line, created=True)
        return None


class IM_Transaction_bus(_DocumentObject):  # noqa: N801 (Sage's own class name)
    """Inventory adjustments: each line's TransactionQty changes QuantityOnHand of an item in
    a warehouse (IM_ItemWarehouse) and the item's total; the entry itself is not kept."""

    TABLE = "IM_TransactionHeader"
    LINE_TABLE = "IM_TransactionDetail"
    KEY = ("EntryNo",)
    REQUIRED = ("TransactionDate",)

    def nGetNextEntryNo(self, entry_no: str = "") -> tuple[int, str]:
        self.script.check_connected()
        return self._ok(), _next_number(self.db, "SELECT 0", 8, self._handed_out())

    def _defaults(self) -> dict[str, Any]:
        return {"TransactionType": "A", "TransactionDate": self.session.today().isoformat()}

    def _check_line_value(self, line: _Buffer, column: str, value: Any) -> str | None:
        if column == "ItemCode":
            return self._item_problem(value)
        return None

    def _line_defaults(self) -> dict[str, Any]:
        return {"WarehouseCode": "000"}

    def _complete_line(self, line: _Buffer) -> str | None:
        if not line.text("ItemCode"):
            return "The ItemCode is required."
        return None

    def _write(self) -> str | None:
        problem = self._period_problem("TransactionDate", self._buffer.values["TransactionDate"])
        if problem:
            return problem
        for values in self.oLines.written:
            self._adjust(values)
        return None

    def _adjust(self, values: dict[str, Any]) -> None:
        item, warehouse = values["ItemCode"], values.get("WarehouseCode") or "000"
        delta = _money(values.get("TransactionQty"))
        existing = self._row("IM_ItemWarehouse", {"ItemCode": item, "WarehouseCode": warehouse})
        row = _Buffer("IM_ItemWarehouse", self.db)
        row.values = dict(existing) if existing else {"ItemCode": item, "WarehouseCode": warehouse}
        row.values["QuantityOnHand"] = str(_money(row.values.get("QuantityOnHand")) + delta)
        self._upsert("IM_ItemWarehouse", row, created=existing is None)
        self._item_total(item, delta)


BUSINESS_OBJECTS: dict[str, type[_BusinessObject]] = {
    "AR_Customer_bus": AR_Customer_bus,
    "AR_Invoice_bus": AR_Invoice_bus,
    "AR_CashReceipts_bus": AR_CashReceipts_bus,
    "AP_Vendor_bus": AP_Vendor_bus,
    "AP_Invoice_bus": AP_Invoice_bus,
    "CI_ItemCode_bus": CI_ItemCode_bus,
    "GL_Account_bus": GL_Account_bus,
    "GL_GeneralJournal_bus": GL_GeneralJournal_bus,
    "IM_Transaction_bus": IM_Transaction_bus,
}
