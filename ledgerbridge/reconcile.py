"""One reconcile run over the ledger: the only place a run touches it.

`reconcile(conn, config)` starts a ``reconcile`` run, reads the current records of both
systems and the identity links (`read_input`), runs the matcher's pure steps
(`matcher.reconcile.run_steps`, which also learns from the GL suggestions people
accepted), appends the ``auto`` master links, every result and the items left unmatched
(`ledger.unmatched_item`) to the run, and ends it: ``succeeded``, or ``partial`` with the
problems in its counts and error when a record could not be read or a step failed (the
other steps still ran).
"""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any

import psycopg

from canonical import CanonicalRecord, ValidationFailed
from ledger import (
    append_links,
    append_results,
    current,
    current_links,
    finish_run,
    start_run,
    withdrawn_links,
)
from ledger.decisions import accepted_gl_accounts
from ledger.unmatched import append_unmatched
from matcher.allocator import release_freed_heap
from matcher.reconcile import (
    MASTER_ENTITIES,
    STEPS,
    ReconcileConfig,
    ReconcileInput,
    ReconcileOutcome,
    ReconcileSummary,
    StepProblem,
    payment_frames,
    run_steps,
)
from matcher.unmatched import unmatched_items

log = logging.getLogger(__name__)

READ_ENTITIES = (
    "customer",
    "supplier",
    "product",
    "gl_account",
    "sales_invoice",
    "purchase_invoice",
    "payment",
)
"""The entities a run reads from the ledger."""
PROBLEMS_IN_ERROR = 20
"""Problems spelled out in the run's error text (all of them are in its counts)."""


def reconcile(
    conn: psycopg.Connection[Any], config: ReconcileConfig | None = None
) -> ReconcileSummary:
    """Match everything the ledger holds now and append the results as one run."""
    run_id = start_run(conn, "reconcile", parameters={"steps": list(STEPS)})
    try:
        inputs, read_problems = read_input(conn)
        outcome = run_steps(inputs, config)
        links_appended = append_links(conn, run_id, outcome.links)
        append_results(conn, run_id, outcome.results)
        linked = replace(inputs, links=[*inputs.links, *outcome.links])
        append_unmatched(conn, run_id, unmatched_items(payment_frames(linked), outcome.results))
    except Exception as error:
        finish_run(conn, run_id, "failed", error=str(error))
        raise
    finally:
        # What the match freed goes back to the kernel now, not at the next match: a
        # scheduled worker sits idle between runs.
        release_freed_heap()
    summary = summarise(run_id, outcome, links_appended, (*read_problems, *outcome.problems))
    for problem in summary.problems:
        log.warning("reconcile run %s: %s", run_id, problem.line())
    finish_run(
        conn, run_id, summary.status, counts=summary.counts(), error=problem_text(summary.problems)
    )
    return summary


def read_input(conn: psycopg.Connection[Any]) -> tuple[ReconcileInput, list[StepProblem]]:
    """The current records of both systems as canonical records, the links in force and
    the withdrawn ones; a stored version that is no valid record is a problem."""
    records: dict[str, list[CanonicalRecord]] = {}
    problems: list[StepProblem] = []
    for entity in READ_ENTITIES:
        records[entity] = []
        for version in current(conn, entity=entity):
            try:
                records[entity].append(version.record())
            except ValidationFailed as error:
                problems.append(
                    StepProblem(
                        "read",
                        error.message,
                        record=(version.system, entity, version.native_key),
                        field=error.field,
                    )
                )
    withdrawn = {entity: frozenset(withdrawn_links(conn, entity)) for entity in MASTER_ENTITIES}
    accepted = tuple(accepted_gl_accounts(conn))
    return ReconcileInput(records, current_links(conn), withdrawn, accepted), problems


def summarise(
    run_id: int,
    outcome: ReconcileOutcome,
    links_appended: int,
    problems: tuple[StepProblem, ...],
) -> ReconcileSummary:
    payments = outcome.payments
    return ReconcileSummary(
        run_id=run_id,
        payments=payments.payments,
        invoices=payments.invoices,
        allocations=payments.allocations,
        auto=payments.auto,
        suggested=payments.allocations - payments.auto,
        masters=outcome.masters,
        links_appended=links_appended,
        anomalies=outcome.anomalies,
        gl=outcome.gl,
        problems=problems,
    )


def problem_text(problems: tuple[StepProblem, ...]) -> str | None:
    """The run's error text: one line per problem (the first `PROBLEMS_IN_ERROR`)."""
    if not problems:
        return None
    lines = [problem.line() for problem in problems[:PROBLEMS_IN_ERROR]]
    if len(problems) > PROBLEMS_IN_ERROR:
        lines.append(f"... and {len(problems) - PROBLEMS_IN_ERROR} more (see the run's counts)")
    return "\n".join(lines)
