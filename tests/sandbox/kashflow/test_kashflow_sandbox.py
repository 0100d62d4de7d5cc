"""The KashFlow sandbox as a server: seeded from the same company as the Sage 100
sandbox, state that survives a restart, the real list and error shapes, the way dates
and amounts are written, case-insensitive bodies, its rate limit and the CLI."""

from __future__ import annotations

import re
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from canonical import SalesInvoice
from sandbox.datagen import generate_company
from sandbox.kashflow import SandboxConfig, SandboxServer, open_sandbox

Login = Callable[[httpx.Client], dict[str, str]]


def test_it_holds_the_kashflow_side_of_the_generated_company(http: httpx.Client) -> None:
    company = generate_company("small", 42)
    view = company.view("kashflow")
    held = {c.key for c in view.of("customer")}
    codes = {c["Code"] for c in http.get("/customers", params={"perpage": 500}).json()["Data"]}
    assert codes == held
    assert len(codes) < len(company.customers) or company.differs, "the sides are not identical"
    kashflow_only = [key for (entity, key), side in company.only_in.items()
                     if entity == "sales_invoice" and side == "kashflow"]  # fmt: skip
    assert kashflow_only, "some invoices are not yet keyed into Sage"
    numbers = {s["Number"] for s in http.get("/invoices", params={"perpage": 500}).json()["Data"]}
    assert {int(key) for key in kashflow_only} <= numbers
    assert http.get("/invoices").json()["MetaData"]["TotalRecords"] == len(view.of("sales_invoice"))
    invoice = view.of("sales_invoice")[0]
    assert isinstance(invoice, SalesInvoice)
    full = http.get(f"/invoices/{invoice.key}").json()
    assert full["CustomerCode"] == invoice.customer_key
    assert full["GrossAmount"] == float(invoice.gross_amount)


def test_lists_are_summaries_in_the_data_and_metadata_wrapper(http: httpx.Client) -> None:
    first = http.get("/invoices", params={"page": 1, "perpage": 150}).json()
    assert set(first) == {"Data", "MetaData"}
    assert set(first["MetaData"]) == {
        "FirstPageUrl", "LastPageUrl", "NextPageUrl", "PreviousPageUrl", "TotalRecords",
    }  # fmt: skip
    assert len(first["Data"]) == 150 and first["MetaData"]["PreviousPageUrl"] is None
    assert all(s["LineItems"] is None and s["PaymentLines"] is None for s in first["Data"])
    last = http.get("/invoices", params={"page": 2, "perpage": 150}).json()
    assert last["MetaData"]["NextPageUrl"] is None
    assert "page=1" in last["MetaData"]["PreviousPageUrl"]
    full = http.get(f"/invoices/{first['Data'][0]['Number']}").json()
    assert full["LineItems"] and isinstance(full["PaymentLines"], list)


def test_sortby_and_order_and_perpage_cap(http: httpx.Client) -> None:
    page = http.get("/invoices", params={"sortby": "GrossAmount", "order": "Desc"}).json()
    amounts = [s["GrossAmount"] for s in page["Data"]]
    assert amounts == sorted(amounts, reverse=True)
    huge = http.get("/invoices", params={"perpage": 100_000}).json()
    assert len(huge["Data"]) == 200
    refused = http.get("/invoices", params={"sortby": "Colour"})
    assert refused.status_code == 400 and set(refused.json()) >= {"Error", "Message"}


def test_dates_and_amounts_are_written_as_kashflow_writes_them(http: httpx.Client) -> None:
    text = http.get("/invoices/10001").text
    assert re.search(r'"IssuedDate":"\d{4}-\d{2}-\d{2} 12:00:00"', text)
    assert re.search(r'"GrossAmount":\d+\.\d{4}[,}]', text)


def test_request_bodies_are_read_case_insensitively(http: httpx.Client) -> None:
    created = http.post(
        "/customers",
        json={"code": "CASE01", "NAME": "Lower Case Ltd", "email": "x@y.z",
              "paymentterms": {"days": 7}},
    )  # fmt: skip
    assert created.status_code == 201
    body = http.get("/customers/CASE01").json()
    assert (body["Name"], body["Email"], body["PaymentTerms"]["Days"]) == (
        "Lower Case Ltd",
        "x@y.z",
        7,
    )


