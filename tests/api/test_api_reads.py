"""Reading through the API: every listing, its filters and its cursor pagination, the
audit of a record, the state as of an instant, runs, health and metrics; and the age
buckets the unmatched queries put items in."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from itertools import pairwise
from typing import Any
from urllib.parse import quote

import pytest
from api_company import auth
from fastapi.testclient import TestClient

from api.services.pages import encode_cursor
from api.services.unmatched import AGE_BUCKETS, UnmatchedFilters, list_unmatched, unmatched_summary


def get(client: TestClient, path: str, **params: Any) -> Any:
    return client.get(path, params=params, headers=auth("read"))


def walk(client: TestClient, path: str, **params: Any) -> list[dict[str, Any]]:
    """Every item of a listing, page by page."""
    items: list[dict[str, Any]] = []
    cursor = None
    for _ in range(100):
        page = client.get(path, params={**params, "cursor": cursor}, headers=auth("read"))
        assert page.status_code == 200, page.text
        body = page.json()
        items += body["items"]
        cursor = body["next_cursor"]
        if cursor is None:
            return items
    raise AssertionError("pagination did not end")


SI = "sales_invoice"


def keys(items: list[dict[str, Any]]) -> list[tuple[str, str, str]]:
    return [(i["system"], i["entity"], i["key"]) for i in items]


def test_unmatched_pages_in_key_order_and_every_page_joins_up_to_the_whole(
    reading_client: TestClient,
) -> None:
    whole = reading_client.get(
        "/reconciliation/unmatched", params={"limit": 500}, headers=auth("read")
    ).json()
    paged = walk(reading_client, "/reconciliation/unmatched", limit=7)
    assert keys(paged) == keys(whole["items"])
    assert keys(paged) == sorted(set(keys(paged)))
    assert ("kashflow", "sales_invoice", "10043") in keys(paged)
    assert ("kashflow", "payment", "R-77") in keys(paged)
    assert ("kashflow", "sales_invoice", "10042") not in keys(paged)  # paid by the Sage receipt
    totals = {t["currency"]: t for t in whole["totals"]}
    assert totals["USD"]["amount_open"] == "1000.00" and totals["USD"]["items"] == 1
    gbp = sum(Decimal(i["amount_open"]) for i in whole["items"] if i["currency"] == "GBP")
    assert Decimal(totals["GBP"]["amount_open"]) == gbp


def test_later_pages_carry_no_totals(reading_client: TestClient) -> None:
    first = reading_client.get(
        "/reconciliation/unmatched", params={"limit": 2}, headers=auth("read")
    ).json()
    second = reading_client.get(
        "/reconciliation/unmatched", params={"limit": 2, "cursor": first["next_cursor"]},
        headers=auth("read"),
    ).json()  # fmt: skip
    assert first["totals"] and second["totals"] is None
    assert keys(second["items"])[0] > keys(first["items"])[-1]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"system": "sage100", "kind": "sales_invoice"}, {("sage100", "sales_invoice", "0010001")}),
        ({"kind": "payment"}, {("kashflow", "payment", "R-77")}),
        ({"currency": "USD"}, {("kashflow", "sales_invoice", "10050")}),
        ({"counterparty": "kashflow:GLOB0001"}, {("kashflow", "sales_invoice", "10050")}),
        ({"kind": SI, "age_bucket": "90+"}, {("kashflow", SI, "10043")}),
        ({"kind": SI, "age_bucket": "31-60"}, {("kashflow", SI, "10044")}),
        ({"kind": SI, "age_bucket": "61-90"}, {("sage100", SI, "0010001")}),
        ({"kind": SI, "min_amount": "76", "max_amount": "600"},
         {("kashflow", SI, "10043"), ("sage100", SI, "0010001")}),
    ],
)  # fmt: skip
def test_unmatched_filters(
    reading_client: TestClient, params: dict[str, str], expected: set[tuple[str, str, str]]
) -> None:
    assert set(keys(walk(reading_client, "/reconciliation/unmatched", **params))) == expected


def test_the_summary_adds_up_by_system_and_by_age(reading_client: TestClient) -> None:
    summary = reading_client.get("/reconciliation/unmatched/summary", headers=auth("read")).json()
    for split in ("by_system", "by_age"):
        gbp = sum(Decimal(t["amount_open"]) for t in summary[split] if t["currency"] == "GBP")
        total = next(t for t in summary["by_currency"] if t["currency"] == "GBP")
        assert gbp == Decimal(total["amount_open"])
    assert {t["age_bucket"] for t in summary["by_age"]} == {"0-30", "31-60", "61-90", "90+"}


BOUNDARY_AGES = (0, 30, 31, 60, 61, 90, 91)


def bucket_of(age: int) -> str:
    """The bucket `AGE_BUCKETS` puts an item `age` days old in."""
    return next(
        name
        for name, (low, high) in AGE_BUCKETS.items()
        if low <= age and (high is None or age <= high)
    )


def test_the_queries_age_items_as_age_buckets_says(api_conn: Any) -> None:
    """An item of each boundary age is in the bucket of `AGE_BUCKETS` on a page, in the
    totals by age and under the age filter (the queries take the bounds from it)."""
    from ledger import finish_run, start_run
    from ledger.unmatched import UnmatchedItem, append_unmatched

    ends = list(AGE_BUCKETS.values())  # the queries read the starts, the age filter both ends
    assert all(high is not None and high + 1 == low for (_, high), (low, _) in pairwise(ends))
    today = date(2026, 11, 30)
    run_id = start_run(api_conn, "reconcile")
    append_unmatched(api_conn, run_id, [
        UnmatchedItem("kashflow", SI, f"AGE{age:03d}", None, "GBP", Decimal(2**n),
                      Decimal(2**n), today - timedelta(days=age))
        for n, age in enumerate(BOUNDARY_AGES)
    ])  # fmt: skip
    finish_run(api_conn, run_id)

    page = list_unmatched(api_conn, UnmatchedFilters(), limit=500, today=today)
    assert {i.key: (i.age_days, i.age_bucket) for i in page.items} == {
        f"AGE{age:03d}": (age, bucket_of(age)) for age in BOUNDARY_AGES
    }
    totals: dict[str | None, tuple[int, Decimal]] = {}
    for n, age in enumerate(BOUNDARY_AGES):
        items, amount = totals.get(bucket_of(age), (0, Decimal(0)))
        totals[bucket_of(age)] = (items + 1, amount + 2**n)
    by_age = unmatched_summary(api_conn, today=today).by_age
    assert {t.age_bucket: (t.items, t.amount_open) for t in by_age} == totals
    for bucket in AGE_BUCKETS:
        filtered = UnmatchedFilters.model_validate({"age_bucket": bucket})
        found = list_unmatched(api_conn, filtered, limit=500, today=today).items
        assert {i.key for i in found} == {
            f"AGE{age:03d}" for age in BOUNDARY_AGES if bucket_of(age) == bucket
        }


def test_an_item_dated_in_the_future_is_in_the_first_bucket_and_under_its_filter(
    api_conn: Any,
) -> None:
    """Aged below zero days, it is in the first bucket on a page and in the totals by age,
    and so under that bucket's filter (whose dates ended today) and no other."""
    from ledger import finish_run, start_run
    from ledger.unmatched import UnmatchedItem, append_unmatched

    today = date(2026, 11, 30)
    first = next(iter(AGE_BUCKETS))
    run_id = start_run(api_conn, "reconcile")
    append_unmatched(api_conn, run_id, [
        UnmatchedItem("kashflow", SI, key, None, "GBP", Decimal(amount), Decimal(amount), day)
        for key, amount, day in (("NOW", 2, today), ("SOON", 5, today + timedelta(days=3)))
    ])  # fmt: skip
    finish_run(api_conn, run_id)

    page = list_unmatched(api_conn, UnmatchedFilters(), today=today)
    assert [(i.key, i.age_days, i.age_bucket) for i in page.items] == [
        ("NOW", 0, first), ("SOON", -3, first),
    ]  # fmt: skip
    by_age = unmatched_summary(api_conn, today=today).by_age
    assert [(t.age_bucket, t.items, t.amount_open) for t in by_age] == [(first, 2, 7)]
    for bucket in AGE_BUCKETS:
        filtered = UnmatchedFilters.model_validate({"age_bucket": bucket})
        found = list_unmatched(api_conn, filtered, today=today)
        assert [i.key for i in found.items] == (["NOW", "SOON"] if bucket == first else [])
        assert [(t.items, t.amount_open) for t in found.totals or []] == (
            [(2, 7)] if bucket == first else []
        )


