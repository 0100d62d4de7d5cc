"""The Sage 100 connector: ODBC reads (`odbc`), Business Object Interface writes (`boi`),
and the mapping between Sage rows and canonical records (`mapping`, `keys`).

Sage errors surface as the typed exceptions of `errors`: permanent (`SageRefused`) or
transient (`SageRecordLocked`, `SageConnectionLost`).
"""

from connectors.sage100.boi import (
    BOISession,
    ComBOISession,
    Sage100Writer,
    SandboxBOISession,
    session_from_settings,
)
from connectors.sage100.errors import SageConnectionLost, SageRecordLocked, SageRefused
from connectors.sage100.mapping import Lookups
from connectors.sage100.odbc import ChangeBatch, Sage100Reader, Watermark

__all__ = [
    "BOISession",
    "ChangeBatch",
    "ComBOISession",
    "Lookups",
    "Sage100Reader",
    "Sage100Writer",
    "SageConnectionLost",
    "SageRecordLocked",
    "SageRefused",
    "SandboxBOISession",
    "Watermark",
    "session_from_settings",
]
