"""Every route of the KashFlow sandbox, held to one property: whatever the path, query
or body, the answer is never a 500, every refusal is KashFlow's `{"Error", "Message"}`
body, and every success is valid JSON.

Hypothesis bends a valid request for each route: a field replaced by any JSON value
(huge or fractional numbers, `1e400`, wrong types, nested arrays), a field dropped, an
array grown past its limit, or raw bytes that are not a JSON object at all. It is
derandomised and bounded, so CI runs the same examples each time in seconds
(`KASHFLOW_FUZZ_EXAMPLES=500` runs more per route locally). A sweep then sets every
field of every body, in turn, to each of a list of hard values, so the known edges are
not left to chance.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from fastapi.routing import APIRoute
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sandbox.kashflow import InProcessTransport, SandboxConfig, Store, create_sandbox, open_sandbox
from sandbox.kashflow.wire import MAX_BODY_BYTES

Login = Callable[[httpx.Client], dict[str, str]]
EXAMPLES = int(os.environ.get("KASHFLOW_FUZZ_EXAMPLES", "10"))
"""Examples per route; routes that take a body get four times as many."""


class Number(str):
    """A JSON number written exactly as its text (`1e400`, `-0.00001`, 30 digits)."""


def encode(value: Any) -> str:
    if isinstance(value, Number):
        return str(value)
    if isinstance(value, dict):
        return "{" + ",".join(f"{json.dumps(k)}:{encode(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ",".join(encode(v) for v in value) + "]"
    return json.dumps(value)


EDGE_NUMBERS = ["1e400", "-1e400", "1e30", "-1e25", "1E+28", "0", "-0.0", "-1", "0.00001",
                "2147483648", "-2147483649", "99999999999999999999", "1e-400"]  # fmt: skip
numbers = st.one_of(
    st.sampled_from(EDGE_NUMBERS).map(Number),
    st.integers(min_value=-(10**30), max_value=10**30).map(lambda n: Number(str(n))),
    st.from_regex(r"\A-?[0-9]{1,25}(\.[0-9]{1,12})?([eE][-+]?[0-9]{1,4})?\Z").map(Number),
)
texts = st.one_of(
    st.sampled_from(
        [
            "",
            " ",
            "2026-01-01",
            "9999-12-31",
            "0001-01-01",
            "2026-02-30",
            "1e400",
            "NaN",
            "-5",
            "x" * 300,
            "é",
            "\u0000",
            "\ud800",
            "9" * 20,
            "²",
        ]
    ),
    st.text(max_size=30),
)
scalars = st.one_of(st.none(), st.booleans(), numbers, texts)
json_values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=12,
)
raw_bodies = st.sampled_from(
    [
        b"[" * 5000 + b"]" * 5000,
        b'{"a":' * 25 + b"1" + b"}" * 25,
        b"{",
        b"[1, 2]",
        b'"text"',
        b'{"Amount": NaN}',
        b'{"Amount": Infinity}',
        b"\xff\xfe\x00",
        b'{"Name": "' + b"x" * (MAX_BODY_BYTES + 1) + b'"}',
        b'{"Number": 1' + b"0" * 5000 + b"}",
    ]
)


@dataclass
class Company:
    """Keys that exist in the seeded sandbox, so templates reach the deeper checks."""

    customer: str
    supplier: str
    invoice: int
    purchase: int
    nominal: int
    account: int


def templates(company: Company) -> dict[str, dict[str, Any]]:
    """A valid body for each route that takes one, by the route's path pattern."""
    line = {
        "Quantity": Number("2"), "Rate": Number("10.50"), "VATLevel": Number("20"),
        "Description": "Widgets", "NominalCode": company.nominal, "ProductCode": "W1",
    }  # fmt: skip
    address = {"Line1": "1 High St", "Line3": "Leeds", "PostCode": "LS1 1AA", "CountryCode": "GB"}
    party = {
        "Code": "FUZZ01", "Name": "Fuzz Ltd", "Email": "a@b.test", "VatNumber": "GB1",
        "Currency": {"Code": "GBP", "ExchangeRate": Number("1")},
        "PaymentTerms": {"Days": 30, "Type": "Days"}, "IsArchived": False,
        "Contacts": [{"Name": "Ann", "IsPrimary": True}], "DefaultNominalCode": company.nominal,
    }  # fmt: skip
    customer = party | {
        "Addresses": [address], "DiscountRate": Number("2.5"), "CreditLimit": Number("1000"),
    }  # fmt: skip
    supplier = party | {
        "Address": address, "PaymentMethod": 1,
        "BankAccount": {"Name": "Bank", "Number": "12345678", "SortCode": "00-00-00"},
    }  # fmt: skip
    document = {
        "IssuedDate": "2026-01-05", "DueDate": "2026-02-05", "Currency": {"Code": "GBP"},
        "LineItems": [line], "ProjectNumber": 1,
    }  # fmt: skip
    payment = {
        "Amount": Number("5.00"), "Date": "2026-01-10", "Method": 1,
        "AccountId": company.account, "Note": "n", "Reference": "r",
    }  # fmt: skip
    return {
        "/v2/customers": customer,
        "/v2/customers/{code}": customer,
        "/v2/suppliers": supplier,
        "/v2/suppliers/{code}": supplier,
        "/v2/invoices": document | {"CustomerCode": company.customer, "CustomerReference": "PO1"},
        "/v2/invoices/{number}": document | {"CustomerCode": company.customer},
        "/v2/quotes": document | {"CustomerCode": company.customer},
        "/v2/quotes/{number}": document | {"CustomerCode": company.customer},
        "/v2/purchases": document | {"SupplierCode": company.supplier},
        "/v2/purchases/{number}": document | {"SupplierCode": company.supplier},
        "/v2/invoices/{number}/payments": payment,
        "/v2/purchases/{number}/payments": payment,
        "/v2/invoices/bulk/payments": {
            "Date": "2026-01-10",
            "AccountId": company.account,
            "Method": 1,
            "Comment": "c",
            "PaymentItems": [{"ObjectNumber": company.invoice, "Amount": Number("1")}],
        },
        "/v2/purchases/bulk/payments": {
            "Date": "2026-01-10",
            "AccountId": company.account,
            "Method": 1,
            "PaymentItems": [{"ObjectNumber": company.purchase, "Amount": Number("1")}],
        },
        "/v2/nominals": {
            "Code": 95001,
            "Name": "Fuzz product",
            "IsProduct": True,
            "ProductCode": "FZ1",
            "Price": Number("3"),
            "VATRate": Number("20"),
            "QuantityInStock": Number("4"),
        },
        "/v2/nominals/{nominal_id}": {"Name": "Renamed", "Price": Number("4")},
        "/v2/sessiontoken": {"UserName": "sandbox", "Password": "sandbox"},
        "/_sandbox/faults": {"statuses": [503], "retry_after": "1", "methods": ["GET"]},
        "/_sandbox/limits": {
            "rate_limit_per_second": Number("5"),
            "rate_limit_burst": 5,
            "session_timeout_seconds": Number("60"),
            "retry_after_format": "seconds",
        },
    }


