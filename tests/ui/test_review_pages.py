"""The review pages in a real browser (Debian's Chromium through playwright) against the app
served by uvicorn over a seeded ledger: signing in, filtering unmatched items, accepting a GL
suggestion with another account, approving a payment, retrying a dead letter. Each test
saves a screenshot under tests/ui/screenshots/ for a person to look at."""

from __future__ import annotations

import re
from typing import Any

import psycopg
from playwright.sync_api import Page, expect
from review_site import PAYMENT_KEY, UI_TOKENS, ServedApp, screenshot, sign_in

from api.services.unmatched import unmatched_summary
from api.ui.formatting import money


def decisions(url: str, kind: str) -> list[tuple[Any, ...]]:
    with psycopg.connect(url) as conn:
        return conn.execute(
            "SELECT outcome, actor, subject FROM ledger.decision WHERE kind = %s"
            " ORDER BY decision_id",
            (kind,),
        ).fetchall()


def unmatched_gbp(url: str) -> str:
    with psycopg.connect(url) as conn:
        [gbp] = [t for t in unmatched_summary(conn).by_currency if t.currency == "GBP"]
    return money(gbp.amount_open, "GBP")


def test_sign_in_with_a_token_opens_the_overview(page: Page, ui_db: str) -> None:
    page.goto("/ui/approvals")
    expect(page).to_have_url(re.compile(r"/ui/sign-in"))
    page.fill("#token", "lbt_not-a-real-token")
    page.click("button:has-text('Sign in')")
    expect(page.locator(".notice.error")).to_contain_text("unknown or revoked")

    page.fill("#token", UI_TOKENS["read"])
    page.click("button:has-text('Sign in')")
    expect(page).to_have_url(re.compile(r"/ui/approvals$"))
    page.goto("/ui")
    expect(page.locator("h1")).to_have_text("Overview")
    expect(page.locator(".card", has_text="Unmatched GBP")).to_contain_text(unmatched_gbp(ui_db))
    expect(page.locator(".card", has_text="Approvals waiting")).to_contain_text("2")
    expect(page.locator(".card", has_text="Dead letters open")).to_contain_text("2")
    expect(page.locator("svg.chart")).to_have_count(2)
    expect(page.locator("header.top")).to_contain_text("read-person")
    cookie = next(c for c in page.context.cookies() if c["name"] == "lb_session")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"
    assert cookie["value"] == UI_TOKENS["read"]
    screenshot(page, "overview")

    page.click("button:has-text('Sign out')")
    expect(page).to_have_url(re.compile(r"/ui/sign-in"))
    page.goto("/ui")
    expect(page.locator("h1")).to_have_text("Sign in")


def test_filter_unmatched_items(page: Page) -> None:
    sign_in(page, "read", "/ui/unmatched")
    rows = page.locator("#unmatched tbody tr")
    expect(rows).to_have_count(50)
    expect(page.locator(".pager")).to_contain_text("Next page")
    page.select_option("select[name=kind]", "sales_invoice")
    page.select_option("select[name=age_bucket]", "90+")
    page.click("button:has-text('Filter')")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("10043")
    expect(rows.first.locator("td.num.strong")).to_have_text("£500.00")
    expect(page.locator("table.totals")).to_contain_text("£500.00")
    assert "age_bucket=90%2B" in page.url
    screenshot(page, "unmatched-filtered")

    page.goto("/ui/unmatched?currency=USD&min_amount=2000")
    expect(page.locator(".empty")).to_contain_text("No unmatched items under these filters")
    page.goto("/ui/unmatched?min_amount=lots")
    expect(page.locator(".notice.error")).to_contain_text("'lots' is not an amount")


def test_accept_a_gl_suggestion_with_another_account(page: Page, ui_db: str) -> None:
    sign_in(page, "review", "/ui/gl-suggestions")
    rows = page.locator("#gl-suggestions tbody tr")
    expect(rows).to_have_count(3)
    first = rows.first
    line = first.locator("td").first.inner_text()
    first.locator("input[name=other_account]").fill("7600-00-00")
    first.locator("button:has-text('Use this')").click()
    expect(page.locator(".notice.ok")).to_contain_text("goes to GL account 7600-00-00")
    expect(rows).to_have_count(2)
    screenshot(page, "gl-accepted")

    page.click(".tabs a:has-text('Accepted')")
    expect(page.locator("#gl-suggestions tbody tr")).to_have_count(1)
    expect(page.locator("#gl-suggestions tbody tr").first).to_contain_text("to 7600-00-00")
    (outcome, actor, subject), *_ = decisions(ui_db, "gl_suggestion")
    assert (outcome, actor, subject["account"]) == ("accepted", "review-person", "7600-00-00")
    assert subject["overridden"] is True and subject["purchase_key"] in line

    page.goto("/ui/gl-suggestions")
    page.locator("#gl-suggestions tbody tr").first.locator("input[name=other_account]").fill(
        "9999-99-99"
    )
    page.locator("#gl-suggestions tbody tr").first.locator("button:has-text('Use this')").click()
    expect(page.locator(".notice.error")).to_contain_text("Sage 100 has no GL account")


