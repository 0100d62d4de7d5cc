"""What the Sage 100 connector can be told: the ODBC connection for reads, the Business
Object Interface backend and login for writes, and the overlap window of incremental
reads. The shell reads it once at the edge (`ledgerbridge.config`) and hands it down.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr

BOIBackend = Literal["sandbox", "com"]
"""Which BOI session the shell opens: the emulator on the sandbox company, or
ProvideX.Script over COM on the Windows host running Sage 100."""


class Sage100Settings(BaseModel):
    """The Sage 100 company to read and write, and how to reach it."""

    model_config = ConfigDict(extra="forbid")

    odbc_connection_string: SecretStr = SecretStr(
        "DRIVER=SQLite3;Database=.ledgerbridge/sage100.db"
    )
    boi_backend: BOIBackend = "sandbox"
    company_code: str = Field(default="ABC", min_length=1)
    username: str = "ledgerbridge"
    password: SecretStr = SecretStr("")
    home_path: str = r"C:\Sage\Sage 100\MAS90\Home"
    overlap_seconds: int = Field(default=120, ge=0)
