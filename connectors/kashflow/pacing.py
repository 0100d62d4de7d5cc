"""Client-side pacing: space requests so the client stays under KashFlow's rate limit
instead of bouncing off it.

Slots are handed out at `rate` per second on a fixed schedule (not "now + interval"),
so the achieved rate stays at the limit even when requests take time; a 429's
`Retry-After` holds every caller back at once.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


class Pacer:
    def __init__(
        self,
        rate_per_second: float | None,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.interval = 1.0 / rate_per_second if rate_per_second else 0.0
        self._clock = clock
        self._sleep = sleep
        self._next = 0.0
        self._lock = threading.Lock()
        self.waited = 0.0

    def wait(self) -> float:
        """Blocks until this caller's slot; returns the seconds waited."""
        with self._lock:
            now = self._clock()
            slot = max(now, self._next)
            self._next = slot + self.interval
        delay = slot - now
        if delay > 0:
            self._sleep(delay)
            self.waited += delay
        return delay

    def hold(self, seconds: float) -> None:
        """No slot before `seconds` from now (the server said so)."""
        with self._lock:
            self._next = max(self._next, self._clock() + seconds)
