"""The review pages' edits beyond deciding, in a real browser: matching unmatched items by
hand (ticked on the unmatched page, checked by the same service the API's manual match
uses, refused on the page when it does not add up) and changing a stream's polling
schedule (admin only). Each saves a screenshot under tests/ui/screenshots/."""

from __future__ import annotations

from typing import Any

import psycopg
from playwright.sync_api import Page, expect
from review_site import screenshot, sign_in

from ledger.schedules import current_schedules

KASHFLOW_ACME_AND_GLOBEX = "/ui/unmatched?system=kashflow&min_amount=30&max_amount=1000"


def tick(page: Page, system: str, entity: str, key: str) -> None:
    page.check(f"input[name=item][value='{system}:{entity}:{key}']")


def manual_matches(url: str) -> list[tuple[Any, ...]]:
    with psycopg.connect(url) as conn:
        return conn.execute(
            "SELECT actor, reason, subject FROM ledger.decision WHERE kind = 'match'"
            " AND subject->>'manual' = 'true' ORDER BY decision_id"
        ).fetchall()


def test_match_ticked_items_by_hand(page: Page, ui_db: str) -> None:
    sign_in(page, "read", KASHFLOW_ACME_AND_GLOBEX)
    expect(page.locator("input[name=item]")).to_have_count(0)
    expect(page.locator("main")).to_contain_text("Matching items by hand needs a token")
    page.click("button:has-text('Sign out')")

    sign_in(page, "review", KASHFLOW_ACME_AND_GLOBEX)
    tick(page, "kashflow", "payment", "R-77")
    tick(page, "kashflow", "sales_invoice", "10050")
    page.click("button:has-text('Match selected')")
    expect(page.locator(".notice.error")).to_contain_text("Invoice 10050 is in USD")
    expect(page.locator(".notice.error")).to_contain_text("the payment in GBP")
    screenshot(page, "manual-match-refused")
    assert manual_matches(ui_db) == []

    tick(page, "kashflow", "payment", "R-77")
    page.click("button:has-text('Match selected')")
    expect(page.locator(".notice.error")).to_contain_text(
        "Tick one payment and the invoices it settles (you ticked 1 payment(s) and 0"
    )

    tick(page, "kashflow", "payment", "R-77")
    tick(page, "kashflow", "sales_invoice", "10044")
    page.fill("form#match-selected input[name=reason]", "customer phoned")
    page.click("button:has-text('Match selected')")
    expect(page.locator(".notice.ok")).to_have_text("Payment R-77 matched to 10044 (33.33).")
    expect(page.locator("input[name=item][value='kashflow:payment:R-77']")).to_have_count(0)
    expect(page.locator("input[name=item][value='kashflow:sales_invoice:10044']")).to_have_count(0)
    expect(page.locator("input[name=item][value='kashflow:sales_invoice:10050']")).to_have_count(1)
    assert "system=kashflow" in page.url
    screenshot(page, "manual-match-made")
    [(actor, reason, subject)] = manual_matches(ui_db)
    assert (actor, reason) == ("review-person", "customer phoned")
    assert subject["allocations"] == [
        {"system": "kashflow", "entity": "sales_invoice", "key": "10044", "amount": "33.33"}
    ]


def test_change_a_schedule(page: Page, ui_db: str) -> None:
    sign_in(page, "review", "/ui/sync")
    row = page.locator("#schedules tbody tr[data-stream='sage100:customer']")
    expect(row.locator("button:has-text('Save')")).to_be_disabled()
    expect(page.locator(".notice", has_text="change schedules")).to_contain_text(
        "needs a token with scope admin; yours is review"
    )
    page.click("button:has-text('Sign out')")

    sign_in(page, "admin", "/ui/sync")
    row = page.locator("#schedules tbody tr[data-stream='sage100:customer']")
    row.locator("input[name=interval]").fill("every so often")
    row.locator("button:has-text('Save')").click()
    expect(page.locator(".notice.error")).to_contain_text("'every so often' is not an interval")

    row = page.locator("#schedules tbody tr[data-stream='sage100:customer']")
    row.locator("input[name=interval]").fill("2m")
    row.locator("button:has-text('Save')").click()
    expect(page.locator(".notice.ok")).to_have_text("sage100:customer is now polled every 2m.")
    row = page.locator("#schedules tbody tr[data-stream='sage100:customer']")
    expect(row.locator("td").nth(1)).to_have_text("2m")
    expect(row).to_contain_text("admin-person")
    screenshot(page, "schedule-changed")

    other = page.locator("#schedules tbody tr[data-stream='kashflow:customer']")
    other.locator("input[name=enabled]").uncheck()
    other.locator("button:has-text('Save')").click()
    expect(page.locator(".notice.ok")).to_have_text(
        "kashflow:customer is not polled any more (off)."
    )
    other = page.locator("#schedules tbody tr[data-stream='kashflow:customer']")
    expect(other.locator("input[name=enabled]")).not_to_be_checked()

    with psycopg.connect(ui_db) as conn:
        stored = current_schedules(conn)
    assert (
        stored[("sage100", "customer")].interval_seconds,
        stored[("sage100", "customer")].set_by,
    ) == (120, "admin-person")
    assert stored[("kashflow", "customer")].interval_seconds is None
