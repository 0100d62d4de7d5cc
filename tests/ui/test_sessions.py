"""Signing in and the forms' protection, over HTTP without a browser: the session cookie's
flags, where sign-in may send a person, CSRF refusals that change nothing, revoked tokens,
the headers every page carries, the run kinds the sync page offers and run filters it does
not, what it says when no run is listed, unmatched filters past the API's limits, a NUL
character in any page's filter or any form's text, a form's text past the API's limit or
at it, a cursor made by hand, and the service's refusals in its own words."""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterator
from typing import Any

import psycopg
import pytest
from database_copies import database_copy
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from review_site import UI_TOKENS

from api.app import create_app
from api.services.pages import encode_cursor
from api.services.tokens import create_token, revoke_token
from api.ui import actions, pages
from api.ui.session import csrf_token
from ledger.runs import RUN_KINDS


@pytest.fixture(scope="module")
def ui_db(pg_server: str, ui_template: str) -> Iterator[str]:
    """One copy of the seeded database for this module: only one test here decides."""
    with database_copy(pg_server, ui_template, "lbuis") as url:
        yield url


@pytest.fixture
def browserless(ui_db: str) -> Iterator[TestClient]:
    with TestClient(create_app(ui_db, pool_size=2), follow_redirects=False) as client:
        yield client


def approvals_decided(url: str) -> int:
    with psycopg.connect(url) as conn:
        row = conn.execute("SELECT count(*) FROM ledger.decision WHERE kind = 'approval'")
        return int(row.fetchone()[0])  # type: ignore[index]


def signed_in(client: TestClient, scope: str) -> str:
    response = client.post("/ui/sign-in", data={"token": UI_TOKENS[scope], "next": "/ui"})
    assert response.status_code == 303
    return UI_TOKENS[scope]


def test_pages_send_a_person_to_sign_in_and_back(browserless: TestClient) -> None:
    response = browserless.get("/ui/unmatched?currency=GBP")
    assert response.status_code == 303
    assert response.headers["location"] == "/ui/sign-in?next=%2Fui%2Funmatched%3Fcurrency%3DGBP"
    response = browserless.post(
        "/ui/sign-in", data={"token": UI_TOKENS["read"], "next": "/ui/unmatched?currency=GBP"}
    )
    assert response.headers["location"] == "/ui/unmatched?currency=GBP"
    assert browserless.get("/ui/unmatched?currency=GBP").status_code == 200


@pytest.mark.parametrize(
    "elsewhere",
    ["https://evil.example/ui", "//evil.example/ui", "/api", "/ui\x00", "/ui/sync\r\nX-A: b"],
)
def test_sign_in_never_sends_a_person_off_the_pages(
    browserless: TestClient, elsewhere: str
) -> None:
    response = browserless.post("/ui/sign-in", data={"token": UI_TOKENS["read"], "next": elsewhere})
    assert response.headers["location"] == "/ui"


def test_the_session_cookie_is_httponly_strict_and_secure_over_https(ui_db: str) -> None:
    for base, secure in (("http://testserver", False), ("https://testserver", True)):
        app = create_app(ui_db, pool_size=2)
        with TestClient(app, base_url=base, follow_redirects=False) as client:
            response = client.post("/ui/sign-in", data={"token": UI_TOKENS["read"]})
            cookie = response.headers["set-cookie"].lower()
            assert "httponly" in cookie and "samesite=strict" in cookie and "path=/ui" in cookie
            assert ("; secure" in cookie) is secure, base
    with TestClient(create_app(ui_db, pool_size=2), follow_redirects=False) as client:
        response = client.post(
            "/ui/sign-in", data={"token": UI_TOKENS["read"]},
            headers={"X-Forwarded-Proto": "https"},
        )  # fmt: skip
        assert "; secure" in response.headers["set-cookie"].lower()


def test_a_wrong_token_is_refused_on_the_page(browserless: TestClient) -> None:
    response = browserless.post("/ui/sign-in", data={"token": "lbt_guess"})
    assert response.status_code == 401
    assert "unknown or revoked" in response.text
    assert "set-cookie" not in response.headers


