"""What the review pages' tests share: the seeded extras (a payment waiting for approval, a
customer's changed email, poll runs), the tokens made for them, how Chromium is launched,
and signing in and saving screenshots. Imported by `conftest.py` and the tests alike."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import psycopg
from playwright.sync_api import Page
from psycopg.types.json import Jsonb

sys.path.insert(0, str(Path(__file__).parent.parent / "api"))  # api_company, polls_recorder

from api_company import ACME, party, scope_tokens, seed_company
from polls_recorder import QueuedPolls

from canonical import Customer
from ledger import append_versions
from ledger.runs import finish_run, start_run

__all__ = ["QueuedPolls", "scope_tokens", "seed_company"]
"""Re-exported from the API tests (tests/api is not on the path of these tests alone)."""

CHANGED_ACME = {**ACME, "email": "finance@acme-engineering.co.uk", "phone": "01871 989900"}
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
SCREENSHOTS = Path(__file__).parent / "screenshots"
UI_TOKENS: dict[str, str] = {}
PAYMENT_KEY = "receipt_to_sage100:kashflow:payment:R-90:v1"


def seed_review_extras(conn: psycopg.Connection[Any]) -> None:
    """What the API tests' company lacks for the pages: a customer receipt over the approval
    threshold planned for Sage 100 and waiting; a customer whose email changed since (a
    history with a diff); poll runs of three streams, one of them failing now."""
    conn.execute(
        "INSERT INTO ledger.write_intent (idempotency_key, target_system, entity, operation,"
        " source_system, source_key, target_key, payload, requires_approval) VALUES"
        " (%s, 'sage100', 'payment', 'create', 'kashflow', 'R-90', NULL, %s, true)",
        (PAYMENT_KEY, Jsonb({"amount": "12500.00", "currency": "GBP", "reference": "INV 10043"})),
    )
    append_versions(conn, [party(Customer, "kashflow", "ACME0019", **CHANGED_ACME)])
    for system, entity, status, error in (
        ("sage100", "customer", "succeeded", None),
        ("kashflow", "sales_invoice", "succeeded", None),
        ("kashflow", "customer", "succeeded", None),
        ("kashflow", "customer", "failed", "KashFlow refused the login (401)"),
    ):
        run_id = start_run(conn, "poll", system, entity)
        finish_run(conn, run_id, status, {"read": 12, "appended": 1}, error)
    conn.commit()


class ServedApp:
    def __init__(self, base_url: str, polls: QueuedPolls) -> None:
        self.base_url = base_url
        self.polls = polls


def screenshot(tab: Page, name: str) -> None:
    SCREENSHOTS.mkdir(exist_ok=True)
    tab.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def sign_in(tab: Page, scope: str, path: str = "/ui") -> None:
    tab.goto(path)
    tab.fill("#token", UI_TOKENS[scope])
    tab.click("button:has-text('Sign in')")
    tab.wait_for_load_state()
