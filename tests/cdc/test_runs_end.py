"""Every poll is a `ledger.sync_run` that ends, with its counts, or with its error when
it failed (a refused KashFlow login included, its password nowhere); a run whose
process was killed is ended as abandoned by the next poll of its stream."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import psycopg
import pytest

from cdc.poll import PollFailed, poll_stream
from cdc.streams import Sources, stream
from cdc.sync import sync_once
from connectors.sage100 import Sage100Reader
from ledger import start_run


def run_end(conn: psycopg.Connection[Any], run_id: int) -> tuple[Any, ...] | None:
    return conn.execute(
        "SELECT status, counts, error FROM ledger.sync_run_end WHERE run_id = %s", (run_id,)
    ).fetchone()


def test_a_successful_poll_ends_with_its_counts(
    autocommit: psycopg.Connection[Any], sources: Sources
) -> None:
    report = poll_stream(autocommit, sources, stream("sage100", "supplier"))
    ended = run_end(autocommit, report.run_id)
    assert ended is not None
    status, counts, error = ended
    assert (status, error) == ("succeeded", None)
    assert counts["read"] == counts["appended"] == report.read > 0
    assert counts["rows_read"] >= report.read and counts["seconds"] >= 0
    checkpoint = autocommit.execute(
        "SELECT run_id FROM ledger.checkpoint WHERE stream = 'sage100:supplier'"
    ).fetchall()
    assert checkpoint == [(report.run_id,)]


def test_a_refused_login_ends_the_run_with_its_error_and_no_secret(
    autocommit: psycopg.Connection[Any], client_factory: Callable[..., Any], company_db: Any
) -> None:
    wrong = Sources(
        sage100=lambda: Sage100Reader(f"DRIVER=SQLite3;Database={company_db}"),
        kashflow=lambda: client_factory(password="Wr0ng-Secret-99"),
    )
    with wrong, pytest.raises(PollFailed) as failed:
        poll_stream(autocommit, wrong, stream("kashflow", "customer"))
    assert failed.value.transient is False
    ended = run_end(autocommit, failed.value.report.run_id)
    assert ended is not None
    status, _, error = ended
    assert status == "failed"
    assert (
        "AuthenticationFailed" in error or "login" in error.lower() or "credential" in error.lower()
    )
    assert "Wr0ng-Secret-99" not in error
    assert autocommit.execute("SELECT count(*) FROM ledger.checkpoint").fetchone() == (0,)


def test_a_run_whose_process_died_is_ended_as_abandoned(
    autocommit: psycopg.Connection[Any], sources: Sources
) -> None:
    orphan = start_run(autocommit, "poll", "sage100", "supplier")  # nobody holds it
    report = poll_stream(autocommit, sources, stream("sage100", "supplier"))
    ended = run_end(autocommit, orphan)
    assert ended is not None and ended[0] == "failed" and "abandoned" in ended[2]
    assert run_end(autocommit, report.run_id) is not None


def test_a_run_still_at_work_is_not_taken_for_abandoned(
    autocommit: psycopg.Connection[Any], ledger_url: str, sources: Sources
) -> None:
    from ledger.runs import hold_run

    with psycopg.connect(ledger_url, autocommit=True) as other:
        busy = start_run(other, "poll", "sage100", "supplier")
        hold_run(other, busy)
        poll_stream(autocommit, sources, stream("sage100", "supplier"))
        assert run_end(autocommit, busy) is None


def test_sync_once_stops_trying_a_system_that_refused_the_login(
    ledger_url: str, client_factory: Callable[..., Any], company_db: Any
) -> None:
    wrong = Sources(
        sage100=lambda: Sage100Reader(f"DRIVER=SQLite3;Database={company_db}"),
        kashflow=lambda: client_factory(password="Wr0ng-Secret-99"),
    )
    targets = [stream("kashflow", "customer"), stream("kashflow", "supplier")]
    with wrong:
        reports = sync_once(ledger_url, wrong, [*targets, stream("sage100", "supplier")])
    assert [r.status for r in reports] == ["failed", "failed", "succeeded"]
    assert reports[1].error is not None and reports[1].error.startswith("not polled:")
    assert reports[1].run_id == 0  # no run was started for it
