"""The BOI session: return codes, task numbers, record locks shared across sessions, and
`SY_Session`, which says who works in which company on which date and task. Every
business object is opened on a ready session and takes its locks through it.
"""

from __future__ import annotations

import threading
from datetime import date
from typing import TYPE_CHECKING, ClassVar

if TYPE_CHECKING:
    from sandbox.sage100.boi.script import ProvideXScript

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
            "AP_ManualCheck_ui",
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
