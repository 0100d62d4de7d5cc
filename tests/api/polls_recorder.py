"""What the API asked of the job queue, recorded: the app's `request_poll` seam, filled by
the test (the queue itself is CDC's, tested there)."""

from __future__ import annotations


class PollsAsked(list[tuple[str, str, str]]):
    """The polls the app asked for, in order: (system, entity, reason)."""

    def __call__(self, system: str, entity: str, reason: str) -> int | None:
        self.append((system, entity, reason))
        return len(self)
