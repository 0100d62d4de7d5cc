"""How long a match keeps the memory it frees: polars' allocator, set before polars loads.

polars sets its allocator (jemalloc) to hand freed pages back to the kernel within half a
second (``dirty_decay_ms:500,muzzy_decay_ms:1000``, in ``polars/__init__.py``, so that an
idle process shrinks). A match frees and allocates large buffers many times a second, so
the kernel maps the same memory again and again: matching 1M payments took 1.6M page
faults and 7.7 s of system time out of 45 s of CPU, and in a 5M book each fault costs
more. Kept for `KEEP_FREED_MS` instead, the pages are reused: see the README's matcher
speed section for the figures.

jemalloc reads its settings once, when polars is first imported. `keep_freed_memory` sets
them if polars is not loaded yet and the environment has not chosen (a
``_RJEM_MALLOC_CONF`` already set wins: polars appends it to its own). The `ledgerbridge`
command calls it first thing; a program using the matcher as a library calls it before
importing polars, or sets the variable itself.
"""

from __future__ import annotations

import os
import sys

KEEP_FREED_MS = 10_000
"""jemalloc's own default: a worker's memory still shrinks ten seconds after a match."""

ALLOCATOR_ENV = "_RJEM_MALLOC_CONF"
KEEP_FREED_CONF = f"dirty_decay_ms:{KEEP_FREED_MS},muzzy_decay_ms:{KEEP_FREED_MS}"


def keep_freed_memory() -> bool:
    """Sets `KEEP_FREED_CONF` for polars' allocator; False when it is too late (polars
    is loaded) or the environment already says."""
    if "polars" in sys.modules or ALLOCATOR_ENV in os.environ:
        return False
    os.environ[ALLOCATOR_ENV] = KEEP_FREED_CONF
    return True
