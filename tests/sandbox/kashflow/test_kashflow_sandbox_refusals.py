"""Every kind of bad request the KashFlow sandbox refuses, over real HTTP, with the exact
status, `Error` and `Message` it answers: out-of-range numbers, wrong JSON types, bodies
too large or too deep, payments that pay nothing, absurd line counts and bad admin bodies.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from sandbox.kashflow import SandboxServer

Login = Callable[[httpx.Client], dict[str, str]]

CUSTOMER = "ACME0019"
INVOICE = 10001


def invoice(line: dict[str, Any] | None = None, **fields: Any) -> dict[str, Any]:
    """A valid invoice body for the seeded company, with `line` merged into its one line."""
    one_line = {"Quantity": 2, "Rate": 10.5, "VATLevel": 20, "Description": "Widgets"}
    return {
        "CustomerCode": CUSTOMER,
        "IssuedDate": "2026-01-05",
        "LineItems": [one_line | (line or {})],
    } | fields


def payment(**fields: Any) -> dict[str, Any]:
    return {"Amount": 5, "Date": "2026-01-10", "Method": 1, "AccountId": 1} | fields


def nominal(**fields: Any) -> dict[str, Any]:
    return {"Code": 96001, "Name": "Gadget", "IsProduct": True, "ProductCode": "GAD1"} | fields


def bulk(items: list[dict[str, Any]]) -> dict[str, Any]:
    return {"Date": "2026-01-10", "AccountId": 1, "Method": 1, "PaymentItems": items}


@dataclass(frozen=True)
class Bad:
    """One bad request and KashFlow's answer to it."""

    method: str
    path: str
    message: str
    error: str = "ValidationError"
    status: int = 400
    body: dict[str, Any] | None = None
    raw: bytes | None = None
    params: dict[str, str] = field(default_factory=dict)


def admin(path: str, message: str, body: dict[str, Any]) -> Bad:
    """A refused PUT to the sandbox's own admin path (`faults` or `limits`)."""
    return Bad("PUT", f"/_sandbox/{path}", message, body=body)


MONEY = "between -1000000000000 and 1000000000000"
WHOLE = "between -2147483647 and 2147483647"
NOT_AN_OBJECT = "The request body must be a JSON object."
TOO_DEEP = "The request body nests objects and arrays deeper than 20 levels."