def test_errors_use_the_error_and_message_body(http: httpx.Client) -> None:
    missing = http.get("/customers/NOBODY")
    assert missing.status_code == 404 and missing.json()["Error"] == "NotFound"
    invalid = http.post("/invoices", json={"CustomerCode": "NOBODY", "IssuedDate": "2026-01-01"})
    assert invalid.status_code == 400
    assert invalid.json()["Message"] == "CustomerCode: no customer has code NOBODY"
    assert http.get("/nowhere").json()["Error"] == "NotFound"


def test_the_rate_limit_answers_429_with_retry_after(
    server: SandboxServer, kashflow_login: Login
) -> None:
    admin = httpx.Client(base_url=server.admin_url)
    admin.put("/limits", json={"rate_limit_per_second": 1, "rate_limit_burst": 2})
    try:
        with httpx.Client(base_url=server.base_url) as http:
            http.headers.update(kashflow_login(http))
            answers = [http.get("/bankaccounts/1") for _ in range(3)]
    finally:
        admin.put("/limits", json={"rate_limit_per_second": None})
    assert [a.status_code for a in answers] == [200, 200, 429]
    assert answers[2].headers["Retry-After"] == "1"
    assert answers[2].json()["Error"] == "TooManyRequests"


def test_faults_are_set_through_the_admin_path(server: SandboxServer, http: httpx.Client) -> None:
    admin = httpx.Client(base_url=server.admin_url)
    admin.put("/faults", json={"statuses": [503, 502]})
    assert [http.get("/bankaccounts/1").status_code for _ in range(3)] == [503, 502, 200]
    admin.put("/faults", json={"drop_count": 1})
    with pytest.raises(httpx.RemoteProtocolError):
        http.get("/bankaccounts/1")
    assert http.get("/bankaccounts/1").status_code == 200


def test_state_survives_a_restart_without_reseeding(tmp_path: Path, kashflow_login: Login) -> None:
    db = tmp_path / "kashflow.db"
    config = SandboxConfig(rate_limit_per_second=None)
    with (
        SandboxServer(open_sandbox(db, config)) as first,
        httpx.Client(base_url=first.base_url) as http,
    ):
        http.headers.update(kashflow_login(http))
        http.post("/customers", json={"Code": "KEEP01", "Name": "Still Here"}).raise_for_status()
        http.post("/customers", json={"Code": "GONE02", "Name": "Deleted"}).raise_for_status()
        http.delete("/customers/GONE02").raise_for_status()
        assert http.delete("/customers/ACME0019").status_code == 400, "it has invoices"
    with (
        SandboxServer(open_sandbox(db, config)) as second,
        httpx.Client(base_url=second.base_url) as http,
    ):
        http.headers.update(kashflow_login(http))
        assert http.get("/customers/KEEP01").json()["Name"] == "Still Here"
        assert http.get("/customers/GONE02").status_code == 404
        assert http.get("/customers/ACME0019").status_code == 200


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_the_cli_serves_on_the_given_port(tmp_path: Path, kashflow_login: Login) -> None:
    port = free_port()
    command = [
        str(Path(sys.executable).parent / "ledgerbridge"), "sandbox", "kashflow", "serve",
        "--port", str(port), "--db", str(tmp_path / "cli.db"), "--size", "small",
        "--rate-limit", "0",
    ]  # fmt: skip
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        base = f"http://127.0.0.1:{port}/v2"
        # Start-up seeds a company and imports the app: give a loaded machine time, but
        # stop waiting as soon as the process has died.
        deadline = time.monotonic() + 120
        answer: Any = None
        while time.monotonic() < deadline and process.poll() is None:
            try:
                answer = httpx.post(f"{base}/sessiontoken", json={"UserName": "x", "Password": "y"})
                break
            except httpx.TransportError:
                time.sleep(0.1)
        assert answer is not None, f"the sandbox did not answer (exit {process.poll()})"
        assert answer.status_code == 401
        with httpx.Client(base_url=base) as http:
            http.headers.update(kashflow_login(http))
            customer = http.get("/customers", params={"perpage": 1}).json()["Data"][0]
            assert customer["Code"], "the company was seeded on first start"
            answers = {http.get("/bankaccounts/1").status_code for _ in range(40)}
            assert answers == {200}, "--rate-limit 0 turns the limit off"
    finally:
        process.terminate()
        process.wait(timeout=10)