@pytest.mark.parametrize("cursor", ["nonsense!", "WyJtYXRjaGVzIixbMV1d"])
def test_a_cursor_not_given_out_for_this_listing_is_refused(
    reading_client: TestClient, cursor: str
) -> None:
    answer = reading_client.get(
        "/reconciliation/unmatched", params={"cursor": cursor}, headers=auth("read")
    )
    assert answer.status_code == 422
    assert answer.headers["content-type"] == "application/problem+json"
    assert (answer.json()["field"], answer.json()["title"]) == ("query.cursor", "Invalid request")


BY_ID = [["abc"], ["7"], [True], [1.5], [None], [[7]], [-1]]
"""Sort keys of a listing in id order with one item, but not an id."""
BY_RECORD = [[1, 2, 3], ["kashflow", "payment", None], ["kashflow", "payment", "R-77\x00"]]
"""Sort keys of a listing in (system, entity, key) order with three items, but not texts."""
CURSOR_LISTINGS = [
    ("/reconciliation/unmatched", "unmatched", BY_RECORD),
    ("/reconciliation/matches", "matches", BY_ID),
    ("/gl-suggestions", "gl-suggestions", BY_ID),
    ("/anomalies", "anomalies", BY_ID),
    ("/approvals", "approvals", BY_ID),
    ("/dead-letters", "dead-letters", BY_ID),
    ("/audit/as-of", "as-of",
     [*BY_RECORD, ["xero", "customer", "A"], ["kashflow", "planet", "A"]]),
    ("/sync/runs", "runs", BY_ID),
]  # fmt: skip
"""Every listing, the name its cursors carry, and sort keys of its width but not its types
(as-of's system and entity are PostgreSQL enums: a name that is not one is no key)."""


