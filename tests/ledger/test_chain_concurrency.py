"""Chains stay whole when many sessions append at once: to one stream of versions, and to
one trigger-chained table, inside callers' own transactions too."""

from __future__ import annotations

import threading
from typing import Any

import psycopg

from ledger import NewVersion, append_versions, verify_ledger

APPENDS_EACH = 15


def _append(url: str, writer: int, errors: list[BaseException]) -> None:
    try:
        with psycopg.connect(url) as conn:
            for step in range(APPENDS_EACH):
                with conn.transaction():  # as a poller does: versions and a dead letter at once
                    append_versions(
                        conn,
                        [NewVersion("sage100", "customer", f"{writer}-{step}", {"step": step}),
                         NewVersion("sage100", "customer", "shared", {"by": writer, "step": step})],
                    )  # fmt: skip
                    conn.execute(
                        "INSERT INTO ledger.dead_letter (stage, error_type, message)"
                        " VALUES ('cdc', 'X', %s)",
                        (f"{writer}/{step}",),
                    )
    except BaseException as error:  # surfaced by the test
        errors.append(error)


def test_concurrent_appends_leave_every_chain_whole(
    app_url: str, conn: psycopg.Connection[Any]
) -> None:
    errors: list[BaseException] = []
    threads = [threading.Thread(target=_append, args=(app_url, w, errors)) for w in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    positions = conn.execute(
        "SELECT chain_seq FROM ledger.record_version ORDER BY chain_seq"
    ).fetchall()
    letters = conn.execute("SELECT chain_seq FROM ledger.dead_letter ORDER BY chain_seq").fetchall()
    assert errors == []
    assert [p for (p,) in positions] == list(range(1, 4 * APPENDS_EACH * 2 + 1))
    assert [p for (p,) in letters] == list(range(1, 4 * APPENDS_EACH + 1))
    assert verify_ledger(conn, None).mismatches == []
