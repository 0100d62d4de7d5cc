"""Customer and supplier balances in the KashFlow sandbox, over HTTP: `OutstandingBalance`
is what is still unpaid on the party's invoices (purchases), `TotalPaidAmount` what was
paid on them, right after every write that moves them (create, update, delete, quote
conversion, a payment added or deleted, a bulk payment), in a seeded company from the
start, and in a store written before balances were kept once it is opened again. A
balance moving leaves the party's `LastUpdatedDate` alone."""

from __future__ import annotations

import itertools
import json
import random
import sqlite3
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sandbox.kashflow import SandboxConfig, SandboxServer, Store, open_sandbox
from sandbox.kashflow.seed import (
    pay_synthetic_invoices,
    seed_company,
    seed_synthetic_customers,
    seed_synthetic_invoices,
)

Login = Callable[[httpx.Client], dict[str, str]]
DAY = "2026-11-02 12:00:00"
PARTY = {"invoices": ("customers", "CustomerCode"), "purchases": ("suppliers", "SupplierCode")}


def read(http: httpx.Client, path: str, **params: Any) -> Any:
    """An answer's JSON with amounts as exact decimals."""
    answer = http.get(path, params=params)
    assert answer.status_code == 200, answer.text
    return json.loads(answer.text, parse_float=Decimal)


def sent(answer: httpx.Response, status: int = 201) -> Any:
    assert answer.status_code == status, answer.text
    return json.loads(answer.text, parse_float=Decimal) if answer.content else None


def balances(http: httpx.Client, parties: str, code: str) -> tuple[Decimal, Decimal]:
    party = read(http, f"/{parties}/{code}")
    return party["OutstandingBalance"], party["TotalPaidAmount"]


def document(
    http: httpx.Client, resource: str, code: str, rate: int, vat: int = 20, **fields: Any
) -> int:
    """A new invoice or purchase of one line, gross `rate` plus `vat` percent."""
    body = {
        PARTY[resource][1]: code, "IssuedDate": DAY,
        "LineItems": [{"Description": "Desk", "Quantity": 1, "Rate": rate, "VATLevel": vat}],
        **fields,
    }  # fmt: skip
    return int(sent(http.post(f"/{resource}", json=body))["Number"])


def pay(http: httpx.Client, resource: str, number: int, amount: str) -> int:
    body = {"Date": DAY, "Amount": amount, "Reference": "bal"}
    return int(sent(http.post(f"/{resource}/{number}/payments", json=body))["Id"])


def bulk(http: httpx.Client, resource: str, items: list[tuple[int, str]]) -> list[int]:
    body = {"Date": DAY, "Comment": "bal", "Method": 1,
            "PaymentItems": [{"ObjectNumber": n, "Amount": a} for n, a in items]}  # fmt: skip
    made = sent(http.post(f"/{resource}/bulk/payments", json=body))
    return [int(item["Id"]) for item in made["PaymentItems"]]


def summed(http: httpx.Client, resource: str, code: str) -> tuple[Decimal, Decimal]:
    """The party's balances summed from its documents read in full (their payment lines)."""
    owed = paid = Decimal(0)
    page = 1
    while True:
        listing = read(
            http, f"/{resource}", **{PARTY[resource][1]: code, "page": page, "perpage": 500}
        )
        for summary in listing["Data"]:
            full = read(http, f"/{resource}/{summary['Number']}")
            lines = sum((p["Amount"] for p in full["PaymentLines"]), Decimal(0))
            owed, paid = owed + full["GrossAmount"] - lines, paid + lines
        if listing["MetaData"]["NextPageUrl"] is None:
            return owed, paid
        page += 1


