"""Applying on procrastinate, beside the CDC pollers on the same app: a `writer.apply`
job plans every flow into the outbox (when the ledger moved since its last plan), then
applies every pending intent; it is deferred by a tick every few seconds and by
`defer_apply` (after planning, an approval or a dead-letter retry). Its queueing lock
keeps one queued at a time; appliers on many workers still never apply one intent twice
(each intent is locked while it is applied)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

import procrastinate
from procrastinate.exceptions import AlreadyEnqueued
from procrastinate.jobs import Job
from procrastinate.retry import BaseRetryStrategy, RetryDecision

from writer.apply import Applier
from writer.plan import PlanWhenChanged

log = logging.getLogger("writer")

APPLY_TASK = "writer.apply"
MAX_ATTEMPTS = 5


class ApplyRetry(BaseRetryStrategy):
    """An apply that failed outright (the database went away) runs again after 2, 4, 8 s."""

    def get_retry_decision(self, *, exception: BaseException, job: Job) -> RetryDecision | None:
        if job.attempts + 1 >= MAX_ATTEMPTS:
            return None
        return RetryDecision(retry_in={"seconds": 2 ** (job.attempts + 1)})


def register_apply_tasks(
    app: procrastinate.App,
    open_applier: Callable[[], AbstractContextManager[Applier]],
    tick_seconds: int,
    plan: Callable[[], object] | None = None,
) -> None:
    """Adds the apply task and its tick to `app` (the CDC workers' app). With `plan`, each
    apply first plans every flow over the ledger and stores the plan (what the polls
    brought in since becomes intents) — unless nothing reached the ledger since the last
    plan (`PlanWhenChanged`); a plan that fails is logged, and what is stored already is
    still applied."""

    planner = PlanWhenChanged(plan) if plan is not None else None

    @app.task(name=APPLY_TASK, queueing_lock=APPLY_TASK, retry=ApplyRetry())
    def apply(reason: str = "schedule") -> dict[str, Any]:
        with open_applier() as applier:
            if planner is not None:
                try:
                    if not planner(applier.conn):
                        log.debug("writer plan skipped: nothing new in the ledger")
                except Exception as failed:  # the rules or the ledger; applying goes on
                    log.error("writer plan failed: %s: %s", type(failed).__name__, failed)
            report = applier.apply()
        counts: dict[str, Any] = dict(report.counts())
        if report.succeeded or report.dead_lettered or report.failed_transient:
            log.info("writer applied", extra={"reason": reason, **counts})
        return counts

    @app.periodic(cron=f"* * * * * */{tick_seconds}", periodic_id="writer")
    @app.task(name="writer.apply_tick", queueing_lock="writer.apply_tick")
    def apply_tick(timestamp: int) -> None:
        defer_apply(app, "schedule")


def defer_apply(app: procrastinate.App, reason: str) -> int | None:
    """Queues an apply on an open `app`; None when one is queued already."""
    try:
        job_id: int = app.configure_task(APPLY_TASK, queueing_lock=APPLY_TASK).defer(reason=reason)
    except AlreadyEnqueued:
        return None
    return job_id
