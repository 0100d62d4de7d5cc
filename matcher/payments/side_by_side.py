"""Two independent steps of a match at once: one on a thread of its own, one on the
caller's.

A step of the matcher is partly work polars or numpy spread over every core and partly
work on one core (Python loops, numpy's single-threaded kernels, polars' sequential
phases). Two steps that do not read each other's results overlap these: at 1M payments
on two cores, preparing both sides, the first pass's sources and the second pass's two
searches side by side save about a tenth of the match (`bench/matcher_speed.py`). Both
steps read the same frames and write none (polars frames are immutable), so the result
is the one the two steps give one after the other.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

A = TypeVar("A")
B = TypeVar("B")


def side_by_side(beside: Callable[[], A], here: Callable[[], B]) -> tuple[A, B]:
    """``beside()`` on a thread of its own while ``here()`` runs on this one; both results,
    once both are done. An exception of either is raised here (``here``'s first)."""
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="match") as pool:
        started = pool.submit(beside)
        done_here = here()
        return started.result(), done_here
