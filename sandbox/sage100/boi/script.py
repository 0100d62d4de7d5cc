"""`ProvideXScript`, the emulator's stand-in for `CreateObject("ProvideX.Script")`: it opens
the company file, hands out `SY_Session` and the business objects by their Sage names, and
can lose its host on request, failing every later call as COM would.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from sandbox.sage100.boi.general_ledger import GL_GeneralJournal_bus, IM_Transaction_bus
from sandbox.sage100.boi.masters import (
    AP_Vendor_bus,
    AR_Customer_bus,
    CI_ItemCode_bus,
    GL_Account_bus,
)
from sandbox.sage100.boi.objects import _BusinessObject
from sandbox.sage100.boi.payables import AP_Invoice_bus, AP_ManualCheck_bus
from sandbox.sage100.boi.receivables import AR_CashReceipts_bus, AR_Invoice_bus
from sandbox.sage100.boi.session import BOIConnectionLost, BOIError, SY_Session
from sandbox.sage100.company import connect_company

BUSINESS_OBJECTS: dict[str, type[_BusinessObject]] = {
    "AR_Customer_bus": AR_Customer_bus,
    "AR_Invoice_bus": AR_Invoice_bus,
    "AR_CashReceipts_bus": AR_CashReceipts_bus,
    "AP_Vendor_bus": AP_Vendor_bus,
    "AP_Invoice_bus": AP_Invoice_bus,
    "AP_ManualCheck_bus": AP_ManualCheck_bus,
    "CI_ItemCode_bus": CI_ItemCode_bus,
    "GL_Account_bus": GL_Account_bus,
    "GL_GeneralJournal_bus": GL_GeneralJournal_bus,
    "IM_Transaction_bus": IM_Transaction_bus,
}


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
