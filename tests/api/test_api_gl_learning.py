"""An accepted GL suggestion teaches the next reconcile run: after a finance person has
accepted N suggestions of one supplier with another account, a new line of that supplier
is suggested that account first."""

from __future__ import annotations

from datetime import date
from typing import Any

from api_company import auth, purchase
from fastapi.testclient import TestClient

from canonical import GLAccount
from ledger import NewVersion, append_versions
from ledgerbridge.reconcile import reconcile

OVERRIDES = 8
FUEL = "7350-00-00"


def suggestion_of(client: TestClient, line: str) -> dict[str, Any]:
    cursor = None
    while True:
        page = client.get(
            "/gl-suggestions", params={"limit": 100, "cursor": cursor}, headers=auth("read")
        ).json()
        for item in page["items"]:
            if item["line"] == line:
                found: dict[str, Any] = item
                return found
        cursor = page["next_cursor"]
        assert cursor is not None, f"no suggestion for {line}"


def test_after_n_accepted_overrides_of_a_supplier_its_next_line_gets_that_account_first(
    client: TestClient, api_conn: Any
) -> None:
    fuel_lines = [
        purchase("kashflow", str(8000 + i), "FLE0002", f"FLE-{8000 + i}", "Diesel for vans",
                 f"{60 + i}.00", "7300", date(2026, 11, 2))
        for i in range(OVERRIDES)
    ]  # fmt: skip
    append_versions(
        api_conn,
        [*fuel_lines, NewVersion.of(GLAccount(system="sage100", key=FUEL, name="Fuel"))],
    )
    reconcile(api_conn)
    for i in range(OVERRIDES):
        before = suggestion_of(client, f"{8000 + i}:1")
        assert before["suggested_account"] == "7300-00-00"  # what Sage's history says
        accepted = client.post(
            f"/gl-suggestions/{before['id']}/accept", headers=auth("review"),
            json={"account": FUEL, "reason": "fuel has its own account from this year"},
        )  # fmt: skip
        assert accepted.status_code == 200, accepted.text

    new_line = purchase(
        "kashflow", "8100", "FLE0002", "FLE-8100", "Diesel for vans", "71.00", "7300",
        date(2026, 11, 20),
    )  # fmt: skip
    append_versions(api_conn, [new_line])
    summary = reconcile(api_conn)

    assert summary.gl.history == 36 + OVERRIDES  # Sage's lines and the accepted ones
    after = suggestion_of(client, "8100:1")
    assert after["suggested_account"] == FUEL
    assert after["top"][0]["account"] == FUEL
    still = suggestion_of(client, "7002:1")  # another supplier's line is not affected
    assert still["suggested_account"] == "7500-00-00"