@pytest.mark.parametrize(
    ("path", "listing", "key"),
    [pytest.param(path, listing, key, id=f"{listing}{key!r}")
     for path, listing, keys in CURSOR_LISTINGS for key in keys],
)  # fmt: skip
def test_a_cursor_of_the_listing_whose_key_is_of_other_types_is_refused(
    reading_client: TestClient, path: str, listing: str, key: list[Any]
) -> None:
    """A cursor made by hand, of the right listing and width: its key reached the query and
    failed there (a 500), or as-of's named the system filter."""
    params = {"cursor": encode_cursor(listing, key)}
    if path == "/audit/as-of":
        params["ts"] = "2026-11-01T17:00:00Z"
    answer = reading_client.get(path, params=params, headers=auth("read"))
    assert (answer.status_code, answer.json()["field"]) == (422, "query.cursor"), answer.text
    assert answer.json()["detail"] == f"cursor is not a cursor of {listing}"


def test_every_listing_is_tried_with_cursors_of_other_types(reading_client: TestClient) -> None:
    document = reading_client.get("/openapi.json").json()
    paged = {
        path
        for path, operations in document["paths"].items()
        for operation in operations.values()
        if any(p["name"] == "cursor" for p in operation.get("parameters", []))
    }
    assert paged == {path for path, _, _ in CURSOR_LISTINGS}


