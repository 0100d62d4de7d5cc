"""Identity links: appending a link in force changes nothing, an unlink takes it back."""

from __future__ import annotations

from typing import Any

import psycopg

from ledger import IdentityLink, append_links, current_links, start_run, withdrawn_links


def test_a_link_is_appended_once_however_often_it_is_given(
    conn: psycopg.Connection[Any],
) -> None:
    run_id = start_run(conn, "reconcile")
    acme = IdentityLink("customer", "ACME", "01-ACME", score=0.99)

    assert append_links(conn, run_id, [acme, acme]) == 1
    assert append_links(conn, run_id, [acme]) == 0

    assert current_links(conn, "customer") == [
        IdentityLink("customer", "ACME", "01-ACME", "matched", 0.99, None, run_id)
    ]
    assert current_links(conn, "supplier") == []


def test_an_unlink_withdraws_a_link_and_only_a_link_in_force(
    conn: psycopg.Connection[Any],
) -> None:
    acme = IdentityLink("customer", "ACME", "01-ACME", method="confirmed", decided_by="ana")
    other = IdentityLink("customer", "BETA", "01-BETA")
    append_links(conn, None, [acme])

    assert append_links(conn, None, [acme, other], action="unlink") == 1

    assert current_links(conn) == []
    assert withdrawn_links(conn, "customer") == {("ACME", "01-ACME")}
    assert append_links(conn, None, [acme]) == 1
    assert withdrawn_links(conn, "customer") == set()
