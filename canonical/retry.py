"""The one retry policy for calls to KashFlow and Sage 100, on tenacity: transient errors
(`TransientError`: 429, 5xx, timeouts, a locked record, a lost connection) are tried again
with exponential backoff and jitter, up to a limit, honouring a server's `Retry-After`.

Callers say which failures may be retried (a POST only when it surely did not happen);
everything else, permanent errors first, is raised at once.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

import tenacity

from canonical.errors import RateLimited, TransientError

T = TypeVar("T")

RETRY_STATUSES = frozenset({429, 502, 503, 504})
"""HTTP statuses worth another try (500 is a bug on the far side, not a passing state)."""

BeforeRetry = Callable[[BaseException, int, float], None]
"""Told (error, retry number from 0, seconds about to wait) before each wait."""


def is_transient(error: BaseException) -> bool:
    return isinstance(error, TransientError)


@dataclass
class RetryPolicy:
    """`max_retries` tries after the first; the n-th (0-based) waits half of
    min(max_delay, base_delay * 2**n) plus a random share of the other half."""

    max_retries: int = 6
    base_delay: float = 0.5
    max_delay: float = 30.0
    statuses: frozenset[int] = RETRY_STATUSES
    rng: random.Random = field(default_factory=random.Random, repr=False)

    def backoff(self, attempt: int) -> float:
        """Delay before retry number `attempt` (0-based) with no server advice."""
        ceiling = min(self.max_delay, self.base_delay * (2**attempt))
        return ceiling / 2 + self.rng.uniform(0, ceiling / 2)

    def delay(self, attempt: int, retry_after: float | None) -> float:
        """The wait before retry `attempt`: the server's `Retry-After` when it gave one."""
        if retry_after is not None:
            return min(max(retry_after, 0.0), max(self.max_delay, retry_after))
        return self.backoff(attempt)

    def _wait(self, state: tenacity.RetryCallState) -> float:
        error = state.outcome.exception() if state.outcome else None
        retry_after = error.retry_after if isinstance(error, RateLimited) else None
        return self.delay(state.attempt_number - 1, retry_after)

    def retrying(
        self,
        *,
        may_retry: Callable[[BaseException], bool] = is_transient,
        sleep: Callable[[float], None] | None = None,
        before_retry: BeforeRetry | None = None,
    ) -> tenacity.Retrying:
        """A tenacity `Retrying` for this policy; the last error is raised as itself."""

        def told(state: tenacity.RetryCallState) -> None:
            if before_retry is not None and state.outcome is not None:
                error = state.outcome.exception()
                assert error is not None
                wait = state.next_action.sleep if state.next_action else 0.0
                before_retry(error, state.attempt_number - 1, wait)

        options: dict[str, object] = {}
        if sleep is not None:
            options["sleep"] = sleep
        return tenacity.Retrying(
            stop=tenacity.stop_after_attempt(self.max_retries + 1),
            wait=self._wait,
            retry=tenacity.retry_if_exception(may_retry),
            before_sleep=told,
            reraise=True,
            **options,  # type: ignore[arg-type, unused-ignore]
        )

    def call(
        self,
        action: Callable[[], T],
        *,
        may_retry: Callable[[BaseException], bool] = is_transient,
        sleep: Callable[[float], None] | None = None,
        before_retry: BeforeRetry | None = None,
    ) -> T:
        """`action()`, tried again as this policy says."""
        return self.retrying(may_retry=may_retry, sleep=sleep, before_retry=before_retry)(action)