def test_a_form_without_the_sessions_csrf_token_changes_nothing(
    browserless: TestClient, ui_db: str
) -> None:
    signed_in(browserless, "review")
    form: dict[str, Any] = {"back": "/ui/approvals"}
    for csrf in (None, "", "0" * 64, csrf_token(UI_TOKENS["admin"])):
        if csrf is not None:
            form["csrf"] = csrf
        response = browserless.post("/ui/approvals/1/approve", data=form)
        assert response.status_code == 403, csrf
        assert "could not be accepted" in response.text
        assert approvals_decided(ui_db) == 0

    form["csrf"] = csrf_token(UI_TOKENS["review"])
    assert browserless.post("/ui/approvals/1/approve", data=form).status_code == 303
    assert approvals_decided(ui_db) == 1


def test_a_revoked_token_signs_its_holder_out(browserless: TestClient, ui_db: str) -> None:
    with psycopg.connect(ui_db) as conn:
        token, _ = create_token(conn, "leaver", "review")
        conn.commit()
    browserless.post("/ui/sign-in", data={"token": token})
    assert browserless.get("/ui").status_code == 200
    with psycopg.connect(ui_db) as conn:
        revoke_token(conn, "leaver")
        conn.commit()
    response = browserless.get("/ui")
    assert response.status_code == 303 and response.headers["location"].startswith("/ui/sign-in")


def test_pages_forbid_scripts_framing_and_caching(browserless: TestClient) -> None:
    signed_in(browserless, "read")
    for path in ("/ui", "/ui/unmatched", "/ui/matches", "/ui/gl-suggestions", "/ui/anomalies",
                 "/ui/approvals", "/ui/dead-letters", "/ui/records", "/ui/sync"):  # fmt: skip
        response = browserless.get(path)
        assert response.status_code == 200, path
        assert "script-src 'none'" in response.headers["content-security-policy"]
        assert response.headers["x-frame-options"] == "DENY"
        assert response.headers["cache-control"] == "no-store"
        assert "<script" not in response.text
        assert UI_TOKENS["read"] not in response.text, f"{path} shows the session's token"


def runs_listed(client: TestClient, **filters: str) -> list[str]:
    response = client.get("/ui/sync", params=filters)
    assert response.status_code == 200, filters
    return re.findall(r'<tr><td class="num">(#\d+)</td>', response.text)


@pytest.mark.parametrize(
    "filters",
    [
        {"kind": "r" * 300},
        {"kind": "poll\x00"},
        {"kind": "nightly"},
        {"kind": "scan"},
        {"status": "stuck"},
        {"kind": "reconcile", "status": "r" * 300},
    ],
)
def test_run_filters_the_page_does_not_offer_are_no_filter(
    browserless: TestClient, filters: dict[str, str]
) -> None:
    """The seeded runs are #1 (reconcile) and #2 to #5 (polls, #5 failed)."""
    signed_in(browserless, "read")
    assert runs_listed(browserless, kind="reconcile") == ["#1"]
    assert runs_listed(browserless, status="failed") == ["#5"]
    everything = runs_listed(browserless)
    assert len(everything) == 5
    expected = ["#1"] if filters.get("kind") == "reconcile" else everything
    assert runs_listed(browserless, **filters) == expected


def test_the_sync_page_offers_the_kinds_of_run_there_are(browserless: TestClient) -> None:
    """`RUN_KINDS`, which `start_run` keeps to: not scan, write or demo, which nothing
    starts; each lists its runs."""
    signed_in(browserless, "read")
    kinds = re.search(r'<select name="kind">(.*?)</select>', browserless.get("/ui/sync").text)
    assert kinds is not None
    assert re.findall(r'<option value="([^"]*)"', kinds[1]) == ["", *RUN_KINDS]
    assert RUN_KINDS == ("poll", "webhook", "reconcile")
    listed = {kind: runs_listed(browserless, kind=kind) for kind in RUN_KINDS}
    assert listed == {"poll": ["#5", "#4", "#3", "#2"], "webhook": [], "reconcile": ["#1"]}


