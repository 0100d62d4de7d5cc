"""G/L and inventory postings through the BOI: general journal entries
(`GL_GeneralJournal_bus`, balanced, into GL_DetailPosting) and inventory adjustments
(`IM_Transaction_bus`, moving quantities on hand per warehouse).
"""

from __future__ import annotations

import sqlite3
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sandbox.sage100.boi.documents import _DocumentObject
from sandbox.sage100.boi.objects import _Buffer, _money
from sandbox.sage100.boi.session import SY_Session

if TYPE_CHECKING:
    from sandbox.sage100.boi.script import ProvideXScript


class GL_GeneralJournal_bus(_DocumentObject):  # noqa: N801 (Sage's own class name)
    """General journal: a header (PostingDate, Comment) and lines of AccountKey with a
    DebitAmount or a CreditAmount, posted to GL_DetailPosting as source journal GJ."""

    TABLE = "GL_DetailPosting"
    LINE_TABLE = "GL_DetailPosting"
    LINE_REQUIRED = "AccountKey"
    LINE_ACCOUNT = "AccountKey"
    KEY = ("JournalRegisterNo",)
    REQUIRED = ("PostingDate",)
    DUPLICATE = "The JournalRegisterNo {JournalRegisterNo} is already posted."

    def __init__(self, script: ProvideXScript, session: SY_Session) -> None:
        super().__init__(script, session)
        self._amounts: list[Decimal] = []

    def nGetNextEntryNo(self, entry_no: str = "") -> tuple[int, str]:
        return self._next_document_no(
            "SELECT JournalRegisterNo FROM GL_DetailPosting WHERE SourceJournal = 'GJ'", 6
        )

    def nSetKeyValue(self, column: str, value: Any) -> int:
        if column == "EntryNo$":
            column = "JournalRegisterNo$"
        return super().nSetKeyValue(column, value)

    def _existing(self) -> sqlite3.Row | None:
        return self._row(
            "GL_DetailPosting",
            {"SourceJournal": "GJ", "JournalRegisterNo": self._key_values["JournalRegisterNo"]},
        )

    def _defaults(self) -> dict[str, Any]:
        return {"SourceJournal": "GJ", "SourceModule": "G/L"}

    def nSetValue(self, column: str, value: Any) -> int:
        if column == "Comment$":
            column = "PostingComment$"
        return super().nSetValue(column, value)

    def _finish_line(self, line: _Buffer) -> str | None:
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
            line = (
                dict(header)
                | {k: v for k, v in values.items() if v not in (None, "")}
                | {"SequenceNo": f"{seq:06d}"}
            )
            line.setdefault("PostingComment", header.get("PostingComment", ""))
            self._put(self.TABLE, line)
        return None


class IM_Transaction_bus(_DocumentObject):  # noqa: N801 (Sage's own class name)
    """Inventory adjustments: each line's TransactionQty changes QuantityOnHand of an item in
    a warehouse (IM_ItemWarehouse) and the item's total; the entry itself is not kept."""

    TABLE = "IM_TransactionHeader"
    LINE_TABLE = "IM_TransactionDetail"
    LINE_REQUIRED = "ItemCode"
    KEY = ("EntryNo",)
    REQUIRED = ("TransactionDate",)

    def nGetNextEntryNo(self, entry_no: str = "") -> tuple[int, str]:
        return self._next_document_no("SELECT 0", 8)

    def _defaults(self) -> dict[str, Any]:
        return {"TransactionType": "A", "TransactionDate": self.session.today().isoformat()}

    def _check_line_value(self, line: _Buffer, column: str, value: Any) -> str | None:
        if column == "ItemCode":
            return self._item_problem(value)
        return None

    def _line_defaults(self) -> dict[str, Any]:
        return {"WarehouseCode": "000"}

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
        row = dict(existing) if existing else {"ItemCode": item, "WarehouseCode": warehouse}
        row["QuantityOnHand"] = str(_money(row.get("QuantityOnHand")) + delta)
        self._put("IM_ItemWarehouse", row, created=existing is None)
        self._item_total(item, delta)