def test_matches_with_scores_rules_and_status_filter(reading_client: TestClient) -> None:
    matches = walk(reading_client, "/reconciliation/matches")
    assert [(m["payment"]["key"], m["invoice"]["key"], m["status"]) for m in matches] == [
        ("00001|01-ACME0019|CHK1", "10042", "auto")
    ]
    assert {"same_counterparty", "amount_exact"} <= set(matches[0]["rules"])
    assert 0 < matches[0]["score"] <= 1
    assert walk(reading_client, "/reconciliation/matches", status="suggested") == []
    assert (
        len(walk(reading_client, "/reconciliation/matches", rule="amount_exact", min_score=0.5))
        == 1
    )


def test_gl_suggestions_anomalies_approvals_and_dead_letters_are_listed(
    reading_client: TestClient,
) -> None:
    suggestions = walk(reading_client, "/gl-suggestions", limit=1)
    assert {(s["line"], s["suggested_account"]) for s in suggestions} == {
        ("7001:1", "7300-00-00"), ("7002:1", "7500-00-00"), ("7003:1", "7500-00-00"),
    }  # fmt: skip
    assert all(s["status"] == "suggested" and s["top"] for s in suggestions)
    anomalies = walk(reading_client, "/anomalies")
    duplicate = next(a for a in anomalies if a["record"]["key"] == "7003")
    assert "duplicate_number" in duplicate["rules"]
    assert duplicate["reasons"][0].startswith("Duplicate invoice number BRI-7002")
    approvals = walk(reading_client, "/approvals", status="pending")
    assert [(a["entity"], a["amount"], a["currency"]) for a in approvals] == [
        ("sales_invoice", "7200.00", "USD")
    ]
    letters = walk(reading_client, "/dead-letters", limit=1)
    assert [(d["record"]["key"], d["field"], d["status"]) for d in letters] == [
        ("10099", "lines.0.net_amount", "open"), ("01-BAD0001", "email", "open"),
    ]  # fmt: skip
    assert (
        walk(reading_client, "/dead-letters", system="sage100")[0]["message"]
        == "email: not an address"
    )


@pytest.mark.parametrize(
    ("path", "name", "longest"),
    [
        ("/dead-letters", "stage", 40),
        ("/sync/runs", "kind", 40),
        ("/approvals", "target_system", 40),
        ("/anomalies", "rule", 100),
        ("/reconciliation/matches", "system", 40),
        ("/reconciliation/unmatched", "system", 40),
        ("/reconciliation/unmatched", "counterparty", 300),
    ],
)
def test_a_listing_filter_longer_than_its_model_takes_is_refused(
    reading_client: TestClient, path: str, name: str, longest: int
) -> None:
    assert get(reading_client, path, **{name: "x" * longest}).status_code == 200
    refused = get(reading_client, path, **{name: "x" * (longest + 1)})
    assert (refused.status_code, refused.json()["field"]) == (422, f"query.{name}")


TEXT_PARAMETERS = [
    ("GET", "/reconciliation/unmatched", "query", "system"),
    ("GET", "/reconciliation/unmatched", "query", "counterparty"),
    ("GET", "/reconciliation/unmatched", "query", "currency"),
    ("GET", "/reconciliation/matches", "query", "rule"),
    ("GET", "/reconciliation/matches", "query", "system"),
    ("GET", "/anomalies", "query", "rule"),
    ("GET", "/anomalies", "query", "system"),
    ("GET", "/approvals", "query", "target_system"),
    ("GET", "/dead-letters", "query", "stage"),
    ("GET", "/dead-letters", "query", "system"),
    ("GET", "/dead-letters", "query", "entity"),
    ("POST", "/dead-letters/retry", "query", "stage"),
    ("POST", "/dead-letters/retry", "query", "system"),
    ("POST", "/dead-letters/retry", "query", "entity"),
    ("GET", "/audit/as-of", "query", "system"),
    ("GET", "/audit/as-of", "query", "entity"),
    ("GET", "/audit/{system}/{entity}/{key}", "path", "system"),
    ("GET", "/audit/{system}/{entity}/{key}", "path", "entity"),
    ("GET", "/audit/{system}/{entity}/{key}", "path", "key"),
    ("GET", "/sync/runs", "query", "kind"),
    ("GET", "/sync/runs", "query", "system"),
    ("GET", "/sync/runs", "query", "entity"),
    ("POST", "/webhooks/{source}", "path", "source"),
]
"""Every text a query or path parameter takes (the cursor aside: it is no text to a query)."""
IN_PATH = {"system": "kashflow", "entity": "customer", "key": "ACME0019", "source": "ecommerce"}