@pytest.mark.parametrize(
    "filters", [{"kind": "webhook"}, {"kind": "reconcile", "status": "failed"}]
)
def test_the_sync_page_says_no_run_is_under_filters_that_match_none(
    browserless: TestClient, filters: dict[str, str]
) -> None:
    """It says so, as the unmatched page does, rather than that there are no runs yet."""
    signed_in(browserless, "read")
    assert runs_listed(browserless, **filters) == []
    page = browserless.get("/ui/sync", params=filters).text
    assert "No runs under these filters." in page and "No runs yet." not in page
    assert '<a href="/ui/sync">Clear</a>' in page


def test_the_sync_page_of_a_ledger_without_runs_says_none_yet(ledger_url: str) -> None:
    with psycopg.connect(ledger_url) as conn:
        token, _ = create_token(conn, "jo", "read")
        conn.commit()
    with TestClient(create_app(ledger_url, pool_size=2), follow_redirects=False) as client:
        client.post("/ui/sign-in", data={"token": token})
        page = client.get("/ui/sync").text
        assert "No runs yet." in page and "under these filters" not in page
        assert '<a href="/ui/sync">Clear</a>' not in page
        assert "No runs under these filters." in client.get("/ui/sync?kind=poll").text


def unmatched_listed(client: TestClient, **filters: str) -> tuple[int, list[str]]:
    """How many items the unmatched page lists under `filters`, and the problems it names."""
    response = client.get("/ui/unmatched", params=filters)
    assert response.status_code == 200, filters
    named = re.findall(r'<p class="notice error" role="alert">(.*?)</p>', response.text)
    return response.text.count('<span class="age a'), [html.unescape(p) for p in named]


@pytest.mark.parametrize(
    ("refused", "named"),
    [
        ({"currency": "GB"}, "currency: 'GB' is refused (string should have at least 3"),
        ({"currency": "GBPX"}, "currency: 'GBPX' is refused (string should have at most 3"),
        ({"min_amount": "1e30"}, "min amount: '1e30' is refused (decimal input should have no"),
        ({"max_amount": "9" * 21}, f"max amount: '{'9' * 21}' is refused (decimal input should"),
        ({"counterparty": "kashflow:GLOB0001\x00"},
         "counterparty: 'kashflow:GLOB0001\\x00' is refused (string should not contain a NUL"),
        ({"currency": "GB\x00"}, "currency: 'GB\\x00' is refused (string should not contain a NUL"),
    ],
)  # fmt: skip
def test_unmatched_filters_past_the_apis_limits_are_named_and_left_out(
    browserless: TestClient, refused: dict[str, str], named: str
) -> None:
    """The page's filters are the API's, with its limits: one past them is no filter (the
    others still apply) and the page says why, as for an amount that is not one."""
    signed_in(browserless, "read")
    everything, _ = unmatched_listed(browserless)
    kashflow, none = unmatched_listed(browserless, system="kashflow")
    assert 0 < kashflow < everything and none == []
    shown, problems = unmatched_listed(browserless, system="kashflow", **refused)
    assert shown == kashflow
    assert len(problems) == 1 and problems[0].startswith(named), problems


REFUSED = "is refused (string should not contain a NUL character)"
PAGE_FILTERS = [
    ("/ui/unmatched", "system", None),
    ("/ui/unmatched", "kind", None),
    ("/ui/unmatched", "counterparty", f"counterparty: 'a\\x00' {REFUSED}"),
    ("/ui/unmatched", "currency", f"currency: 'GB\\x00' {REFUSED}"),
    ("/ui/unmatched", "age_bucket", None),
    ("/ui/unmatched", "min_amount", "smallest amount: 'a\\x00' is not an amount"),
    ("/ui/unmatched", "max_amount", "largest amount: 'a\\x00' is not an amount"),
    *((path, "status", None) for path in ("/ui/matches", "/ui/gl-suggestions", "/ui/anomalies",
                                          "/ui/approvals", "/ui/dead-letters")),
    ("/ui/records", "system", f"system: 'a\\x00' {REFUSED}"),
    ("/ui/records", "entity", f"entity: 'a\\x00' {REFUSED}"),
    ("/ui/records", "key", f"key: 'a\\x00' {REFUSED}"),
    ("/ui/sync", "kind", None),
    ("/ui/sync", "status", None),
]  # fmt: skip
"""Every filter of the pages (the cursor aside) and the problem a page names for a NUL in
it: None for a choice from a list, where a value the list does not offer is no filter."""
ACME = {"system": "kashflow", "entity": "customer", "key": "ACME0019"}


