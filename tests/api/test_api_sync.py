"""Sync through the API: every CDC stream's schedule (default, configured or set in the
ledger) and setting it; asking the workers for polls now, queued once per stream."""

from __future__ import annotations

from typing import Any

from api_company import auth
from fastapi.testclient import TestClient
from polls_recorder import QueuedPolls

from cdc.streams import STREAMS


def test_schedules_are_listed_and_set_by_an_admin(client: TestClient, api_conn: Any) -> None:
    listed = client.get("/sync/schedules", headers=auth("read")).json()
    assert [s["stream"] for s in listed] == [s.name for s in STREAMS]
    customers = next(s for s in listed if s["stream"] == "sage100:customer")
    assert (customers["interval"], customers["source"]) == ("30s", "default")

    change = {"schedules": [{"system": "sage100", "entity": "customer", "interval": "5m"},
                            {"system": "kashflow", "entity": "product", "interval": "off"}],
              "reason": "month end"}  # fmt: skip
    assert client.put("/sync/schedules", headers=auth("review"), json=change).status_code == 403
    answer = client.put("/sync/schedules", headers=auth("admin"), json=change)
    assert answer.status_code == 200, answer.text
    now = {s["stream"]: s for s in answer.json()["schedules"]}
    assert (now["sage100:customer"]["interval_seconds"], now["sage100:customer"]["source"]) == (
        300, "schedule",
    )  # fmt: skip
    assert now["sage100:customer"]["set_by"] == "admin-person"
    assert now["kashflow:product"]["interval"] == "off"
    stored = api_conn.execute(
        "SELECT system, entity, interval_seconds, set_by FROM ledger.schedule ORDER BY 1, 2"
    ).fetchall()
    assert stored == [("kashflow", "product", None, "admin-person"),
                      ("sage100", "customer", 300, "admin-person")]  # fmt: skip

    bad = {"schedules": [{"system": "sage100", "entity": "customer", "interval": "soon"}]}
    refused = client.put("/sync/schedules", headers=auth("admin"), json=bad)
    assert refused.status_code == 422 and refused.json()["field"] == "body.schedules.0.interval"
    unknown = {"schedules": [{"system": "xero", "entity": "customer", "interval": "5m"}]}
    assert (
        client.put("/sync/schedules", headers=auth("admin"), json=unknown).json()["field"]
        == "body.schedules.0.entity"
    )


def test_a_sync_run_queues_one_poll_per_stream(client: TestClient, polls: QueuedPolls) -> None:
    assert client.post("/sync/run", headers=auth("review")).status_code == 403
    asked = {"streams": ["sage100:customer", "kashflow:sales_invoice"]}
    first = client.post("/sync/run", headers=auth("admin"), json=asked)
    assert first.status_code == 202, first.text
    assert [p["stream"] for p in first.json()["polls"]] == asked["streams"]
    assert all(p["job"] is not None for p in first.json()["polls"])
    again = client.post("/sync/run", headers=auth("admin"), json=asked).json()
    assert [p["job"] for p in again["polls"]] == [None, None]  # queued already
    assert [q[:2] for q in polls.queued()] == [("sage100", "customer"),
                                               ("kashflow", "sales_invoice")]  # fmt: skip
    everything = client.post("/sync/run", headers=auth("admin")).json()
    assert len(everything["polls"]) == len(STREAMS)
    assert everything["decision"]["actor"] == "admin-person"
    unknown = client.post("/sync/run", headers=auth("admin"), json={"streams": ["sage100:cats"]})
    assert unknown.status_code == 422 and unknown.json()["field"] == "body.streams.0"
