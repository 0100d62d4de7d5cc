"""How the `ledgerbridge` command logs: text lines, or with `LEDGERBRIDGE_LOG_FORMAT=json`
one JSON object per line (time, level, logger, message and the event's keys, such as
run, stream and record). Values under keys that name a secret are written as ***."""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime
from typing import Any

import orjson

SECRET_KEY = re.compile(r"password|secret|token|authorization|memorable|pwd|cookie", re.I)
STANDARD = frozenset([*vars(logging.makeLogRecord({})), "message", "asctime", "taskName"])
"""Attributes every log record has; anything else was passed with ``extra=``."""


def _scrubbed(key: str, value: Any) -> Any:
    if SECRET_KEY.search(key):
        return "***"
    if isinstance(value, dict):
        return {k: _scrubbed(str(k), v) for k, v in value.items()}
    return value


class JsonFormatter(logging.Formatter):
    """One JSON object per line; the record's extra keys go in as they are."""

    def format(self, record: logging.LogRecord) -> str:
        event: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in STANDARD and not key.startswith("_"):
                event[key] = _scrubbed(key, value)
        if record.exc_info and record.exc_info[0] is not None:
            event["error"] = record.exc_info[0].__name__
            event["traceback"] = self.formatException(record.exc_info)
        return orjson.dumps(event, default=str).decode()


def configure_logging(level: str = "WARNING", log_format: str = "text") -> None:
    """Root logging for one command: level and format (``text`` or ``json``)."""
    handler = logging.StreamHandler()
    if log_format == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