@pytest.mark.parametrize(("method", "path", "where", "name"), TEXT_PARAMETERS)
def test_a_nul_in_a_text_parameter_is_refused_naming_it(
    reading_client: TestClient, method: str, path: str, where: str, name: str
) -> None:
    """PostgreSQL's text cannot hold a NUL character: one is refused as a text too long is,
    before any query (it was a 500)."""
    nul = "GB\x00" if name == "currency" else "a\x00"
    params = {"ts": "2026-11-01T17:00:00Z"} if path == "/audit/as-of" else {}
    if where == "query":
        params[name] = nul
    url = path.format(**{**IN_PATH, **({name: quote(nul)} if where == "path" else {})})
    answer = reading_client.request(method, url, params=params, headers=auth("admin"))
    assert (answer.status_code, answer.json()["field"]) == (422, f"{where}.{name}")
    assert answer.json()["detail"] == f"{where}.{name}: String should not contain a NUL character"


def test_every_text_parameter_of_the_api_is_tried_with_a_nul(reading_client: TestClient) -> None:
    """The parameters of the document whose text has a length limit (a name, a key, a rule)
    are those above: a new one is tried too."""
    document = reading_client.get("/openapi.json").json()
    texts = {
        (method.upper(), path, parameter["in"], parameter["name"])
        for path, operations in document["paths"].items()
        for method, operation in operations.items()
        for parameter in operation.get("parameters", [])
        for schema in parameter["schema"].get("anyOf", [parameter["schema"]])
        if schema.get("type") == "string" and "maxLength" in schema
        and parameter["name"] != "cursor"
    }  # fmt: skip
    assert texts == set(TEXT_PARAMETERS)


@pytest.mark.parametrize(
    ("name", "taken", "refused"),
    [
        ("currency", "EUR", "EU"),
        ("currency", "EUR", "EURO"),
        ("min_amount", "9" * 20, "9" * 21),
        ("min_amount", "-0.5", "NaN"),
        ("max_amount", "1e19", "Infinity"),
    ],
)
def test_an_unmatched_filter_out_of_range_is_refused(
    reading_client: TestClient, name: str, taken: str, refused: str
) -> None:
    assert get(reading_client, "/reconciliation/unmatched", **{name: taken}).status_code == 200
    answer = get(reading_client, "/reconciliation/unmatched", **{name: refused})
    assert (answer.status_code, answer.json()["field"]) == (422, f"query.{name}")


def test_audit_of_a_record_shows_versions_with_field_diffs(
    client: TestClient, api_conn: Any
) -> None:
    from api_company import party

    from canonical import Customer
    from ledger import append_versions

    acme = {"name": "Acme Engineering Ltd", "email": "new@acme.example", "postcode": "YO1 1GR"}
    append_versions(api_conn, [party(Customer, "kashflow", "ACME0019", **acme)])
    audit = client.get("/audit/kashflow/customer/ACME0019", headers=auth("read")).json()
    assert [v["version"] for v in audit["versions"]] == [1, 2]
    changes = {c["field"]: c for c in audit["versions"][1]["changes"]}
    assert changes["email"] == {
        "field": "email", "kind": "changed",
        "before": "accounts@acme-engineering.co.uk", "after": "new@acme.example",
    }  # fmt: skip
    assert changes["phone"]["kind"] == "changed" and changes["phone"]["after"] is None
    key = "customer_to_sage100:kashflow:customer:ACME0019:v1"
    [caused] = audit["writes"]
    assert (caused["idempotency_key"], caused["direction"], caused["status"]) == (
        key, "caused", None,
    )  # fmt: skip
    onto = client.get("/audit/sage100/customer/01-ACME0019", headers=auth("read")).json()
    assert [(w["idempotency_key"], w["direction"]) for w in onto["writes"]] == [(key, "onto")]
    missing = client.get("/audit/kashflow/customer/NOPE", headers=auth("read"))
    assert missing.status_code == 404 and "NOPE" in missing.json()["detail"]
    assert missing.json()["title"] == "Not found"


