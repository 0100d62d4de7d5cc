"""Documents with lines: `_DocumentObject` (a header whose `oLines` are added, set and
written one at a time, then posted whole by one `nWrite`), and what documents share:
line extensions, the taxable split of an invoice, the next document number.
"""

from __future__ import annotations

import sqlite3
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any, ClassVar

from sandbox.sage100.boi.objects import _Buffer, _BusinessObject, _money
from sandbox.sage100.boi.session import ERROR, EXISTING_RECORD, NEW_RECORD, OK, SY_Session

if TYPE_CHECKING:
    from sandbox.sage100.boi.script import ProvideXScript


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
            col, stored = self._line.stored(column, value)
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
    LINE_REQUIRED: ClassVar[str]
    """The column a line cannot be written without."""
    LINE_ACCOUNT: ClassVar[str | None] = None
    """The line's GL account column, which must name an active account."""
    LINE_AMOUNT: ClassVar[str | None] = None
    """The line's amount column, which must be more than zero (what a payment applies)."""
    DUPLICATE: ClassVar[str] = "The document already exists."
    """Why a key already on file cannot be entered again; `{Column}` stands for a key value."""

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
            return self._fail(self.DUPLICATE.format_map(self._key_values))
        return status

    def _next_document_no(self, sql: str, width: int) -> tuple[int, str]:
        """What the BOI's nGetNext...No answers: the next number, `width` digits, after
        those `sql` selects and those handed out."""
        self.script.check_connected()
        return self._ok(), _next_number(self.db, sql, width, self._handed_out())

    def _line_defaults(self) -> dict[str, Any]:
        return {}

    def _check_line_value(self, line: _Buffer, column: str, value: Any) -> str | None:
        if column == self.LINE_ACCOUNT:
            return self._account_problem(value)
        return None

    def _complete_line(self, line: _Buffer) -> str | None:
        """Why the line cannot be written, or None once `_finish_line` has filled it in."""
        if not line.text(self.LINE_REQUIRED):
            return f"The {self.LINE_REQUIRED} is required."
        if self.LINE_AMOUNT and _money(line.values.get(self.LINE_AMOUNT)) <= 0:
            return f"The {self.LINE_AMOUNT} must be more than zero."
        return self._finish_line(line)

    def _finish_line(self, line: _Buffer) -> str | None:
        return None


class _PostedDocument(_DocumentObject):
    """A document of the A/R or A/P module, posted on write (`_post`) once its date is in
    an open period and it has lines."""

    POSTING_DATE: ClassVar[str]
    """The header column of the date the document posts on."""
    JOURNAL: ClassVar[str]
    """The source journal it posts to GL_DetailPosting under (see `posting`)."""
    MODULE: ClassVar[str]
    """The module it belongs to, "A/R" or "A/P"."""
    NO_LINES: ClassVar[str]
    """Why a document without lines cannot post."""

    def _write(self) -> str | None:
        header = self._buffer.values
        problem = self._period_problem(self.POSTING_DATE, header[self.POSTING_DATE])
        if problem:
            return problem
        if not self.oLines.written:
            return self.NO_LINES
        return self._post(header)

    def _post(self, header: dict[str, Any]) -> str | None:
        """Writes the document and all that posting it changes; why not, if it cannot."""
        raise NotImplementedError


def _next_number(db: sqlite3.Connection, sql: str, width: int, handed_out: set[str]) -> str:
    """The next document number after those on file and those handed out, zero-filled."""
    numbers = [int(r[0]) for r in db.execute(sql) if str(r[0]).isdigit()]
    candidate = max([*numbers, *(int(n) for n in handed_out), 0]) + 1
    number = f"{candidate:0{width}d}"
    handed_out.add(number)
    return number
