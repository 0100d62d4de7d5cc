"""Browser fixtures for the review pages: the real app served by uvicorn on a free loopback
port, over a fresh copy of a test database seeded with the API tests' company (reconciled
once: matches, GL suggestions, anomalies) plus a payment waiting for approval; a token of
each scope; and Debian's Chromium driven by playwright."""

from __future__ import annotations

import socket
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
import uvicorn
from psycopg.types.json import Jsonb

sys.path.insert(0, str(Path(__file__).parent.parent / "api"))

from api_company import ACME, party, seed_company
from playwright.sync_api import Browser, Page, Playwright, sync_playwright
from polls_recorder import PollsAsked

from api.app import create_app
from api.services.tokens import create_token
from canonical import Customer
from ledger import append_versions
from ledger.runs import finish_run, start_run
from ledgerbridge.testdb import (
    create_database,
    create_migrated_database,
    drop_database,
    fresh_name,
)

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


@pytest.fixture(scope="session")
def ui_template(pg_server: str) -> Iterator[str]:
    name, url = create_migrated_database(pg_server, "lbui_template")
    with psycopg.connect(url) as conn:
        seed_company(conn)
        seed_review_extras(conn)
        for scope in ("read", "review", "admin"):
            UI_TOKENS[scope], _ = create_token(conn, f"{scope}-person", scope)
        conn.commit()
    yield name
    drop_database(pg_server, name)


@pytest.fixture
def ui_db(pg_server: str, ui_template: str) -> Iterator[str]:
    name = fresh_name("lbui")
    url = create_database(pg_server, name, template=ui_template)
    yield url
    drop_database(pg_server, name)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class ServedApp:
    def __init__(self, base_url: str, polls: PollsAsked) -> None:
        self.base_url = base_url
        self.polls = polls


@pytest.fixture
def served(ui_db: str) -> Iterator[ServedApp]:
    """The control API (pages included) under uvicorn on a free loopback port."""
    polls = PollsAsked()
    port = _free_port()
    config = uvicorn.Config(
        create_app(ui_db, request_poll=polls, pool_size=3), host="127.0.0.1", port=port,
        log_level="warning", lifespan="on",
    )  # fmt: skip
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.02)
    yield ServedApp(f"http://127.0.0.1:{port}", polls)
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="session")
def playwright_driver() -> Iterator[Playwright]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run `make system-deps` (apt-get install chromium)")
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="session")
def browser(playwright_driver: Playwright) -> Iterator[Browser]:
    chromium = playwright_driver.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield chromium
    chromium.close()


@pytest.fixture
def page(browser: Browser, served: ServedApp) -> Iterator[Page]:
    context = browser.new_context(base_url=served.base_url, viewport={"width": 1400, "height": 900})
    tab = context.new_page()
    tab.set_default_timeout(10_000)
    yield tab
    context.close()


def screenshot(tab: Page, name: str) -> None:
    SCREENSHOTS.mkdir(exist_ok=True)
    tab.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def sign_in(tab: Page, scope: str, path: str = "/ui") -> None:
    tab.goto(path)
    tab.fill("#token", UI_TOKENS[scope])
    tab.click("button:has-text('Sign in')")
    tab.wait_for_load_state()