def test_audit_as_of_an_instant_before_a_change_shows_the_old_version(
    client: TestClient, api_conn: Any
) -> None:
    from api_company import party

    from canonical import Customer
    from ledger import append_versions

    before = datetime.now(UTC)
    append_versions(api_conn, [party(Customer, "kashflow", "ACME0019", name="Acme 2")])
    then = walk(client, "/audit/as-of", ts=before.isoformat(), entity="customer", limit=1)
    now = walk(client, "/audit/as-of", ts=datetime.now(UTC).isoformat(), entity="customer")
    acme_then = next(r for r in then if r["key"] == "ACME0019")
    acme_now = next(r for r in now if r["key"] == "ACME0019")
    assert (acme_then["version"], acme_now["version"]) == (1, 2)
    assert acme_now["payload"]["name"] == "Acme 2"
    naive = client.get("/audit/as-of", params={"ts": "2026-01-01T00:00:00"}, headers=auth("read"))
    assert naive.status_code == 422 and naive.json()["field"] == "query.ts"


def test_sync_runs_health_and_metrics(reading_client: TestClient) -> None:
    runs = walk(reading_client, "/sync/runs", kind="reconcile")
    assert [(r["kind"], r["status"]) for r in runs] == [("reconcile", "succeeded")]
    assert runs[0]["counts"]["gl"]["suggested"] == 3
    health = reading_client.get("/health")  # no token needed
    assert health.status_code == 200
    assert health.json()["database"]["status"] == "ok"
    assert set(health.json()["systems"]) == {"kashflow", "sage100"}
    text = reading_client.get("/metrics", headers=auth("read")).text
    for name in (
        "ledgerbridge_api_request_seconds_bucket", "ledgerbridge_dead_letters_open 2.0",
        "ledgerbridge_queue_depth", "ledgerbridge_stream_lag_seconds",
        "ledgerbridge_records_synced",
    ):  # fmt: skip
        assert name in text
    assert 'route="/health"' in text


def test_health_and_metrics_follow_the_streams_polls(client: TestClient, api_conn: Any) -> None:
    from ledger import finish_run, start_run

    for status in ("succeeded", "failed"):
        run = start_run(api_conn, "poll", "sage100", "customer")
        finish_run(api_conn, run, status, {"appended": 3}, "lost" if status == "failed" else None)
    run = start_run(api_conn, "poll", "kashflow", "customer")
    finish_run(api_conn, run, "succeeded", {"appended": 5})
    health = client.get("/health").json()
    assert health["status"] == "degraded"
    sage = health["systems"]["sage100"]
    assert sage["status"] == "down"
    assert sage["streams"][0]["stream"] == "sage100:customer"
    assert (sage["streams"][0]["last_status"], sage["streams"][0]["error"]) == ("failed", "lost")
    assert sage["streams"][0]["lag_seconds"] >= 0  # since the poll that worked
    assert health["systems"]["kashflow"]["status"] == "ok"
    text = client.get("/metrics", headers=auth("read")).text
    assert 'ledgerbridge_records_synced_total{entity="customer",system="sage100"} 6.0' in text
    assert 'ledgerbridge_stream_lag_seconds{stream="kashflow:customer"}' in text