def test_a_customer_balance_follows_its_invoices_and_payments(http: httpx.Client) -> None:
    sent(http.post("/customers", json={"Code": "BAL01", "Name": "Balance One"}))
    sent(http.post("/customers", json={"Code": "BAL02", "Name": "Balance Two"}))
    stamp = read(http, "/customers/BAL01")["LastUpdatedDate"]
    assert balances(http, "customers", "BAL01") == (0, 0)

    first = document(http, "invoices", "BAL01", 100)  # gross 120
    second = document(http, "invoices", "BAL01", 50, vat=10)  # gross 55
    assert balances(http, "customers", "BAL01") == (Decimal(175), 0)

    single = pay(http, "invoices", first, "20")
    assert balances(http, "customers", "BAL01") == (Decimal(155), Decimal(20))
    bulk(http, "invoices", [(second, "55"), (first, "30")])
    assert balances(http, "customers", "BAL01") == (Decimal(70), Decimal(105))
    assert read(http, f"/invoices/{second}")["Status"] == "Paid"

    sent(http.delete(f"/invoices/{first}/payments/{single}"), 200)
    assert balances(http, "customers", "BAL01") == (Decimal(90), Decimal(85))

    lines = [{"Description": "Two desks", "Quantity": 2, "Rate": 100, "VATLevel": 20}]
    sent(http.put(f"/invoices/{first}", json={"LineItems": lines}), 200)  # gross 240, 30 paid
    assert balances(http, "customers", "BAL01") == (Decimal(210), Decimal(85))

    sent(http.delete(f"/invoices/{second}"), 200)
    assert balances(http, "customers", "BAL01") == (Decimal(210), Decimal(30))

    chair = {"Description": "Chair", "Quantity": 1, "Rate": 40, "VATLevel": 20}
    quote = {"CustomerCode": "BAL01", "IssuedDate": DAY, "LineItems": [chair]}
    number = sent(http.post("/quotes", json=quote))["Number"]
    assert balances(http, "customers", "BAL01") == (Decimal(210), Decimal(30)), (
        "a quote owes nothing"
    )
    converted = sent(http.post("/internal/invoices?convertfrom=quote", json=[number]))
    assert read(http, f"/invoices/{converted[0]['InvoiceNumber']}")["CustomerCode"] == "BAL01"
    assert balances(http, "customers", "BAL01") == (Decimal(258), Decimal(30))

    sent(http.put(f"/invoices/{first}", json={"CustomerCode": "BAL02"}), 200)
    assert balances(http, "customers", "BAL01") == (Decimal(48), 0)
    assert balances(http, "customers", "BAL02") == (Decimal(210), Decimal(30))

    held = read(http, "/customers/BAL01")
    assert held["LastUpdatedDate"] == stamp, "a balance moving is not an edit of the customer"
    listed = read(http, "/customers", perpage=500, sortby="outstandingbalance", order="Desc")
    summary = next(c for c in listed["Data"] if c["Code"] == "BAL01")
    assert (summary["OutstandingBalance"], summary["TotalPaidAmount"]) == (Decimal(48), 0)
    assert summed(http, "invoices", "BAL01") == (Decimal(48), 0)


def test_a_supplier_balance_follows_its_purchases_and_payments(http: httpx.Client) -> None:
    sent(http.post("/suppliers", json={"Code": "BALS1", "Name": "Balance Supplies"}))
    stamp = read(http, "/suppliers/BALS1")["LastUpdatedDate"]
    first = document(http, "purchases", "BALS1", 200)  # gross 240
    second = document(http, "purchases", "BALS1", 10, vat=0)  # gross 10
    assert balances(http, "suppliers", "BALS1") == (Decimal(250), 0)
    single = pay(http, "purchases", first, "40.50")
    assert balances(http, "suppliers", "BALS1") == (Decimal("209.50"), Decimal("40.50"))
    bulk(http, "purchases", [(second, "10"), (first, "100")])
    assert balances(http, "suppliers", "BALS1") == (Decimal("99.50"), Decimal("150.50"))
    sent(http.delete(f"/purchases/{first}/payments/{single}"), 200)
    assert balances(http, "suppliers", "BALS1") == (Decimal(140), Decimal(110))
    sent(http.delete(f"/purchases/{second}"), 200)
    assert balances(http, "suppliers", "BALS1") == (Decimal(140), Decimal(100))
    listed = read(http, "/suppliers", perpage=500)["Data"]
    assert next(s for s in listed if s["Code"] == "BALS1")["OutstandingBalance"] == 140
    assert read(http, "/suppliers/BALS1")["LastUpdatedDate"] == stamp
    assert summed(http, "purchases", "BALS1") == (Decimal(140), Decimal(100))


def test_two_bulk_items_paying_one_invoice_both_count(http: httpx.Client) -> None:
    sent(http.post("/customers", json={"Code": "BAL03", "Name": "Balance Three"}))
    number = document(http, "invoices", "BAL03", 100)
    ids = bulk(http, "invoices", [(number, "10"), (number, "15")])
    lines = read(http, f"/invoices/{number}")["PaymentLines"]
    assert sorted(int(p["Id"]) for p in lines) == sorted(ids), "both lines are kept"
    assert balances(http, "customers", "BAL03") == (Decimal(95), Decimal(25))


def test_a_refused_write_moves_no_balance(http: httpx.Client) -> None:
    sent(http.post("/customers", json={"Code": "BAL04", "Name": "Balance Four"}))
    number = document(http, "invoices", "BAL04", 100)
    refused = http.post(
        "/invoices/bulk/payments",
        json={"Date": DAY, "PaymentItems": [{"ObjectNumber": number, "Amount": 5},
                                            {"ObjectNumber": 99_999_999, "Amount": 5}]},
    )  # fmt: skip
    assert refused.status_code == 400
    assert http.put(f"/invoices/{number}", json={"CustomerCode": "NOSUCH"}).status_code == 400
    assert balances(http, "customers", "BAL04") == (Decimal(120), 0)


