"""`side_by_side` runs its two steps at once and hands back both results in order."""

from __future__ import annotations

import threading

import pytest

from matcher.payments.side_by_side import side_by_side


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