CASES = {
    # -- paging -----------------------------------------------------------------------
    "page beyond 32 bits": Bad(
        "GET", "/v2/invoices", "page: must be between 1 and 2147483647",
        params={"page": "99999999999999999999"},
    ),
    "page zero": Bad(
        "GET", "/v2/invoices", "page: must be between 1 and 2147483647", params={"page": "0"}
    ),
    "perpage not a number": Bad(
        "GET", "/v2/customers", "perpage: 'abc' is not a whole number", params={"perpage": "abc"}
    ),
    "perpage fractional": Bad(
        "GET", "/v2/customers", "perpage: '1.5' is not a whole number", params={"perpage": "1.5"}
    ),
    # -- invoice numbers and lines ----------------------------------------------------------
    "quantity 1e400": Bad(
        "POST", "/v2/invoices", "LineItems[0].Quantity: must be between -1000000000 and 1000000000",
        raw=b'{"CustomerCode": "ACME0019", "IssuedDate": "2026-01-05",'
        b' "LineItems": [{"Quantity": 1e400, "Rate": 1}]}',
    ),
    "rate 1e30": Bad(
        "POST", "/v2/invoices", f"LineItems[0].Rate: must be {MONEY}",
        raw=b'{"CustomerCode": "ACME0019", "IssuedDate": "2026-01-05",'
        b' "LineItems": [{"Quantity": 1, "Rate": 1e30}]}',
    ),
    "quantity times rate too large": Bad(
        "POST", "/v2/invoices", f"LineItems[0].Rate: Quantity x Rate must be {MONEY}",
        body=invoice({"Quantity": 1_000_000, "Rate": 100_000_000}),
    ),
    "lines adding up past the limit": Bad(
        "POST", "/v2/invoices", "NetAmount: the line items add up to more than 1000000000000",
        body=invoice() | {"LineItems": [{"Quantity": 1, "Rate": 900_000_000_000}] * 2},
    ),
    "1,001 lines": Bad(
        "POST", "/v2/invoices", "LineItems: holds 1001 items; at most 1000 are allowed",
        body=invoice() | {"LineItems": [{"Quantity": 1, "Rate": 1}] * 1001},
    ),
    "rate with five decimals": Bad(
        "POST", "/v2/invoices", "LineItems[0].Rate: has more than 4 decimal places",
        body=invoice({"Rate": 1.00001}),
    ),
    "VAT level over 100": Bad(
        "POST", "/v2/invoices", "LineItems[0].VATLevel: must be between 0 and 100",
        body=invoice({"VATLevel": 101}),
    ),
    "quantity as text": Bad(
        "POST", "/v2/invoices", "LineItems[0].Quantity: 'two' is not a number",
        body=invoice({"Quantity": "two"}),
    ),
    "quantity as an array": Bad(
        "POST", "/v2/invoices", "LineItems[0].Quantity: must be a number",
        body=invoice({"Quantity": [1]}),
    ),
    "line items as text": Bad(
        "POST", "/v2/invoices", "LineItems: must be an array", body=invoice() | {"LineItems": "x"}
    ),
    "a line that is not an object": Bad(
        "POST", "/v2/invoices", "LineItems[0]: must be an object",
        body=invoice() | {"LineItems": [7]},
    ),
    "nominal code beyond 32 bits": Bad(
        "POST", "/v2/invoices", f"LineItems[0].NominalCode: must be {WHOLE}",
        body=invoice({"NominalCode": 10**12}),
    ),
    "number beyond 32 bits": Bad(
        "POST", "/v2/invoices", "Number: must be between 1 and 2147483647",
        body=invoice(Number=2**31),
    ),
    "number zero": Bad(
        "POST", "/v2/invoices", "Number: must be between 1 and 2147483647", body=invoice(Number=0)
    ),
    "issued in the year 9999": Bad(
        "POST", "/v2/invoices", "IssuedDate: must be between 1900-01-01 and 2999-12-31",
        body=invoice(IssuedDate="9999-12-31"),
    ),
    "issued date as a number": Bad(
        "POST", "/v2/invoices", "IssuedDate: 20260105 is not a date",
        body=invoice(IssuedDate=20260105),
    ),
    "exchange rate zero": Bad(
        "POST", "/v2/invoices", "Currency.ExchangeRate: must be between 0.0001 and 1000000",
        body=invoice(Currency={"Code": "EUR", "ExchangeRate": 0}),
    ),
    "customer code as an object": Bad(
        "POST", "/v2/invoices", "CustomerCode: must be text", body=invoice(CustomerCode={"a": 1})
    ),
    # -- bodies -----------------------------------------------------------------------------
    "JSON nested 100,000 deep": Bad(
        "POST", "/v2/customers", TOO_DEEP, "InvalidRequest", raw=b"[" * 100_000 + b"]" * 100_000
    ),
    "JSON nested 21 deep": Bad(
        "POST", "/v2/customers", TOO_DEEP, "InvalidRequest",
        raw=b'{"Name": "x", "Note": ' + b"[" * 20 + b"]" * 20 + b"}",
    ),
    "body over 1 MiB": Bad(
        "POST", "/v2/customers", "The request body is larger than 1048576 bytes.", "InvalidRequest",
        raw=b'{"Name": "' + b"x" * 1_048_576 + b'"}',
    ),
    "body not JSON": Bad(
        "POST", "/v2/customers", "The request body is not valid JSON.", "InvalidRequest", raw=b"{"
    ),
    "NaN is not JSON": Bad(
        "POST", "/v2/invoices/10001/payments", "The request body is not valid JSON.",
        "InvalidRequest", raw=b'{"Amount": NaN, "Date": "2026-01-10"}',
    ),
    "body an array": Bad("POST", "/v2/customers", NOT_AN_OBJECT, "InvalidRequest", raw=b"[1]"),
    # -- login ------------------------------------------------------------------------------
    "numeric password": Bad(
        "POST", "/v2/sessiontoken", "Password: must be a JSON string",
        body={"UserName": "sandbox", "Password": 123456},
    ),
    "user name as an object": Bad(
        "POST", "/v2/sessiontoken", "UserName: must be a JSON string",
        body={"UserName": {"name": "sandbox"}, "Password": "sandbox"},
    ),
    "non-ASCII password": Bad(
        "POST", "/v2/sessiontoken", "The username or password is incorrect.",
        "InvalidCredentials", 401, body={"UserName": "sandbox", "Password": "pässwörd"},
    ),
    "memorable word list as text": Bad(
        "PUT", "/v2/sessiontoken", "MemorableWordList: must be an array",
        body={"TemporaryToken": "t", "MemorableWordList": "abc"},
    ),
    "memorable word position 0": Bad(
        "PUT", "/v2/sessiontoken", "MemorableWordList[0].Position: must be between 1 and 100",
        body={"TemporaryToken": "t", "MemorableWordList": [{"Position": 0, "Value": "l"}]},
    ),
    # -- customers --------------------------------------------------------------------------
    "name as an object": Bad("POST", "/v2/customers", "Name: must be text", body={"Name": {}}),
    "payment terms as an array": Bad(
        "POST", "/v2/customers", "PaymentTerms: must be an object",
        body={"Name": "Acme", "PaymentTerms": [30]},
    ),
    "payment terms of 4,000 days": Bad(
        "POST", "/v2/customers", "PaymentTerms.Days: must be between 0 and 3650",
        body={"Name": "Acme", "PaymentTerms": {"Days": 4000}},
    ),
    "an address that is text": Bad(
        "POST", "/v2/customers", "Addresses[0]: must be an object",
        body={"Name": "Acme", "Addresses": ["1 High St"]},
    ),
    "a contact's number": Bad(
        "POST", "/v2/customers", "Contacts[0].Phone: must be text, true/false or null",
        body={"Name": "Acme", "Contacts": [{"Phone": 1e300}]},
    ),
    "discount over 100%": Bad(
        "POST", "/v2/customers", "DiscountRate: must be between 0 and 100",
        body={"Name": "Acme", "DiscountRate": 150},
    ),
    "negative credit limit": Bad(
        "POST", "/v2/customers", "CreditLimit: must be between 0 and 1000000000000",
        body={"Name": "Acme", "CreditLimit": -1},
    ),
    "archived maybe": Bad(
        "POST", "/v2/customers", "IsArchived: 'maybe' is not true or false",
        body={"Name": "Acme", "IsArchived": "maybe"},
    ),
    # -- payments ---------------------------------------------------------------------------
    "negative payment": Bad(
        "POST", f"/v2/invoices/{INVOICE}/payments", "Amount: must be greater than zero",
        body=payment(Amount=-5),
    ),
    "zero payment": Bad(
        "POST", f"/v2/invoices/{INVOICE}/payments", "Amount: must be greater than zero",
        body=payment(Amount=0),
    ),
    "payment of 1e30": Bad(
        "POST", f"/v2/invoices/{INVOICE}/payments", f"Amount: must be {MONEY}",
        body=payment(Amount=1e30),
    ),
    "payment account beyond 32 bits": Bad(
        "POST", f"/v2/invoices/{INVOICE}/payments", f"AccountId: must be {WHOLE}",
        body=payment(AccountId=2**40),
    ),
    "negative bulk payment item": Bad(
        "POST", "/v2/invoices/bulk/payments", "PaymentItems[0].Amount: must be greater than zero",
        body=bulk([{"ObjectNumber": INVOICE, "Amount": -1}]),
    ),
    "1,001 bulk payment items": Bad(
        "POST", "/v2/invoices/bulk/payments",
        "PaymentItems: holds 1001 items; at most 1000 are allowed",
        body=bulk([{"ObjectNumber": INVOICE, "Amount": 1}] * 1001),
    ),
    # -- nominals ---------------------------------------------------------------------------
    "nominal code beyond 32 bits ": Bad(
        "POST", "/v2/nominals", "Code: must be between 0 and 2147483647",
        body=nominal(Code=99_999_999_999),
    ),
    "negative VAT rate": Bad(
        "POST", "/v2/nominals", "VATRate: must be between 0 and 100", body=nominal(VATRate=-1)
    ),
    "stock of 1e10": Bad(
        "POST", "/v2/nominals", "QuantityInStock: must be between -1000000000 and 1000000000",
        body=nominal(QuantityInStock=1e10),
    ),
    # -- the admin path -----------------------------------------------------------------------
    "fault statuses as text": admin(
        "faults", "statuses: Input should be a valid list", {"statuses": "503"}
    ),
    "fault status 200": admin(
        "faults", "statuses.0: Input should be greater than or equal to 400", {"statuses": [200]}
    ),
    "negative fault count": admin(
        "faults", "drop_count: Input should be greater than or equal to 0", {"drop_count": -1}
    ),
    "slow for an hour": admin(
        "faults", "slow_seconds: Input should be less than or equal to 60", {"slow_seconds": 3600}
    ),
    "retry-after with a line break": admin(
        "faults", "retry_after: String should match pattern '^[\\x20-\\x7e]*$'",
        {"retry_after": "1\r\nX-Injected: yes"},
    ),
    "unknown fault": admin("faults", "colour: Extra inputs are not permitted", {"colour": 1}),
    "faults as an array": Bad(
        "PUT", "/_sandbox/faults", NOT_AN_OBJECT, "InvalidRequest", raw=b"[]"
    ),
    "rate limit abc": admin(
        "limits",
        "rate_limit_per_second: Input should be a valid number, unable to parse string as a number",
        {"rate_limit_per_second": "abc"},
    ),
    "negative rate limit": admin(
        "limits", "rate_limit_per_second: Input should be greater than or equal to 0",
        {"rate_limit_per_second": -1},
    ),
    "rate limit too slow to serve": admin(
        "limits", "rate_limit_per_second: Value error, must be 0 (no limit) or at least 0.01",
        {"rate_limit_per_second": 0.001},
    ),
    "session timeout of zero": admin(
        "limits", "session_timeout_seconds: Input should be greater than 0",
        {"session_timeout_seconds": 0},
    ),
    "retry-after in minutes": admin(
        "limits", "retry_after_format: Input should be 'seconds' or 'http-date'",
        {"retry_after_format": "minutes"},
    ),
    "limits as an array": Bad(
        "PUT", "/_sandbox/limits", NOT_AN_OBJECT, "InvalidRequest", raw=b"[1]"
    ),
}  # fmt: skip