def listed(response: Any) -> list[str]:
    """The page's tables but the streams' (their lag grows by the second), less the hidden
    fields that carry the page's own address back."""
    text = re.sub(r'name="back" value="[^"]*"', "", response.text)
    return re.findall(r'<table id="(?!streams")[^"]*">.*?</table>', text, re.DOTALL)


@pytest.mark.parametrize(("path", "name", "named"), PAGE_FILTERS)
def test_a_nul_in_a_pages_filter_is_named_and_the_filter_left_out(
    browserless: TestClient, path: str, name: str, named: str | None
) -> None:
    """PostgreSQL's text cannot hold a NUL character: the pages refuse one as they refuse the
    API's other limits, naming it and leaving the filter out (it was a 500)."""
    signed_in(browserless, "read")
    asked = ACME if path == "/ui/records" else {}
    response = browserless.get(
        path, params={**asked, name: "GB\x00" if name == "currency" else "a\x00"}
    )
    problems = re.findall(r'<p class="notice error" role="alert">(.*?)</p>', response.text)
    assert [html.unescape(p) for p in problems] == ([] if named is None else [named])
    if path == "/ui/records":
        assert response.status_code == 404 and "<h2>Versions" not in response.text
        assert "<h2>Versions" in browserless.get(path, params=asked).text
    else:
        assert response.status_code == 200
        assert listed(response) == listed(browserless.get(path, params={name: ""}))


def test_every_filter_of_the_pages_is_tried_with_a_nul() -> None:
    filters = {
        (route.path, parameter.name)
        for route in pages.router.routes
        if isinstance(route, APIRoute)
        for parameter in route.dependant.query_params
        if parameter.name != "cursor"
    }
    assert filters == {(path, name) for path, name, _ in PAGE_FILTERS}


PAGE_CURSORS = [
    ("/ui/unmatched", "unmatched", [1, 2, 3]),
    ("/ui/matches", "matches", ["abc"]),
    ("/ui/gl-suggestions", "gl-suggestions", ["abc"]),
    ("/ui/anomalies", "anomalies", ["abc"]),
    ("/ui/approvals", "approvals", ["abc"]),
    ("/ui/dead-letters", "dead-letters", ["abc"]),
    ("/ui/sync", "runs", ["x\x00"]),
]
"""Every page with a cursor, the listing its cursors are of, and a key of the listing's
width but not its types."""


@pytest.mark.parametrize(("path", "listing", "key"), PAGE_CURSORS)
def test_a_cursor_whose_key_is_of_other_types_is_named_on_the_page(
    browserless: TestClient, path: str, listing: str, key: list[Any]
) -> None:
    """As the API refuses it (it was a 500: the key reached the query)."""
    signed_in(browserless, "read")
    response = browserless.get(path, params={"cursor": encode_cursor(listing, key)})
    problems = re.findall(r'<p class="notice error" role="alert">(.*?)</p>', response.text)
    assert (response.status_code, problems) == (200, [f"cursor is not a cursor of {listing}"])


def test_every_page_with_a_cursor_is_tried_with_one_of_other_types() -> None:
    paged = {
        route.path
        for route in pages.router.routes
        if isinstance(route, APIRoute)
        and any(parameter.name == "cursor" for parameter in route.dependant.query_params)
    }
    assert paged == {path for path, _, _ in PAGE_CURSORS}


def test_pages_stay_out_of_the_openapi_document(browserless: TestClient) -> None:
    paths = browserless.get("/openapi.json").json()["paths"]
    assert not [p for p in paths if p.startswith("/ui")]


