"""`side_by_side` runs its two steps at once and hands back both results in order;
`two_at_a_time` runs a series of steps two at a time and hands back their results in order."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from functools import partial

import pytest

from matcher.payments.side_by_side import side_by_side, two_at_a_time


def test_both_steps_run_at_once_and_both_results_come_back_in_order() -> None:
    # Each step waits for the other to have started: run one after the other, the first
    # would wait for the second forever (here: until the timeout fails it).
    started = [threading.Event(), threading.Event()]

    def step(mine: int) -> int:
        started[mine].set()
        assert started[1 - mine].wait(timeout=10), "the other step never ran beside this one"
        return threading.get_ident()

    beside, here = side_by_side(lambda: step(0), lambda: step(1))
    assert here == threading.get_ident() != beside


def test_a_failure_of_either_step_is_raised_to_the_caller() -> None:
    def fails(message: str) -> int:
        raise ValueError(message)

    with pytest.raises(ValueError, match=r"^beside$"):
        side_by_side(lambda: fails("beside"), lambda: 1)
    with pytest.raises(ValueError, match=r"^here$"):
        side_by_side(lambda: 1, lambda: fails("here"))


def test_steps_run_two_at_a_time_and_their_results_come_back_in_order() -> None:
    """The first step is long: the next ones run beside it, one after another, and each is
    taken from the series only once a thread is free (never more than two taken and not
    done); the results are in the series' order all the same."""
    lock = threading.Lock()
    taken_not_done = 0
    most = 0
    first_done = threading.Event()
    others_done = 0

    def step(index: int) -> int:
        nonlocal taken_not_done, others_done
        if index == 0:
            # Long: every other step runs beside it, on the other thread.
            assert wait_for(lambda: others_done == 4), "the other steps did not run beside"
            first_done.set()
        else:
            with lock:
                others_done += 1
        with lock:
            taken_not_done -= 1
        return index * 10

    def steps() -> Iterator[Callable[[], int]]:
        nonlocal taken_not_done, most
        for index in range(5):
            with lock:
                taken_not_done += 1
                most = max(most, taken_not_done)
            yield partial(step, index)

    assert two_at_a_time(steps()) == [0, 10, 20, 30, 40]
    assert first_done.is_set() and most == 2


def test_a_failing_step_is_raised_to_the_caller() -> None:
    def fails() -> int:
        raise ValueError("step 2")

    with pytest.raises(ValueError, match=r"^step 2$"):
        two_at_a_time([lambda: 1, lambda: 2, fails, lambda: 4])


def wait_for(condition: Callable[[], bool], seconds: float = 10) -> bool:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.001)
    return True
