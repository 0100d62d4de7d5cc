"""The polls the API asked the job queue for: the real `cdc.request_poll` on the test's
ledger, and the `cdc.poll` jobs it queued, read back from procrastinate's table."""

from __future__ import annotations

from typing import Any

import psycopg

from cdc.tasks import POLL_TASK, request_poll


class QueuedPolls:
    """Asks for polls on `url`'s queue as the API's `request_poll`; lists what is queued."""

    def __init__(self, url: str) -> None:
        self.url = url

    def __call__(self, system: str, entity: str, reason: str) -> int | None:
        return request_poll(system, entity, reason, database_url=self.url)

    def queued(self) -> list[tuple[str, str, str]]:
        """(system, entity, reason) of every poll job, in the order queued."""
        with psycopg.connect(self.url) as conn:
            rows: list[Any] = conn.execute(
                "SELECT args FROM procrastinate.procrastinate_jobs WHERE task_name = %s"
                " ORDER BY id",
                (POLL_TASK,),
            ).fetchall()
        return [(a["system"], a["entity"], a["reason"]) for (a,) in rows]