def paths_in(value: Any, at: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every place inside a JSON value that a mutation may replace."""
    found = [at]
    if isinstance(value, dict):
        for key, child in value.items():
            found += paths_in(child, (*at, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            found += paths_in(child, (*at, index))
    return found


def replaced(value: Any, at: tuple[Any, ...], new: Any) -> Any:
    if not at:
        return new
    copy: Any = dict(value) if isinstance(value, dict) else list(value)
    copy[at[0]] = replaced(copy[at[0]], at[1:], new)
    return copy


@st.composite
def bodies(draw: st.DrawFn, template: dict[str, Any]) -> bytes:
    """A bent valid body, or now and then raw bytes that are no JSON object at all."""
    if draw(st.integers(0, 14)) == 0:
        return draw(raw_bodies)
    body: Any = template
    for _ in range(draw(st.integers(1, 3))):
        places = paths_in(body)
        leaves = [at for at in places if not isinstance(value_at(body, at), dict | list)]
        leaf_wanted = draw(st.integers(0, 4)) > 0
        mostly_leaves = leaves if leaves and leaf_wanted else places
        at = draw(st.sampled_from(mostly_leaves))
        target = value_at(body, at)
        choice = draw(st.integers(0, 9))
        if choice == 0 and at and isinstance(at[-1], str):
            body = without(body, at)
        elif choice == 1 and isinstance(target, list) and target:
            grown = [target[0]] * draw(st.sampled_from([0, 999, 1001, 5000]))
            body = replaced(body, at, grown)
        else:
            body = replaced(body, at, draw(values_instead_of(target)))
    return encode(body).encode()


def values_instead_of(current: Any) -> st.SearchStrategy[Any]:
    """Mostly a hard value of the same kind (an extreme number for a number, an odd date
    for a text), else any JSON value at all."""
    if isinstance(current, Number) or (isinstance(current, int) and not isinstance(current, bool)):
        same_kind: st.SearchStrategy[Any] = numbers
    elif isinstance(current, str):
        same_kind = st.one_of(texts, numbers)
    else:
        same_kind = scalars
    return st.one_of(same_kind, same_kind, json_values)


def value_at(body: Any, at: tuple[Any, ...]) -> Any:
    for step in at:
        body = body[step]
    return body


def without(body: Any, at: tuple[Any, ...]) -> Any:
    """`body` with the field at `at` dropped."""
    parent = body
    for step in at[:-1]:
        parent = parent[step]
    return replaced(body, at[:-1], {k: v for k, v in parent.items() if k != at[-1]})


def path_values(company: Company, name: str) -> st.SearchStrategy[str]:
    known = {
        "code": [company.customer, company.supplier],
        "number": [str(company.invoice), str(company.purchase)],
        "nominal_id": ["1"],
        "account_id": [str(company.account)],
        "kind": ["invoice", "purchase"],
    }.get(name, [])
    return st.one_of(
        st.sampled_from(known or ["1"]),
        st.integers(-(10**25), 10**25).map(str),
        st.text(min_size=1, max_size=20).map(lambda text: quote(text, safe="")),
    )


query_values = st.one_of(
    st.integers(-(10**25), 10**25).map(str),
    st.text(max_size=12),
    st.sampled_from(["Number", "GrossAmount", "Desc", "asc", "1e400", "1.5", "0", "-1"]),
)
queries = st.dictionaries(
    st.sampled_from(["page", "perpage", "sortby", "order", "customercode", "suppliercode"]),
    query_values,
    max_size=4,
)


@dataclass
class Target:
    http: httpx.Client
    v2: httpx.Client
    company: Company
    templates: dict[str, dict[str, Any]]


@pytest.fixture(scope="module")
def target(tmp_path_factory: pytest.TempPathFactory, kashflow_login: Login) -> Iterator[Target]:
    """The sandbox's ASGI app called in process: the same app a port serves, without
    the loopback round trips (an exception inside it fails the test as a 500 would)."""
    db = Path(tmp_path_factory.mktemp("kashflow-fuzz")) / "kashflow.db"
    sandbox = open_sandbox(db, SandboxConfig(rate_limit_per_second=None))
    transport = InProcessTransport(sandbox)
    with httpx.Client(transport=transport, base_url="http://sandbox", timeout=10) as root:
        v2 = httpx.Client(transport=transport, base_url="http://sandbox/v2", timeout=10)
        login = kashflow_login(v2)

        def first(resource: str) -> Any:
            answer = v2.get(f"/{resource}", params={"perpage": 1}, headers=login)
            return answer.json()["Data"][0]

        company = Company(
            customer=first("customers")["Code"],
            supplier=first("suppliers")["Code"],
            invoice=first("invoices")["Number"],
            purchase=first("purchases")["Number"],
            nominal=first("nominals")["Code"],
            account=first("bankaccounts")["Id"],
        )

        yield Target(root, v2, company, templates(company))
    sandbox.store.close()


def routes() -> list[tuple[str, str]]:
    sandbox_routes = create_sandbox(SandboxConfig(), Store(":memory:")).api.routes
    found = sorted(
        (method, route.path)
        for route in sandbox_routes
        if isinstance(route, APIRoute)
        for method in route.methods or ()
    )
    assert len(found) >= 45, "every route of the sandbox is fuzzed"
    return found


@pytest.mark.parametrize(("method", "pattern"), routes())
def test_no_request_to_any_route_is_answered_500(
    target: Target, kashflow_login: Login, method: str, pattern: str
) -> None:
    @settings(
        max_examples=EXAMPLES * 4 if method in ("POST", "PUT") else EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(data=st.data())
    def check(data: st.DataObject) -> None:
        path = pattern
        for name in [part[1:-1] for part in pattern.split("/") if part.startswith("{")]:
            path = path.replace(f"{{{name}}}", data.draw(path_values(target.company, name)))
        params = data.draw(queries) if method == "GET" else {}
        content = b""
        if method in ("POST", "PUT"):
            content = data.draw(bodies(target.templates.get(pattern, {"Any": "thing"})))
        login = kashflow_login(target.v2)
        headers = data.draw(st.sampled_from([{}, {"Authorization": "KfToken x"}, *[login] * 8]))
        exchange(target, method, path, content, headers, params)

    check()


SWEEP_VALUES: list[Any] = [
    Number("1e400"), Number("-1"), Number("0"), Number("2147483648"),
    Number("99999999999999999999"), "99999999999999999999", "9999-12-31", "²", "\ud800", "",
    None, True, {}, [], "x" * 3000,
]  # fmt: skip


def swept_method(pattern: str) -> str:
    if pattern.endswith("/payments") or ("{" not in pattern and pattern.startswith("/v2")):
        return "POST"
    return "PUT"


@pytest.mark.parametrize("pattern", sorted(templates(Company("C", "S", 1, 1, 1, 1))))
def test_every_field_of_every_body_takes_every_hard_value(
    target: Target, kashflow_login: Login, pattern: str
) -> None:
    """Not left to chance: each field of each valid body, in turn, set to each hard value."""
    company = target.company
    resource = pattern.split("/")[2] if pattern.startswith("/v2/") else ""
    keys = {
        "code": company.supplier if resource == "suppliers" else company.customer,
        "number": str(company.purchase if resource == "purchases" else company.invoice),
        "nominal_id": "1",
    }
    path = pattern
    for name, key in keys.items():
        path = path.replace(f"{{{name}}}", key)
    template = target.templates[pattern]
    headers = kashflow_login(target.v2)
    for at in paths_in(template)[1:]:
        for value in SWEEP_VALUES:
            body = encode(replaced(template, at, value)).encode()
            exchange(target, swept_method(pattern), path, body, headers)


def exchange(
    target: Target,
    method: str,
    path: str,
    content: bytes,
    headers: dict[str, str],
    params: dict[str, str] | None = None,
) -> None:
    """One request, held to the property: no 500, refusals in KashFlow's shape, JSON out."""
    http = target.http
    answer = http.request(method, path, params=params, content=content, headers=headers)
    if path.startswith("/_sandbox"):
        http.put("/_sandbox/faults", json={}).raise_for_status()
        limits = {"rate_limit_per_second": None, "session_timeout_seconds": 3600}
        http.put("/_sandbox/limits", json=limits).raise_for_status()
    assert answer.status_code < 500, f"{method} {path} -> {answer.status_code} {answer.text}"
    if answer.content:
        body = json.loads(answer.content, parse_constant=_not_json)
        if answer.status_code >= 400:
            assert isinstance(body["Error"], str) and isinstance(body["Message"], str)


def _not_json(name: str) -> Any:
    raise AssertionError(f"{name} is not JSON")
