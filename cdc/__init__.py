"""Change data capture: pollers that turn what KashFlow and Sage 100 hold now into
ledger versions, one stream per (system, entity), scheduled on procrastinate workers.

`sync_once` polls every stream once in dependency order; `poll_stream` polls one;
`request_poll` asks the workers to poll a stream now.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cdc.poll import PollFailed, PollReport, poll_stream
    from cdc.streams import STREAMS, Sources, Stream
    from cdc.sync import sync_once
    from cdc.tasks import build_app, request_poll

_WHERE = {
    "PollFailed": "cdc.poll",
    "PollReport": "cdc.poll",
    "poll_stream": "cdc.poll",
    "STREAMS": "cdc.streams",
    "Sources": "cdc.streams",
    "Stream": "cdc.streams",
    "sync_once": "cdc.sync",
    "build_app": "cdc.tasks",
    "request_poll": "cdc.tasks",
}


def __getattr__(name: str) -> Any:
    """Loaded on first use, so that `cdc.settings` (read by the shell's configuration)
    does not pull in the connectors, which read that configuration's types."""
    if name in _WHERE:
        return getattr(import_module(_WHERE[name]), name)
    raise AttributeError(f"module 'cdc' has no attribute {name!r}")


__all__ = [
    "STREAMS",
    "PollFailed",
    "PollReport",
    "Sources",
    "Stream",
    "build_app",
    "poll_stream",
    "request_poll",
    "sync_once",
]
