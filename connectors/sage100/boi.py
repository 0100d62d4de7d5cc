"""Sage 100 sessions for the Business Object Interface, with the real call pattern.

`BOISession` is the seam: an open, authenticated Sage session that hands out business
objects (`AR_Customer_bus`, `AR_Invoice_bus`, ...) already bound to their task.
`ScriptSession` makes one from any `ProvideX.Script` object it is given (the SY_Session
handshake); `ComBOISession` is that over COM with pywin32 (a Windows host with Sage 100
installed; pywin32 is imported only there). Other backends, such as the sandbox
emulator, are plugged in by the application shell. What is written through a session is
the business of `Sage100Writer` (`connectors.sage100.writer`, re-exported here), on the
call conventions of `connectors.sage100.calls`.
"""

from __future__ import annotations

import sys
from datetime import date
from typing import Any, Protocol

from connectors.sage100.calls import ERROR, OK, WARNING
from connectors.sage100.calls import boi_date as _boi_date
from connectors.sage100.errors import SageConnectionLost
from connectors.sage100.writer import Sage100Writer

TASKS: dict[str, tuple[str, str]] = {
    "AR_Customer_bus": ("AR_Customer_ui", "A/R"),
    "AR_Invoice_bus": ("AR_Invoice_ui", "A/R"),
    "AR_CashReceipts_bus": ("AR_CashReceipts_ui", "A/R"),
    "AP_Vendor_bus": ("AP_Vendor_ui", "A/P"),
    "AP_Invoice_bus": ("AP_Invoice_ui", "A/P"),
    "AP_ManualCheck_bus": ("AP_ManualCheck_ui", "A/P"),
    "CI_ItemCode_bus": ("CI_ItemCode_ui", "C/I"),
    "IM_Transaction_bus": ("IM_Transaction_ui", "I/M"),
    "GL_Account_bus": ("GL_Account_ui", "G/L"),
    "GL_GeneralJournal_bus": ("GL_GeneralJournal_ui", "G/L"),
}
"""Business object -> (the UI task it runs under, its module), for nSetProgram."""


class BusinessObject(Protocol):
    """The surface of a Sage business object that Ledgerbridge calls."""

    sLastErrorMsg: str

    def nSetKeyValue(self, column: str, value: Any) -> int: ...
    def nSetKey(self, *key: Any) -> int: ...
    def nSetValue(self, column: str, value: Any) -> int: ...
    def nWrite(self) -> int: ...
    def nDelete(self) -> int: ...
    def nClear(self) -> int: ...


class BOISession(Protocol):
    """An authenticated Sage 100 session (user, company, date set) for one company."""

    connection_errors: tuple[type[BaseException], ...]
    """What a call raises when the Sage host is gone (COM errors, the emulator's loss)."""

    def open_object(self, name: str) -> Any:
        """A business object of `name`, its module and program set."""
        ...

    def close(self) -> None: ...


class ScriptSession:
    """A `BOISession` over a given `ProvideX.Script` object: the SY_Session handshake
    (user, company), then per object its module, date and task. `connection_errors` are
    what the script's calls raise when the Sage host is gone."""

    def __init__(
        self,
        script: Any,
        user: str,
        password: str,
        company: str,
        today: date,
        *,
        connection_errors: tuple[type[BaseException], ...] = (),
    ) -> None:
        self.connection_errors = connection_errors
        self._script = script
        self._session = script.NewObject("SY_Session")
        self._today = today
        for call, args in (
            ("nSetUser", (user, password)),
            ("nSetCompany", (company,)),
        ):
            if getattr(self._session, call)(*args) == ERROR:
                raise SageConnectionLost(
                    f"SY_Session.{call} failed: {self._session.sLastErrorMsg}",
                    bus_object="SY_Session",
                    system="sage100",
                    remote_message=self._session.sLastErrorMsg,
                )

    def open_object(self, name: str) -> Any:
        task, module = TASKS[name]
        self._session.nSetDate(module, _boi_date(self._today))
        self._session.nSetModule(module)
        task_id = self._session.nLookupTask(task)
        if not task_id or self._session.nSetProgram(task_id) == ERROR:
            raise SageConnectionLost(
                f"SY_Session cannot run task {task}: {self._session.sLastErrorMsg}",
                bus_object="SY_Session",
                system="sage100",
                remote_message=self._session.sLastErrorMsg,
            )
        return self._script.NewObject(name, self._session)

    def close(self) -> None:
        cleanup = getattr(self._session, "nCleanup", None)
        if cleanup is not None:
            cleanup()


class ComBOISession(ScriptSession):
    """`CreateObject("ProvideX.Script")` over COM on the Windows host running Sage 100."""

    def __init__(self, home_path: str, user: str, password: str, company: str) -> None:
        if sys.platform != "win32":
            raise RuntimeError("the COM BOI backend runs only on Windows with Sage 100 installed")
        import pywintypes
        import win32com.client

        script = win32com.client.Dispatch("ProvideX.Script")
        script.Init(home_path)
        super().__init__(
            script,
            user,
            password,
            company,
            date.today(),
            connection_errors=(pywintypes.com_error,),
        )


__all__ = [
    "ERROR",
    "OK",
    "TASKS",
    "WARNING",
    "BOISession",
    "BusinessObject",
    "ComBOISession",
    "Sage100Writer",
    "ScriptSession",
]
