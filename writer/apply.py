"""Applies write intents exactly once in effect, in the manner of Stripe's idempotency keys.

Each intent is stored under its idempotency key before anything is called. Applying it
is a run of atomic phases, each one transaction of `ledger.write_outcome` rows:

1. `started` (attempt n);
2. `in_progress` at the recovery point `call_started` — then, if an earlier attempt
   reached the call, the target is searched for the record (found: done, not called
   again; the search failing fails the attempt), then the call, retried for transient
   errors by the one retry policy (`canonical.retry`), searching again after each
   uncertain outcome (a lost connection, a 5xx);
3. `succeeded`, `failed_transient` (tried again on a later apply) or `failed_permanent`
   (with a dead letter naming system, entity, key, field and the exact message).

Intents wait for what they depend on and, when they need one, for an approval. Phases
of up to `batch_size` intents share their transactions. A successful write asks for a
poll of what it touched, so the ledger sees the result.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

from canonical import (
    CanonicalRecord,
    LedgerbridgeError,
    PermanentError,
    RateLimited,
    RecordLocked,
    TransientError,
    canonical_json,
)
from canonical.retry import RetryPolicy
from connectors.kashflow.errors import NotSent
from ledger import IdentityLink, append_links
from writer.alerts import Alerter
from writer.intents import WriteIntent, source_of
from writer.outbox import (
    CALL_STARTED,
    FINISHED,
    FOUND,
    REJECTED,
    STARTED,
    IntentState,
    Step,
    append_steps,
    intent_states,
    record_intents,
)
from writer.targets import Target, stream_entity

log = logging.getLogger("writer")

PollRequest = Callable[[str, str, str], object]
"""Asks for a poll of (system, entity) for a reason: `cdc.request_poll`, bound by the shell."""


@dataclass
class ApplyReport:
    """What one apply did, and where its time went."""

    succeeded: int = 0
    found_after_uncertain: int = 0
    failed_transient: int = 0
    dead_lettered: int = 0
    rejected: int = 0
    awaiting_approval: int = 0
    waiting_on_dependencies: int = 0
    busy_elsewhere: int = 0
    target_seconds: dict[str, float] = field(default_factory=dict)
    """Seconds spent inside each target system's connector (calls and searches)."""
    polls_requested: list[tuple[str, str]] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        """The tallies (the whole-number fields), by name."""
        tallies = {f.name: getattr(self, f.name) for f in fields(self)}
        return {name: value for name, value in tallies.items() if isinstance(value, int)}


def _uncertain(error: BaseException) -> bool:
    """Whether a failed call may have written all the same (so search before again)."""
    return isinstance(error, TransientError) and not isinstance(
        error, RateLimited | RecordLocked | NotSent
    )


def error_fields(error: BaseException, intent: IntentState) -> dict[str, Any]:
    """What an outcome and a dead letter say of an error: type, where, exact message."""
    if isinstance(error, LedgerbridgeError):
        message = error.message
        if error.remote_message and error.remote_message not in message:
            message = f"{message} ({error.remote_message})"
        return {
            "error": type(error).__name__,
            "system": error.system or intent.target_system,
            "entity": error.entity or intent.entity,
            "key": error.key or intent.target_key,
            "field": error.field,
            "message": message,
        }
    return {
        "error": type(error).__name__,
        "system": intent.target_system,
        "entity": intent.entity,
        "key": intent.target_key,
        "field": None,
        "message": str(error).strip().splitlines()[0] if str(error).strip() else repr(error),
    }


@dataclass
class _Result:
    """What one call of the target came to: the outcome to append for the intent."""

    state: IntentState
    step: Step


LINKED_SYSTEMS = ("kashflow", "sage100")


def created_link(result: _Result) -> IdentityLink | None:
    """The identity link a successful write makes: the source record and the record it
    wrote in the other system are the same thing, `created_by_us` (so the next plan knows
    the written record, read back, as the echo of its source). None for writes between
    different entities (a payment from an invoice's paid status) or from other systems."""
    state, written = result.state, result.step.target_key
    if result.step.status != "succeeded" or not written or state.operation == "delete":
        return None
    source = source_of(state.idempotency_key)
    if (
        source.entity != state.entity
        or {source.system, state.target_system} != set(LINKED_SYSTEMS)
        or "," in written  # one KashFlow payment per invoice: not one record
    ):
        return None
    kashflow_key, sage100_key = (
        (source.key, written) if source.system == "kashflow" else (written, source.key)
    )
    return IdentityLink(
        state.entity, kashflow_key, sage100_key, "created_by_us", decided_by="writer"
    )


