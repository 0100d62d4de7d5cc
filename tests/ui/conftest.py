"""Browser fixtures for the review pages: the real app served by uvicorn on a free loopback
port, over a fresh copy of a test database seeded with the API tests' company (reconciled
once: matches, GL suggestions, anomalies) plus a payment waiting for approval; a token of
each scope; and Debian's Chromium driven by playwright."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
import uvicorn
from database_copies import database_copy, seeded_template
from playwright.sync_api import Browser, Page, Playwright, sync_playwright
from review_site import (
    CHROMIUM,
    CHROMIUM_ARGS,
    UI_TOKENS,
    QueuedPolls,
    ServedApp,
    scope_tokens,
    seed_company,
    seed_review_extras,
)

from api.app import create_app


def seed_review_site(conn: psycopg.Connection[Any]) -> None:
    seed_company(conn)
    seed_review_extras(conn)
    UI_TOKENS.update(scope_tokens(conn))


@pytest.fixture(scope="session")
def ui_template(pg_server: str) -> Iterator[str]:
    with seeded_template(pg_server, "lbui_template", seed_review_site) as name:
        yield name


@pytest.fixture
def ui_db(pg_server: str, ui_template: str) -> Iterator[str]:
    with database_copy(pg_server, ui_template, "lbui") as url:
        yield url


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def served(ui_db: str) -> Iterator[ServedApp]:
    """The control API (pages included) under uvicorn on a free loopback port."""
    polls = QueuedPolls(ui_db)
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
