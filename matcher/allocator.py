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

numpy's arrays come from the C library's malloc, not from jemalloc. glibc maps each block
of more than 32 MB afresh and hands it back when it is freed, and a 5M book's columns
are 40 MB each: the kernel zeroes every one of them again (profiled at 5M, zeroing pages
was 10.9 % of the CPU time, against 2.2 % at 1M, whose 8 MB columns glibc reuses). So
`keep_freed_memory` also has glibc (where it is the C library) take blocks of up to
`HEAP_BLOCK_BYTES` from its heap and keep that much freed at the heap's top
(`keep_freed_heap_blocks`), which it can do at any time; `release_freed_heap` hands what
is freed back at once, for a long-lived process after each match.
"""

from __future__ import annotations

import ctypes
import os
import platform
import sys
from collections.abc import Callable

KEEP_FREED_MS = 10_000
"""jemalloc's own default: a worker's memory still shrinks ten seconds after a match."""

ALLOCATOR_ENV = "_RJEM_MALLOC_CONF"
KEEP_FREED_CONF = f"dirty_decay_ms:{KEEP_FREED_MS},muzzy_decay_ms:{KEEP_FREED_MS}"


HEAP_BLOCK_BYTES = 1 << 30
"""Blocks up to 1 GB come from glibc's heap, and up to 1 GB freed stays at its top."""

M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3
"""glibc's `mallopt` parameters (malloc.h). Setting either turns off glibc's own
adjustment of both, so both are set: the mapping threshold alone leaves the trim
threshold at 128 kB (the heap's top handed back at every free), the trim threshold alone
leaves every block over 128 kB mapped afresh."""


def keep_freed_memory() -> bool:
    """Sets `KEEP_FREED_CONF` for polars' allocator; False when it is too late (polars
    is loaded) or the environment already says. glibc's heap is set as well, whatever
    this returns (`keep_freed_heap_blocks`)."""
    keep_freed_heap_blocks()
    if "polars" in sys.modules or ALLOCATOR_ENV in os.environ:
        return False
    os.environ[ALLOCATOR_ENV] = KEEP_FREED_CONF
    return True


def keep_freed_heap_blocks() -> bool:
    """glibc takes blocks of up to `HEAP_BLOCK_BYTES` from its heap and keeps that much
    freed at the heap's top; False where the C library is not glibc."""
    mallopt = _glibc("mallopt")
    if mallopt is None:
        return False
    mapped = mallopt(M_MMAP_THRESHOLD, HEAP_BLOCK_BYTES)
    trimmed = mallopt(M_TRIM_THRESHOLD, HEAP_BLOCK_BYTES)
    return bool(mapped and trimmed)


def release_freed_heap() -> bool:
    """Hands the heap's freed memory back to the kernel now (glibc's `malloc_trim`: the
    free pages anywhere in the heap, not only at its top); False where none was handed
    back or the C library is not glibc."""
    trim = _glibc("malloc_trim")
    return bool(trim(0)) if trim is not None else False


def _glibc(name: str) -> Callable[..., int] | None:
    """The glibc function `name` of this process, or None under another C library."""
    if platform.libc_ver()[0] != "glibc":
        return None
    function: Callable[..., int] | None = getattr(ctypes.CDLL(None), name, None)
    return function