def test_a_token_without_the_scope_is_refused_and_told_why(
    browserless: TestClient, ui_db: str
) -> None:
    signed_in(browserless, "read")
    form = {"csrf": csrf_token(UI_TOKENS["read"]), "back": "/ui/approvals"}
    response = browserless.post("/ui/approvals/3/approve", data=form)
    assert response.status_code == 303 and response.headers["location"] == "/ui/approvals"
    page = browserless.get("/ui/approvals")
    assert "has scope read; to decide you need a token with scope review" in page.text
    with psycopg.connect(ui_db) as conn:
        about_3 = conn.execute(
            "SELECT count(*) FROM ledger.decision WHERE subject @> '{\"intent_id\": 3}'"
        ).fetchone()
    assert about_3 == (0,)
    signed_in(browserless, "review")
    form = {"csrf": csrf_token(UI_TOKENS["review"]), "back": "/ui/dead-letters"}
    browserless.post("/ui/dead-letters/retry", data=form)
    assert "to retry you need a token with scope admin" in browserless.get("/ui/dead-letters").text
    with psycopg.connect(ui_db) as conn:
        retries = conn.execute("SELECT count(*) FROM ledger.decision WHERE kind = 'retry'")
        assert retries.fetchone() == (0,)


def test_edits_past_the_tokens_scope_are_refused_and_change_nothing(
    browserless: TestClient, ui_db: str
) -> None:
    """A form posted without the page's disabled controls (a schedule by a review token, a
    manual match by a read token) is refused with the reason, and nothing is recorded."""
    signed_in(browserless, "review")
    form = {"csrf": csrf_token(UI_TOKENS["review"]), "back": "/ui/sync",
            "stream": "sage100:customer", "interval": "1m", "enabled": "on"}  # fmt: skip
    browserless.post("/ui/sync/schedules", data=form)
    assert (
        "has scope review; to change a schedule you need a token with scope admin"
        in browserless.get("/ui/sync").text
    )
    signed_in(browserless, "read")
    ticked = {"csrf": csrf_token(UI_TOKENS["read"]), "back": "/ui/unmatched",
              "item": ["kashflow:payment:R-77", "kashflow:sales_invoice:10044"]}  # fmt: skip
    browserless.post("/ui/unmatched/match", data=ticked)
    assert "to decide you need a token with scope review" in browserless.get("/ui/unmatched").text
    with psycopg.connect(ui_db) as conn:
        changed = conn.execute(
            "SELECT (SELECT count(*) FROM ledger.schedule),"
            " (SELECT count(*) FROM ledger.decision WHERE kind IN ('schedule', 'match'))"
        ).fetchone()
    assert changed == (0, 0)


FORMS: dict[str, tuple[str, str, dict[str, Any]]] = {
    "/ui/gl-suggestions/{suggestion_id}/accept": (
        "/ui/gl-suggestions", r"/ui/gl-suggestions/\d+/accept",
        {"account": "", "other_account": "", "reason": ""}),
    "/ui/matches/{subject_id}/{verb}": (
        "/ui/matches?status=auto", r"/ui/matches/\d+/confirm", {"reason": ""}),
    "/ui/gl-suggestions/{subject_id}/{verb}": (
        "/ui/gl-suggestions", r"/ui/gl-suggestions/\d+/reject", {"reason": ""}),
    "/ui/anomalies/{subject_id}/{verb}": (
        "/ui/anomalies", r"/ui/anomalies/\d+/dismiss", {"reason": ""}),
    "/ui/approvals/{subject_id}/{verb}": (
        "/ui/approvals", r"/ui/approvals/\d+/approve", {"reason": ""}),
    "/ui/dead-letters/retry": ("/ui/dead-letters", r"/ui/dead-letters/retry", {"reason": ""}),
    "/ui/dead-letters/{letter_id}/retry": (
        "/ui/dead-letters", r"/ui/dead-letters/\d+/retry", {"reason": ""}),
    "/ui/unmatched/match": ("/ui/unmatched", r"/ui/unmatched/match", {
        "item": ["kashflow:payment:R-77", "kashflow:sales_invoice:10044"], "reason": ""}),
    "/ui/sync/schedules": ("/ui/sync", r"/ui/sync/schedules",
        {"stream": "sage100:customer", "interval": "2m", "enabled": "on", "reason": ""}),
}  # fmt: skip
"""Every form that acts, by its route: the page it is on, its address there, and its text
inputs as a person would send them (the CSRF token and the page to go back to aside)."""
LONGEST = {
    "account": 200, "other_account": 200, "reason": 2000, "item": 282, "stream": 81,
    "interval": 20, "enabled": 10,
}  # fmt: skip
"""The longest text each input of the forms takes (the same in every form), the API's for
what it holds: a GL account is a record's key, a ticked item `system:entity:key` (40, 40
and 200), a stream `system:entity`; a checkbox sends "on"."""
FORM_TEXTS = [(route, name) for route, (_, _, texts) in FORMS.items() for name in texts]


