"""Quotes in the KashFlow sandbox as KashFlow documents them: quote categories (icon and
name, unique together), a quote filed under one, the quote settings, and the conversion
of quotes into invoices (all or none; the quotes deleted unless retained)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx

Login = Callable[[httpx.Client], dict[str, str]]


def _quote(http: httpx.Client, number: int, **fields: Any) -> dict[str, Any]:
    invoice = http.get("/invoices", params={"perpage": 1}).json()["Data"][0]
    full = http.get(f"/invoices/{invoice['Number']}").json()
    line = full["LineItems"][0]
    body = {
        "Number": number, "CustomerCode": full["CustomerCode"], "IssuedDate": "2026-11-02 12:00:00",
        "CustomerReference": f"Q-{number}",
        "LineItems": [{"Description": "Two chairs", "Quantity": 2, "Rate": 40,
                       "NominalCode": line["NominalCode"], "VATLevel": 20}],
        **fields,
    }  # fmt: skip
    answer = http.post("/quotes", json=body)
    assert answer.status_code == 201, answer.text
    return dict(answer.json())


def test_quote_categories_take_a_known_icon_and_a_name_unique_with_it(http: httpx.Client) -> None:
    made = http.post("/quotecategories", json={"IconId": 8, "Name": "Shipped"})
    assert made.status_code == 201
    category = made.json()
    assert (category["IconType"], category["IconColor"], category["Name"]) == (
        "marker", "green", "Shipped",
    )  # fmt: skip
    assert category in http.get("/quotecategories").json(), "a bare list"
    again = http.post("/quotecategories", json={"IconId": 8, "Name": "Shipped"})
    assert (again.status_code, again.json()["Error"]) == (400, "DuplicateName")
    assert http.post("/quotecategories", json={"IconId": 3, "Name": "Shipped"}).status_code == 201
    bad = http.post("/quotecategories", json={"IconId": 13, "Name": "Odd"})
    assert (bad.status_code, bad.json()["Field"]) == (400, "IconId")
    assert http.post("/quotecategories", json={"IconId": 1}).json()["Field"] == "Name"


def test_a_quote_is_filed_under_a_category_and_keeps_its_other_fields(
    http: httpx.Client,
) -> None:
    quote = _quote(http, 7001)
    assert quote["Category"] is None
    category = http.post("/quotecategories", json={"IconId": 12, "Name": "Cancelled"}).json()
    filed = http.put("/quotes/7001", json={"Category": {"Number": category["Number"]}})
    assert filed.status_code == 200, filed.text
    held = http.get("/quotes/7001").json()
    assert held["Category"] == category
    assert (held["CustomerReference"], held["GrossAmount"]) == ("Q-7001", 96.0)
    unknown = http.put("/quotes/7001", json={"Category": {"Number": 999}})
    assert (unknown.status_code, unknown.json()["Field"]) == (400, "Category.Number")
    in_use = http.delete(f"/quotecategories/{category['Number']}")
    assert (in_use.status_code, in_use.json()["Error"]) == (400, "InUse")


def test_quotes_convert_into_invoices_all_or_none(http: httpx.Client) -> None:
    assert http.get("/settings/quote").json()["QuoteDelete"] is True
    for number in (7101, 7102, 7103):
        _quote(http, number)
    refused = http.post("/internal/invoices?convertfrom=quote", json=[7101, 7999])
    assert (refused.status_code, refused.json()["Error"]) == (400, "InvalidQuotes")
    assert "7999" in refused.json()["Message"]
    assert http.get("/quotes/7101").status_code == 200, "nothing converted"

    converted = http.post("/internal/invoices?convertfrom=quote", json=[7101, 7102])
    assert converted.status_code == 201
    pairs = {row["QuoteNumber"]: row["InvoiceNumber"] for row in converted.json()}
    assert set(pairs) == {7101, 7102} and len(set(pairs.values())) == 2
    invoice = http.get(f"/invoices/{pairs[7101]}").json()
    quote_lines = [("Two chairs", 2.0, 40.0, 16.0)]
    assert [
        (line["Description"], line["Quantity"], line["Rate"], line["VATAmount"])
        for line in invoice["LineItems"]
    ] == quote_lines
    assert (invoice["GrossAmount"], invoice["Status"]) == (96.0, "Unpaid")
    assert http.get("/quotes/7101").status_code == 404, "deleted, as the settings say"

    kept = http.post(
        "/internal/invoices", params={"convertfrom": "quote", "retainafterconversion": "true"},
        json=[7103],
    )  # fmt: skip
    assert kept.status_code == 201
    assert http.get("/quotes/7103").status_code == 200, "retained when asked"
    assert http.post("/internal/invoices?convertfrom=order", json=[7103]).status_code == 400
