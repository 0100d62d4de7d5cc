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
    results: dict[int, T] = {}
    running: dict[Future[T], int] = {}

    def settle(done: set[Future[T]]) -> None:
        for future in done:
            results[running.pop(future)] = future.result()

    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="match") as pool:
        for index, step in enumerate(_when_free(steps, running, settle)):
            running[pool.submit(step)] = index
        settle(wait(running).done)
    return [results[index] for index in range(len(results))]


def _when_free(
    steps: Iterable[Callable[[], T]],
    running: dict[Future[T], int],
    settle: Callable[[set[Future[T]]], None],
) -> Iterable[Callable[[], T]]:
    """``steps``, each taken only once fewer than two of ``running`` are left running."""
    iterator = iter(steps)
    while True:
        if len(running) >= 2:
            settle(wait(running, return_when=FIRST_COMPLETED).done)
        step = next(iterator, None)
        if step is None:
            return
        yield step