def with_text(texts: dict[str, Any], name: str, text: Callable[[str], str]) -> dict[str, Any]:
    """A form's `texts` with input `name` (a list's first item) made `text` of what it was."""
    given = texts[name]
    return {**texts, name: [text(given[0]), *given[1:]] if isinstance(given, list) else text(given)}


def written(url: str) -> tuple[int, int]:
    """The decisions and schedules the ledger holds: every form's action appends to them."""
    with psycopg.connect(url) as conn:
        row = conn.execute(
            "SELECT (SELECT count(*) FROM ledger.decision), (SELECT count(*) FROM ledger.schedule)"
        ).fetchone()
        assert row is not None
        return int(row[0]), int(row[1])


@pytest.mark.parametrize(("route", "name"), FORM_TEXTS)
def test_a_nul_in_a_forms_text_is_named_on_the_page_and_nothing_done(
    browserless: TestClient, ui_db: str, route: str, name: str
) -> None:
    """PostgreSQL's text cannot hold a NUL character: a form refuses one as the pages' filters
    do, naming it on the page it goes back to, and does nothing (it was a 500)."""
    listed = isinstance(FORMS[route][2][name], list)
    form = with_text(FORMS[route][2], name, lambda text: text + "\x00" if listed else "a\x00")
    given = form[name][0] if listed else form[name]
    before = written(ui_db)
    named = f"{name.replace('_', ' ')}: {given!r} {REFUSED}"
    assert posted(browserless, route, form) == [("error", named)]
    assert written(ui_db) == before


def posted(client: TestClient, route: str, form: dict[str, Any]) -> list[tuple[str, str]]:
    """The notices (tone, text) on the page of `route`'s form once it is sent `form`, with
    the CSRF token of an admin's session, and goes back to that page."""
    token = signed_in(client, "admin")
    page, address, _ = FORMS[route]
    found = re.search(f'action="({address})"', client.get(page).text)
    assert found is not None, f"{page} has no form posting to {address}"
    response = client.post(found[1], data={**form, "csrf": csrf_token(token), "back": page})
    assert (response.status_code, response.headers.get("location")) == (303, page)
    shown = client.get(page).text
    notices = re.findall(r'<p class="notice (ok|error)" role="status">(.*?)</p>', shown)
    return [(tone, html.unescape(text)) for tone, text in notices]


@pytest.mark.parametrize(("route", "name"), FORM_TEXTS)
def test_a_forms_text_past_its_limit_is_named_on_the_page_and_nothing_done(
    browserless: TestClient, ui_db: str, route: str, name: str
) -> None:
    """A text longer than the API takes for what it holds is named on the page the form goes
    back to, as a NUL is, quoting its start, and nothing is done (it was FastAPI's JSON 422
    instead of the page)."""
    longest = LONGEST[name]
    form = with_text(FORMS[route][2], name, lambda text: text.ljust(longest + 1, "x"))
    given = form[name][0] if isinstance(form[name], list) else form[name]
    before = written(ui_db)
    shown = repr(given) if len(given) <= actions.SHOWN else f"{given[: actions.SHOWN]!r}…"
    why = f"string should have at most {longest} characters"
    assert posted(browserless, route, form) == [
        ("error", f"{name.replace('_', ' ')}: {shown} is refused ({why})")
    ]
    assert written(ui_db) == before


