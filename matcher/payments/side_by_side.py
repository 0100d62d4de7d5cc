"""Independent steps of a match at once: two steps, one on a thread of its own and one on
the caller's (`side_by_side`); or a series of steps, two at a time (`two_at_a_time`).

A step of the matcher is partly work polars or numpy spread over every core and partly
work on one core (Python loops, numpy's single-threaded kernels, polars' sequential
phases). Two steps that do not read each other's results overlap these: at 1M payments
on two cores, preparing both sides, the first pass's sources and the second pass's two
searches side by side save about a tenth of the match (`bench/matcher_speed.py`). Both
steps read the same frames and write none (polars frames are immutable), so the result
is the one the two steps give one after the other.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import TypeVar

A = TypeVar("A")
B = TypeVar("B")
T = TypeVar("T")


def side_by_side(beside: Callable[[], A], here: Callable[[], B]) -> tuple[A, B]:
    """``beside()`` on a thread of its own while ``here()`` runs on this one; both results,
    once both are done. An exception of either is raised here (``here``'s first)."""
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="match") as pool:
        started = pool.submit(beside)
        done_here = here()
        return started.result(), done_here


def two_at_a_time(steps: Iterable[Callable[[], T]]) -> list[T]:
    """Every step's result, in the order of ``steps``. Two run at a time, each on a thread
    of its own; the next step is taken from ``steps`` only once one of the two is done, so
    a long step does not hold the other thread idle, and at most two steps' inputs are
    held at once when ``steps`` builds them as it goes. An exception of a step is raised
    here, once the other running step is done."""
    started: list[Future[T]] = []
    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="match") as pool:
        for step in steps:
            started.append(pool.submit(step))
            running = [future for future in started if not future.done()]
            if len(running) == 2:
                wait(running, return_when=FIRST_COMPLETED)
            for future in started:
                if future.done():
                    future.result()  # raises what the step raised, before the next starts
        return [future.result() for future in started]
