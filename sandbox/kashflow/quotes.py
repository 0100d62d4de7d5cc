"""Quotes beyond their own create, read, update and delete: quote categories
(`/quotecategories`, a flag, marker, tick or cross with a name), the category a quote is
filed under (its `Category`), the quote settings (`/settings/quote`) and the conversion
of quotes into invoices (`POST /internal/invoices?convertfrom=quote`).
"""

from __future__ import annotations

from typing import Any

from sandbox.kashflow import documents as docs
from sandbox.kashflow.store import Store
from sandbox.kashflow.wire import Body, Invalid

ICONS: dict[int, tuple[str, str]] = {
    1: ("flag", "red"), 2: ("flag", "purple"), 3: ("flag", "green"), 4: ("flag", "yellow"),
    5: ("flag", "blue"), 6: ("marker", "red"), 7: ("marker", "purple"), 8: ("marker", "green"),
    9: ("marker", "yellow"), 10: ("marker", "blue"), 11: ("tick", "grey"), 12: ("cross", "grey"),
}  # fmt: skip
"""IconId -> (IconType, IconColor), KashFlow's own list."""

SETTINGS: dict[str, Any] = {
    "PrevNextOptionEnabled": True,
    "PrevNextType": "0",
    "QuoteAdditionalText": "",
    "QuoteConvertedCategory": "0",
    "QuoteCopyReference": "0",
    "QuoteDelete": True,
    "QuoteDueDate": "30 Days",
    "QuoteDueDateCaption": "Valid For",
    "QuoteHeading": "Quotation",
    "QuoteName": "Quotes",
    "QuoteReference": "Reference",
    "QuoteShowTotalInList": True,
    "QuoteShowTotalInPdf": True,
}
"""`GET /settings/quote`, as KashFlow's example answers it: a converted quote is deleted
unless the conversion asks to retain it, and files under no category."""

CATEGORIES = "quotecategories"


def categories(store: Store) -> list[dict[str, Any]]:
    return sorted(store.records(CATEGORIES), key=lambda c: int(c["Number"]))


def put_category(store: Store, body: Body, existing: dict[str, Any] | None) -> dict[str, Any]:
    """Creates or changes a category: `IconId` and `Name` are required, and no two
    categories share both."""
    if existing is not None:
        body = Body({**{k.lower(): v for k, v in existing.items()}, **body.raw})
    name = docs.read_text(body, "Name", 100, required=True)
    icon = docs.read_int(body, "IconId", required=True)
    if icon not in ICONS:
        raise Invalid("IconId", f"{icon} is not an icon; IconId is 1 to {len(ICONS)}")
    number = int(existing["Number"]) if existing else store.next_id(CATEGORIES)
    for other in categories(store):
        if other["Name"] == name and other["IconId"] == icon and int(other["Number"]) != number:
            raise Invalid(
                "Name", f"a quote category named {name!r} with icon {icon} exists", "DuplicateName"
            )
    icon_type, icon_color = ICONS[icon]
    record = {
        "Number": number, "IconId": icon, "Name": name, "IconType": icon_type,
        "IconColor": icon_color,
    }  # fmt: skip
    store.put(CATEGORIES, str(number), record, record)
    return record


def delete_category(store: Store, number: int) -> None:
    """Refused (400 `InUse`) while a quote is filed under it, as a nominal in use is."""
    if any((q.get("Category") or {}).get("Number") == number for q in store.records("quotes")):
        raise Invalid("Number", f"quote category {number} has quotes filed under it", "InUse")
    store.delete(CATEGORIES, str(number))


def category_of(store: Store, body: Body) -> dict[str, Any] | None:
    """The category a quote body files it under (`Category.Number`; none or 0: none)."""
    given = body.child("Category")
    if given is None:
        return None
    number = docs.read_int(given, "Number")
    if not number:
        return None
    category = store.get(CATEGORIES, str(number))
    if category is None:
        raise Invalid(given.where("Number"), f"no quote category has number {number}")
    return category


def invoice_body(quote: dict[str, Any], today: Any) -> Body:
    """The invoice a quote converts into: its customer, currency and lines, issued today;
    its reference only when the settings copy it."""
    copied = ("Description", "Quantity", "Rate", "NominalCode", "ProductCode", "ProductName",
              "VATAmount", "VATLevel", "VATExempt", "ProjectNumber")  # fmt: skip
    lines = [{k: line.get(k) for k in copied} for line in quote.get("LineItems") or []]
    body: dict[str, Any] = {
        "CustomerCode": quote["CustomerCode"],
        "IssuedDate": today,
        "Currency": quote.get("Currency"),
        "LineItems": lines,
        "ProjectNumber": quote.get("ProjectNumber"),
    }
    if SETTINGS["QuoteCopyReference"] == "1":
        body["CustomerReference"] = quote.get("CustomerReference")
    return Body(body)
