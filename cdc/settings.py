"""CDC settings (`LEDGERBRIDGE_CDC__*`): cadences of the slower checks and per-stream
polling intervals; `ledgerbridge schedule set` overrides an interval in the database."""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict, Field, field_validator

from cdc.outcome import PollSettings

_DURATION = re.compile(r"^\s*(\d+)\s*(s|m|h)?\s*$", re.IGNORECASE)
_UNIT = {"s": 1, "m": 60, "h": 3600}


def parse_interval(text: str) -> int | None:
    """`30s`, `5m`, `1h` or a number of seconds -> seconds; `off` -> None."""
    if text.strip().lower() == "off":
        return None
    match = _DURATION.match(text)
    if match is None or int(match.group(1)) == 0:
        raise ValueError(f"{text!r} is not an interval: use 30s, 5m, 1h or off")
    return int(match.group(1)) * _UNIT[(match.group(2) or "s").lower()]


def interval_text(seconds: int | None) -> str:
    if seconds is None:
        return "off"
    if seconds % 3600 == 0:
        return f"{seconds // 3600}h"
    if seconds % 60 == 0:
        return f"{seconds // 60}m"
    return f"{seconds}s"


class CdcSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sweep_seconds: float = Field(default=3600.0, gt=0)
    """KashFlow: full summary-hash sweep of invoices and purchases (closed-document edits,
    deletes)."""
    key_diff_seconds: float = Field(default=3600.0, gt=0)
    """Sage 100: key-set diff of each stream against the ledger (deletes)."""
    chunk_records: int = Field(default=2000, ge=1)
    """Records read in full per committed chunk of a poll (bounds a first load's memory,
    and a crash loses at most one chunk's reads)."""
    intervals: dict[str, str] = {}
    """Per stream, e.g. `{"sage100:customer": "5s", "kashflow:product": "off"}`."""
    tick_seconds: int = Field(default=5, ge=1, le=59)
    """How often a worker checks which streams are due."""
    heartbeat_seconds: float = Field(default=2.0, gt=0)
    """How often a worker tells the database it is alive."""
    stalled_seconds: float = Field(default=15.0, gt=0)
    """Silence after which a worker counts as dead and its jobs are run again."""

    @field_validator("intervals")
    @classmethod
    def _intervals_parse(cls, value: dict[str, str]) -> dict[str, str]:
        for stream, text in value.items():
            parse_interval(text)
            if stream.count(":") != 1:
                raise ValueError(f"{stream!r}: name streams as system:entity")
        return value

    def poll_settings(self) -> PollSettings:
        return PollSettings(
            sweep_seconds=self.sweep_seconds,
            key_diff_seconds=self.key_diff_seconds,
            chunk_records=self.chunk_records,
        )