@pytest.fixture(scope="module")
def auth(server: SandboxServer, kashflow_login: Login) -> dict[str, str]:
    with httpx.Client(base_url=server.base_url, timeout=10) as http:
        return kashflow_login(http)


@pytest.mark.parametrize("bad", CASES.values(), ids=CASES.keys())
def test_a_bad_request_is_answered_with_kashflows_error_body(
    server: SandboxServer, auth: dict[str, str], bad: Bad
) -> None:
    with httpx.Client(base_url=server.root_url, timeout=30, headers=auth) as http:
        if bad.raw is not None:
            answer = http.request(
                bad.method, bad.path, params=bad.params, content=bad.raw,
                headers={"Content-Type": "application/json"},
            )  # fmt: skip
        else:
            answer = http.request(bad.method, bad.path, params=bad.params, json=bad.body)
    assert (answer.status_code, answer.json()["Error"], answer.json()["Message"]) == (
        bad.status,
        bad.error,
        bad.message,
    )


def test_a_refused_request_changes_nothing(server: SandboxServer, auth: dict[str, str]) -> None:
    with httpx.Client(base_url=server.base_url, timeout=10, headers=auth) as http:
        before = http.get(f"/invoices/{INVOICE}").json()
        refused = http.post(f"/invoices/{INVOICE}/payments", json=payment(Amount=-5))
        assert refused.status_code == 400
        assert http.get(f"/invoices/{INVOICE}").json() == before
        count = http.get("/invoices").json()["MetaData"]["TotalRecords"]
        big = invoice() | {"LineItems": [{"Quantity": 1, "Rate": 1}] * 1001}
        assert http.post("/invoices", json=big).status_code == 400
        assert http.get("/invoices").json()["MetaData"]["TotalRecords"] == count


def test_the_limits_themselves_are_accepted(server: SandboxServer, auth: dict[str, str]) -> None:
    with httpx.Client(base_url=server.base_url, timeout=30, headers=auth) as http:
        lines = [{"Quantity": 1, "Rate": 1_000_000_000}] * 1000
        made = http.post("/invoices", json=invoice() | {"LineItems": lines})
        assert made.status_code == 201, made.text
        assert made.json()["GrossAmount"] == 1_000_000_000_000
        edge = invoice({"Quantity": 1_000_000_000, "Rate": 1000, "VATLevel": 0})
        assert http.post("/invoices", json=edge).status_code == 201
        paid = http.post(f"/invoices/{INVOICE}/payments", json=payment(Amount=0.0001))
        assert paid.status_code == 201