@pytest.fixture
def fresh_site(pg_server: str, ui_template: str) -> Iterator[TestClient]:
    """The pages on a copy of the seeded database of the test's own, for a test that acts."""
    with (
        database_copy(pg_server, ui_template, "lbuif") as url,
        TestClient(create_app(url, pool_size=2), follow_redirects=False) as client,
    ):
        yield client


@pytest.mark.parametrize(("route", "name"), FORM_TEXTS)
def test_the_longest_text_of_a_forms_input_is_taken(
    fresh_site: TestClient, route: str, name: str
) -> None:
    """The longest text an input takes reaches the action, which does it or says why not for
    what the text says (no GL account or record of that name, not an interval): the forms
    take what the API's bodies take."""
    form = with_text(FORMS[route][2], name, lambda text: text.ljust(LONGEST[name], "x"))
    [(_, notice)] = posted(fresh_site, route, form)
    assert "is refused" not in notice, notice


PAGE_REFUSALS = [
    ("/ui/records", {"system": "xero", "entity": "customer", "key": "ACME0019"},
     "unknown system 'xero'"),
    ("/ui/records", {"system": "kashflow", "entity": "customer", "key": "NOPE"},
     "no versions of kashflow customer 'NOPE' in the ledger"),
    ("/ui/unmatched", {"min_amount": "5", "max_amount": "1"},
     "smallest amount 5 is larger than largest amount 1"),
    ("/ui/sync", {"cursor": "abc"}, "cursor is not one this API gave out"),
]  # fmt: skip
FORM_REFUSALS = [
    ("/ui/unmatched/match", {"item": ["xero:payment:R-77", "kashflow:sales_invoice:10044"]},
     "Unknown system 'xero'"),
    ("/ui/unmatched/match", {"item": ["kashflow:payment:R-77", "kashflow:sales_invoice:NOPE"]},
     "Kashflow sales_invoice 'NOPE' is not in the ledger"),
    ("/ui/gl-suggestions/{suggestion_id}/accept", {"other_account": "9999-99-99"},
     "Sage 100 has no GL account '9999-99-99'"),
    ("/ui/sync/schedules", {"interval": "soon"},
     "'soon' is not an interval: use 30s, 5m, 1h or off"),
]  # fmt: skip
"""Refusals of the service layer, whose field the API names where it came from (`path.system`,
`query.min_amount`, `body.invoices.0.key`), by page and by form: the pages say them in the
service's words, as before."""


@pytest.mark.parametrize(("path", "asked", "named"), PAGE_REFUSALS)
def test_a_pages_refusal_by_the_service_reads_as_it_did(
    browserless: TestClient, path: str, asked: dict[str, str], named: str
) -> None:
    signed_in(browserless, "read")
    response = browserless.get(path, params=asked)
    problems = re.findall(r'<p class="notice error" role="alert">(.*?)</p>', response.text)
    assert [html.unescape(p) for p in problems] == [named]


@pytest.mark.parametrize(("route", "changed", "named"), FORM_REFUSALS)
def test_a_forms_refusal_by_the_service_reads_as_it_did(
    browserless: TestClient, ui_db: str, route: str, changed: dict[str, Any], named: str
) -> None:
    before = written(ui_db)
    assert posted(browserless, route, {**FORMS[route][2], **changed}) == [("error", named)]
    assert written(ui_db) == before


def test_every_text_of_the_forms_is_tried_with_a_nul() -> None:
    texts = {
        (route.path, parameter.name)
        for route in actions.router.routes
        if isinstance(route, APIRoute) and route.methods == {"POST"}
        for parameter in route.dependant.body_params
        if parameter.name not in ("csrf", "back")
    }
    assert texts == set(FORM_TEXTS)
