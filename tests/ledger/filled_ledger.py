"""A ledger with a row in every table, for the tests that try to change or remove rows
(append-only triggers, the application role's privileges), and the key it is sealed with."""

from __future__ import annotations

from typing import Any

import psycopg

from ledger import (
    IdentityLink,
    NewVersion,
    append_links,
    append_results,
    append_versions,
    finish_run,
    seal_ledger,
    start_run,
)
from ledger.results import MatchResult

SEAL_KEY = b"a seal key of 32 bytes, for tests"


def fill_every_table(conn: psycopg.Connection[Any]) -> int:
    """Append a row to every ledger table as `conn`'s role, then seal; returns the run id."""
    run_id = start_run(conn, "reconcile")
    append_versions(conn, [NewVersion("kashflow", "customer", "A", {"name": "A"})], run_id)
    append_results(conn, run_id, [MatchResult("payment", "g1", 0.9, "auto")])
    append_links(conn, run_id, [IdentityLink("customer", "A", "01-A")])
    with conn.transaction():
        conn.execute(
            "INSERT INTO ledger.write_intent (idempotency_key, target_system, entity, operation,"
            " payload) VALUES ('k1', 'sage100', 'customer', 'create', '{}')"
        )
        conn.execute(
            "INSERT INTO ledger.write_outcome (idempotency_key, attempt, recovery_point, status)"
            " VALUES ('k1', 1, 'started', 'started')"
        )
        conn.execute(
            "INSERT INTO ledger.dead_letter (stage, error_type, message)"
            " VALUES ('writer', 'X', 'm')"
        )
        conn.execute(
            "INSERT INTO ledger.decision (kind, subject, outcome, actor)"
            " VALUES ('approval', '{}', 'approved', 'ann')"
        )
        conn.execute("INSERT INTO ledger.checkpoint (stream, position) VALUES ('s', '{}')")
    finish_run(conn, run_id)
    seal_ledger(conn, SEAL_KEY)
    return run_id
