"""The Sage 100 connector: ODBC reads (`odbc`), Business Object Interface sessions (`boi`)
and writes (`writer`, on the call conventions of `calls`), the mapping between Sage rows
and canonical records (`mapping`, `keys`), and what it can be told (`settings`). A BOI
session is given to it: `ComBOISession`, or any `ScriptSession` over a ProvideX.Script
object the shell plugs in.

Sage errors surface as the typed exceptions of `errors`: permanent (`SageRefused`) or
transient (`SageRecordLocked`, `SageConnectionLost`).
"""

from connectors.sage100.boi import (
    BOISession,
    ComBOISession,
    ScriptSession,
)
from connectors.sage100.errors import SageConnectionLost, SageRecordLocked, SageRefused
from connectors.sage100.mapping import Lookups
from connectors.sage100.odbc import Sage100Reader, SourceRecord
from connectors.sage100.settings import Sage100Settings
from connectors.sage100.writer import Sage100Writer

__all__ = [
    "BOISession",
    "ComBOISession",
    "Lookups",
    "Sage100Reader",
    "Sage100Settings",
    "Sage100Writer",
    "SageConnectionLost",
    "SageRecordLocked",
    "SageRefused",
    "ScriptSession",
    "SourceRecord",
]