def test_approve_a_payment(page: Page, ui_db: str) -> None:
    sign_in(page, "read", "/ui/approvals")
    payment = page.locator("#approvals tbody tr", has_text=PAYMENT_KEY)
    expect(payment).to_contain_text("£12,500.00")
    expect(payment.locator("button:has-text('Approve')")).to_be_disabled()
    expect(page.locator(".notice").first).to_contain_text(
        "deciding needs a token with scope review"
    )

    page.click("button:has-text('Sign out')")
    sign_in(page, "review", "/ui/approvals")
    payment = page.locator("#approvals tbody tr", has_text=PAYMENT_KEY)
    payment.locator("input[name=reason]").fill("remittance checked with the bank")
    payment.locator("button:has-text('Approve')").click()
    expect(page.locator(".notice.ok")).to_have_text(
        "Approved: create payment in sage100 for £12,500.00."
    )
    expect(page.locator("#approvals tbody tr", has_text=PAYMENT_KEY)).to_have_count(0)
    screenshot(page, "payment-approved")
    [(outcome, actor, subject)] = decisions(ui_db, "approval")
    assert (outcome, actor, subject["idempotency_key"]) == (
        "approved",
        "review-person",
        PAYMENT_KEY,
    )

    page.click(".tabs a:has-text('Approved')")
    expect(page.locator("#approvals tbody tr", has_text=PAYMENT_KEY)).to_contain_text(
        "by review-person"
    )


def test_retry_a_dead_letter(page: Page, served: ServedApp, ui_db: str) -> None:
    sign_in(page, "admin", "/ui/dead-letters")
    rows = page.locator("#dead-letters tbody tr")
    expect(rows).to_have_count(2)
    letter = page.locator("#dead-letters tbody tr", has_text="01-BAD0001")
    expect(letter).to_contain_text("email: not an address")
    letter.locator("button:has-text('Retry')").click()
    expect(page.locator(".notice.ok")).to_contain_text("poll queued for sage100:customer")
    expect(rows).to_have_count(1)
    screenshot(page, "dead-letter-retried")
    assert [(s, e) for s, e, _ in served.polls.queued()] == [("sage100", "customer")]
    [(outcome, actor, subject)] = decisions(ui_db, "retry")
    assert (outcome, actor, subject["stage"]) == ("requested", "admin-person", "cdc")

    page.click(".tabs a:has-text('Retry requested')")
    expect(page.locator("#dead-letters tbody tr")).to_contain_text("by admin-person")


def test_the_other_pages_show_their_evidence(page: Page) -> None:
    """Matches, anomalies, a record's history and sync, as a read-only person sees them."""
    sign_in(page, "read", "/ui/matches?status=auto")
    match = page.locator("#matches tbody tr").first
    expect(match).to_contain_text("10042")
    expect(match).to_contain_text("ref INV 10042")
    expect(match.locator(".chip").first).to_be_visible()
    screenshot(page, "matches")

    page.goto("/ui/anomalies")
    expect(page.locator("#anomalies tbody tr").first.locator("ul.reasons li").first).to_be_visible()
    screenshot(page, "anomalies")

    page.click(".top nav a:has-text('Record history')")
    page.select_option("select[name=system]", "kashflow")
    page.select_option("select[name=entity]", "customer")
    page.fill("input[name=key]", "ACME0019")
    page.click("button:has-text('Show history')")
    newest = page.locator("article.version").first
    expect(newest).to_contain_text("Version 2")
    expect(newest.locator("table.diff tr", has_text="email")).to_contain_text(
        "finance@acme-engineering.co.uk"
    )
    screenshot(page, "record-history")

    page.goto("/ui/sync")
    failing = page.locator("#streams tr", has_text="kashflow:customer")
    expect(failing).to_contain_text("KashFlow refused the login (401)")
    expect(page.locator("#runs tbody tr")).to_have_count(5)
    expect(page.locator("#schedules tbody tr", has_text="sage100:customer")).to_have_count(1)
    screenshot(page, "sync")