class Applier:
    """Applies the outbox's pending intents to `targets` (by system name)."""

    def __init__(
        self,
        conn: psycopg.Connection[Any],
        targets: Mapping[str, Target],
        *,
        retry: RetryPolicy | None = None,
        batch_size: int = 50,
        failing_after_attempts: int = 3,
        alerter: Alerter | None = None,
        request_poll: PollRequest | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if not conn.autocommit:
            raise ValueError("the applier needs an autocommit connection (its locks and phases)")
        self.conn = conn
        self.targets = targets
        self.retry = retry or RetryPolicy(max_retries=5)
        self.batch_size = batch_size
        self.failing_after_attempts = failing_after_attempts
        self.alerter = alerter or Alerter()
        self.request_poll = request_poll
        self.sleep = sleep
        self.target_seconds: dict[str, float] = {}
        """Seconds spent inside each target system's connector, since this applier began."""

    def submit(self, intents: Iterable[WriteIntent], run_id: int | None = None) -> int:
        """Stores intents in the outbox (idempotent on their keys); returns how many were new."""
        return record_intents(self.conn, intents, run_id)

    def apply(self, keys: Sequence[str] | None = None) -> ApplyReport:
        """Applies every pending intent (or those of `keys`, and what depends on them)
        whose dependencies have succeeded, in rounds until nothing more is ready; each is
        tried once per apply."""
        report = ApplyReport()
        wanted = None if keys is None else set(keys)
        tried: set[str] = set()
        while True:
            states = intent_states(self.conn)
            ready = self._ready(states, wanted, tried, report)
            if not ready:
                break
            for start in range(0, len(ready), self.batch_size):
                self._apply_batch(ready[start : start + self.batch_size], report)
            tried.update(s.idempotency_key for s in ready)
        self._count_waiting(intent_states(self.conn), wanted, report)
        return report

    def _ready(
        self,
        states: list[IntentState],
        wanted: set[str] | None,
        tried: set[str],
        report: ApplyReport,
    ) -> list[IntentState]:
        by_key = {s.idempotency_key: s for s in states}
        if wanted is not None:  # what waits on the wanted intents goes with them
            grown = True
            while grown:
                more = {s.idempotency_key for s in states if wanted.intersection(s.depends_on)}
                grown = not more <= wanted
                wanted |= more
        ready = []
        for state in states:
            if wanted is not None and state.idempotency_key not in wanted:
                continue
            stage = state.stage
            if stage == "rejected" and state.status != "failed_permanent":
                self._record_rejection(state, report)
                continue
            if stage != "pending" or state.idempotency_key in tried:
                continue
            dependencies = [by_key.get(k) for k in state.depends_on]
            if all(d is not None and d.stage == "succeeded" for d in dependencies):
                ready.append(state)
        return ready

    def _count_waiting(
        self, states: list[IntentState], wanted: set[str] | None, report: ApplyReport
    ) -> None:
        by_key = {s.idempotency_key: s for s in states}
        for state in states:
            if wanted is not None and state.idempotency_key not in wanted:
                continue
            stage = state.stage
            if stage == "awaiting_approval":
                report.awaiting_approval += 1
            elif stage == "pending" and any(
                by_key.get(k) is None or by_key[k].stage != "succeeded" for k in state.depends_on
            ):
                report.waiting_on_dependencies += 1

    def _record_rejection(self, state: IntentState, report: ApplyReport) -> None:
        append_steps(
            self.conn,
            [Step(state.idempotency_key, state.attempts + 1, REJECTED, "failed_permanent",
                  error={"error": "Rejected", "message": "rejected by an approver"})],
        )  # fmt: skip
        report.rejected += 1

    # -- one batch: three atomic phases around the calls ---------------------------------
    def _apply_batch(self, batch: list[IntentState], report: ApplyReport) -> None:
        locked = [s for s in batch if self._try_lock(s.idempotency_key)]
        report.busy_elsewhere += len(batch) - len(locked)
        try:
            if locked:
                self._apply_locked(locked, report)
        finally:
            for state in locked:
                self.conn.execute(
                    "SELECT pg_advisory_unlock(hashtextextended(%s, 0))", (state.idempotency_key,)
                )

    def _try_lock(self, key: str) -> bool:
        row = self.conn.execute(
            "SELECT pg_try_advisory_lock(hashtextextended(%s, 0))", (key,)
        ).fetchone()
        return bool(row and row[0])

    def _apply_locked(self, locked: list[IntentState], report: ApplyReport) -> None:
        # Another worker may have finished some between our read and our lock.
        fresh = intent_states(self.conn, [s.idempotency_key for s in locked])
        todo = [s for s in fresh if s.stage == "pending"]
        attempts = {s.idempotency_key: s.attempts + 1 for s in todo}
        append_steps(
            self.conn, [Step(s.idempotency_key, attempts[s.idempotency_key], STARTED, "started")
                        for s in todo],
        )  # fmt: skip
        append_steps(
            self.conn,
            [Step(s.idempotency_key, attempts[s.idempotency_key], CALL_STARTED, "in_progress")
             for s in todo],
        )  # fmt: skip
        # An attempt after one that reached the call searches the target before calling:
        # a search that fails fails the attempt, never lets a blind write through.
        results = [
            self._call(state, attempts[state.idempotency_key], search_first=state.called)
            for state in todo
        ]
        self._finish(results, report)

    def _timed(self, system: str, action: Callable[[], Any]) -> Any:
        started = time.perf_counter()
        try:
            return action()
        finally:
            spent = time.perf_counter() - started
            self.target_seconds[system] = self.target_seconds.get(system, 0.0) + spent

    def _call(self, state: IntentState, attempt: int, search_first: bool) -> _Result:
        target = self.targets.get(state.target_system)
        uncertain = search_first
        found_written = False

        def write_once() -> str:
            nonlocal uncertain, found_written
            assert target is not None
            record: CanonicalRecord = state.record()
            if uncertain:
                found = target.find(state.operation, record)
                if found is not None:
                    found_written = True
                    return found
            try:
                key: str = target.write(state.operation, record, state.native_fields)
            except BaseException as failed:
                uncertain = uncertain or _uncertain(failed)
                raise
            return key

        try:
            if target is None:
                raise PermanentError(
                    f"no target system {state.target_system!r} is configured",
                    system=state.target_system, entity=state.entity, key=state.target_key,
                )  # fmt: skip
            written = self._timed(
                state.target_system,
                lambda: (
                    write_once()
                    if target.retries_itself
                    else self.retry.call(write_once, sleep=self.sleep)
                ),
            )
        except TransientError as failed:
            error = error_fields(failed, state)
            step = Step(state.idempotency_key, attempt, FINISHED, "failed_transient", error=error)
        except Exception as failed:  # permanent: refused, unknown reference, bad data
            error = error_fields(failed, state)
            step = Step(state.idempotency_key, attempt, FINISHED, "failed_permanent", error=error)
        else:
            point = FOUND if found_written else FINISHED
            step = Step(state.idempotency_key, attempt, point, "succeeded", str(written))
        return _Result(state, step)

    def _finish(self, results: list[_Result], report: ApplyReport) -> None:
        """The last phase: outcomes and dead letters in one transaction, then polls and
        alerts."""
        steps = [r.step for r in results]
        dead = [r for r in results if r.step.status == "failed_permanent"]
        with self.conn.transaction():
            append_steps(self.conn, steps)
            self._append_dead_letters(dead)
            append_links(
                self.conn, None, [link for r in results if (link := created_link(r)) is not None]
            )
        touched: dict[tuple[str, str], None] = {}
        failing = []
        for r in results:
            if r.step.status == "succeeded":
                report.succeeded += 1
                report.found_after_uncertain += r.step.recovery_point == FOUND
                system = r.state.target_system
                touched[(system, stream_entity(system, r.state.entity, r.state.payload))] = None
            elif r.step.status == "failed_transient":
                report.failed_transient += 1
                if r.state.transient_failures + 1 == self.failing_after_attempts:
                    failing.append(
                        {
                            **(r.step.error or {}),
                            "idempotency_key": r.state.idempotency_key,
                            "attempts": r.step.attempt,
                        }
                    )
            else:
                report.dead_lettered += 1
        for system, seconds in self.target_seconds.items():
            report.target_seconds[system] = seconds
        for system, entity in touched:
            report.polls_requested.append((system, entity))
            if self.request_poll is not None:
                try:
                    self.request_poll(system, entity, "write")
                except Exception as failed:  # the schedule polls it later all the same
                    log.warning("poll request failed: %s", type(failed).__name__)
        self.alerter.dead_letters(
            [{**(r.step.error or {}), "idempotency_key": r.state.idempotency_key} for r in dead]
        )
        self.alerter.keeps_failing(failing)

    def _append_dead_letters(self, dead: list[_Result]) -> None:
        if not dead:
            return
        with self.conn.cursor() as cur:
            cur.executemany(
                "INSERT INTO ledger.dead_letter (stage, system, entity, native_key,"
                " idempotency_key, error_type, field, message, payload)"
                " VALUES ('writer', %s, %s, %s, %s, %s, %s, %s, %s)",
                [
                    (
                        (r.step.error or {}).get("system"),
                        r.state.entity,
                        r.state.target_key,
                        r.state.idempotency_key,
                        (r.step.error or {}).get("error", "Error"),
                        (r.step.error or {}).get("field"),
                        (r.step.error or {}).get("message", ""),
                        Jsonb(r.state.payload, canonical_json),
                    )
                    for r in dead
                ],
            )