def test_the_seeded_company_starts_with_its_balances(http: httpx.Client) -> None:
    for resource, (parties, field) in PARTY.items():
        totals: dict[str, tuple[Decimal, Decimal]] = {}
        page = 1
        while True:
            listing = read(http, f"/{resource}", page=page, perpage=500)
            for s in listing["Data"]:
                owed, paid = totals.get(s[field], (Decimal(0), Decimal(0)))
                due = s["GrossAmount"] - s["TotalPaidAmount"]
                totals[s[field]] = (owed + due, paid + s["TotalPaidAmount"])
            if listing["MetaData"]["NextPageUrl"] is None:
                break
            page += 1
        assert any(paid for _, paid in totals.values()), f"the seeded {resource} include payments"
        for party in read(http, f"/{parties}", perpage=500)["Data"]:
            full = read(http, f"/{parties}/{party['Code']}")
            expected = totals.get(party["Code"], (Decimal(0), Decimal(0)))
            assert (full["OutstandingBalance"], full["TotalPaidAmount"]) == expected, party["Code"]


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxServer]:
    """The sample company with 300 synthetic customers and 2,000 synthetic invoices,
    most paid, all written straight into the store as the benchmarks do."""
    db = Path(tmp_path_factory.mktemp("kashflow-synthetic")) / "kashflow.db"
    store = Store(db)
    seed_company(store)
    seed_synthetic_customers(store, 300)
    seed_synthetic_invoices(store, 2_000)
    pay_synthetic_invoices(store, 2_000, random.Random(3), share=0.6)
    store.close()
    with SandboxServer(open_sandbox(db, SandboxConfig(rate_limit_per_second=None))) as running:
        yield running


def test_synthetic_seeding_keeps_balances(synthetic: SandboxServer, kashflow_login: Login) -> None:
    with httpx.Client(base_url=synthetic.base_url, timeout=30) as http:
        http.headers.update(kashflow_login(http))
        customers = read(http, "/customers", perpage=500)["Data"]
        owing = [c for c in customers if c["OutstandingBalance"]]
        assert owing, "synthetic invoices left unpaid show on their customers"
        for summary in owing[:3]:
            code = summary["Code"]
            assert balances(http, "customers", code) == summed(http, "invoices", code)
        assert balances(http, "customers", "SYN000123") == (0, 0), "no invoices of its own"


def test_a_store_from_before_balances_were_kept_is_summed_when_opened(
    tmp_path: Path, kashflow_login: Login
) -> None:
    db = tmp_path / "old.db"
    store = Store(db)
    seed_company(store)
    store.close()
    with sqlite3.connect(db) as old:  # as the sandbox left stores before it kept balances
        old.execute("DELETE FROM meta WHERE name = 'balances'")
        for table in ("full", "summary"):
            old.execute(
                f"UPDATE record SET {table} = json_set({table}, '$.OutstandingBalance', 0,"
                " '$.TotalPaidAmount', 0) WHERE resource = 'customers'"
            )
    with (
        SandboxServer(open_sandbox(db, SandboxConfig(rate_limit_per_second=None))) as running,
        httpx.Client(base_url=running.base_url, timeout=30) as http,
    ):
        http.headers.update(kashflow_login(http))
        code = read(http, "/invoices", perpage=1)["Data"][0]["CustomerCode"]
        assert balances(http, "customers", code) == summed(http, "invoices", code) != (0, 0)


PROPERTY_PARTIES = itertools.count()
OPERATIONS = st.lists(
    st.one_of(
        st.tuples(st.just("create"), st.integers(1, 500)),
        st.tuples(st.just("update"), st.integers(0, 9), st.integers(1, 500)),
        st.tuples(st.just("pay"), st.integers(0, 9), st.integers(1, 300)),
        st.tuples(st.just("bulk"), st.integers(0, 9), st.integers(0, 9), st.integers(1, 300)),
        st.tuples(st.just("unpay"), st.integers(0, 9)),
        st.tuples(st.just("delete"), st.integers(0, 9)),
    ),
    max_size=8,
)


@settings(max_examples=12, deadline=None, derandomize=True)
@given(steps=OPERATIONS, resource=st.sampled_from(["invoices", "purchases"]))
def test_after_any_writes_the_balance_is_the_sum_over_documents(
    http: httpx.Client, steps: list[tuple[Any, ...]], resource: str
) -> None:
    parties, _ = PARTY[resource]
    code = f"PROP{next(PROPERTY_PARTIES):05d}"
    sent(http.post(f"/{parties}", json={"Code": code, "Name": "Property"}))
    numbers: list[int] = []
    for step in steps:
        kind, picked = step[0], [numbers[i % len(numbers)] for i in step[1:2] if numbers]
        if kind == "create":
            numbers.append(document(http, resource, code, step[1]))
        elif kind == "update" and picked:
            lines = [{"Description": "Lamp", "Quantity": 1, "Rate": step[2], "VATLevel": 0}]
            sent(http.put(f"/{resource}/{picked[0]}", json={"LineItems": lines}), 200)
        elif kind == "pay" and picked:
            pay(http, resource, picked[0], str(step[2]))
        elif kind == "bulk" and picked:
            bulk(
                http, resource, [(picked[0], str(step[3])), (numbers[step[2] % len(numbers)], "1")]
            )
        elif kind == "unpay" and picked:
            lines = read(http, f"/{resource}/{picked[0]}")["PaymentLines"]
            if lines:
                sent(http.delete(f"/{resource}/{picked[0]}/payments/{lines[0]['Id']}"), 200)
        elif kind == "delete" and picked:
            sent(http.delete(f"/{resource}/{picked[0]}"), 200)
            numbers.remove(picked[0])
        assert balances(http, parties, code) == summed(http, resource, code), step
