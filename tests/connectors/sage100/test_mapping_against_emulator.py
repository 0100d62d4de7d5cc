"""The connector's mapping, tested against the Sage 100 emulator rather than with it.

The sandbox seeds its company from its own knowledge of Sage's tables
(`sandbox.sage100.rows` and `numbering`); the connector reads it back over real ODBC
(pyodbc, unixODBC, the SQLite ODBC driver) through its own mapping. Every field the
generator gave a record comes back as it was, under the keys Sage gives it. The two sides
share no code, so a mapping mistake (reading AddressLine2 as the first address line, the
terms of the wrong table) cannot be made twice and cancel out: it fails here.

Known losses, by design of Sage and documented in `connectors.sage100.mapping`: AP_Vendor
keeps no tax number; a receipt's method reads back as Sage's PaymentType code.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import date
from decimal import Decimal
from typing import Any, TypeVar

import pytest

import canonical
from connectors.sage100 import Sage100Reader
from sandbox.datagen import Company, CompanyView, generate_company
from sandbox.sage100 import numbering, rows
from sandbox.sage100.seed import seed_company

PARTY_FIELDS = (
    "name",
    "address_lines",
    "city",
    "region",
    "postcode",
    "country",
    "phone",
    "email",
    "currency",
    "payment_terms_days",
    "active",
)
DOCUMENT_FIELDS = (
    "issue_date",
    "due_date",
    "currency",
    "reference",
    "net_amount",
    "tax_amount",
    "gross_amount",
    "amount_paid",
)
LINE_FIELDS = ("line_no", "description", "quantity", "unit_price", "net_amount", "tax_rate")


MORE_ADDRESS_LINES: tuple[tuple[str, ...], ...] = ((), ("Unit 4",), ("Unit 9", "Riverside Park"))


Party = TypeVar("Party", canonical.Customer, canonical.Supplier)


def more_lines(party: Party, number: int) -> Party:
    lines = (*MORE_ADDRESS_LINES[number % 3], *party.address_lines)
    return party.model_copy(update={"address_lines": lines})


@pytest.fixture(scope="module")
def company() -> Company:
    """The small company, where the generator's one address line becomes two for a third
    of the parties and three for another third, so each of Sage's lines carries one."""
    business = generate_company("small", 42)
    business.customers = [more_lines(c, n) for n, c in enumerate(business.customers)]
    business.suppliers = [more_lines(s, n) for n, s in enumerate(business.suppliers)]
    return business


@pytest.fixture(scope="module")
def generated(company: Company) -> CompanyView:
    """What the generator says the Sage 100 company holds."""
    return company.view("sage100")


@pytest.fixture(scope="module")
def read(
    company: Company, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, dict[str, Any]]]:
    """Every entity the connector reads from the seeded company, by canonical key."""
    path = tmp_path_factory.mktemp("sage100-against") / "company.db"
    seed_company(path, company)
    with Sage100Reader(f"DRIVER=SQLite3;Database={path}") as reader:
        yield {
            entity: {record.key: record for record in reader.read_all(entity)}
            for entity in (
                "customer",
                "supplier",
                "product",
                "stock_level",
                "gl_account",
                "sales_invoice",
                "purchase_invoice",
                "payment",
                "order_status",
            )
        }


def differences(
    expected: canonical.CanonicalRecord,
    got: canonical.CanonicalRecord,
    fields: Iterable[str],
    **sage: Any,
) -> list[str]:
    """One line per field that did not come back: the record, the field, both values.
    `sage` gives fields whose expected value is the generator's as Sage holds it."""
    found = []
    for name in fields:
        want = sage[name] if name in sage else getattr(expected, name)
        have = getattr(got, name)
        if have != want:
            found.append(f"{got.entity} {got.key} {name}: read {have!r}, seeded {want!r}")
    return found


def party_key(key: str) -> str:
    return f"{numbering.DIVISION}-{key}"


def by_document_no(
    records: Iterable[canonical.CanonicalRecord], table: str, column: str
) -> dict[str, Any]:
    """Documents by the number Sage files them under (digits zero-filled)."""
    return {numbering.document_no(record.key, table, column): record for record in records}


def as_read(text: str | None) -> str | None:
    """Text as the connector reads it: trimmed, and empty as None (Sage keeps no NULLs)."""
    return (text or "").strip() or None


def account(main_code: str | None) -> str | None:
    return numbering.account(main_code) if main_code else None


def assert_all_read(read: dict[str, Any], expected_keys: Iterable[str]) -> None:
    expected = set(expected_keys)
    assert set(read) == expected, (
        f"read but not seeded: {sorted(set(read) - expected)[:5]},"
        f" seeded but not read: {sorted(expected - set(read))[:5]}"
    )


@pytest.mark.parametrize(
    ("entity", "fields", "as_sage"),
    [
        ("customer", ("tax_number", "credit_limit"), {}),
        ("supplier", ("tax_number",), {"tax_number": None}),  # AP_Vendor keeps no tax number
    ],
    ids=["customers", "vendors"],
)
def test_parties_come_back_field_by_field(
    generated: CompanyView,
    read: dict[str, dict[str, Any]],
    entity: str,
    fields: tuple[str, ...],
    as_sage: dict[str, Any],
) -> None:
    parties = {party_key(p.key): p for p in generated.of(entity)}
    assert_all_read(read[entity], parties)
    found = []
    for key, party in parties.items():
        found += differences(party, read[entity][key], (*PARTY_FIELDS, *fields), **as_sage)
    assert not found, "\n".join(found[:10])
    assert any(len(p.address_lines) == 3 for p in read[entity].values())


def test_items_stock_and_accounts_come_back_field_by_field(
    generated: CompanyView, read: dict[str, dict[str, Any]]
) -> None:
    found = []
    products = {p.key: p for p in generated.of("product")}
    assert_all_read(read["product"], products)
    for key, product in products.items():
        assert isinstance(product, canonical.Product)
        fields = ("name", "description", "unit_price", "unit_cost", "tax_rate", "track_stock")
        found += differences(product, read["product"][key], fields)
        found += differences(
            product,
            read["product"][key],
            ["active", "sales_account"],
            sales_account=account(product.sales_account),
        )
    levels = {level.key: level for level in generated.of("stock_level")}
    assert_all_read(read["stock_level"], levels)
    for key, level in levels.items():
        quantities = ("quantity_on_hand", "quantity_on_order", "quantity_committed")
        found += differences(level, read["stock_level"][key], ("product_key", *quantities))
    accounts = {numbering.account(a.key): a for a in generated.of("gl_account")}
    assert_all_read(read["gl_account"], accounts)
    for key, gl_account in accounts.items():
        found += differences(gl_account, read["gl_account"][key], ("name", "account_type"))
    assert not found, "\n".join(found[:10])


def line_differences(
    document: canonical.SalesInvoice | canonical.PurchaseInvoice,
    got: canonical.SalesInvoice | canonical.PurchaseInvoice,
    product_keys: set[str],
) -> list[str]:
    """Each line field by field, in line order; a line for a product Sage does not hold
    reads back as a miscellaneous charge, with no product."""
    if len(got.lines) != len(document.lines):
        return [f"{got.entity} {got.key}: {len(got.lines)} lines, seeded {len(document.lines)}"]
    found = []
    ordered = sorted(document.lines, key=lambda line: line.line_no)
    for want, have in zip(ordered, got.lines, strict=True):
        product = want.product_key if want.product_key in product_keys else None
        expected: dict[str, Any] = {
            "product_key": product,
            "tax_amount": want.tax_amount,
            "gl_account": account(want.gl_account),
        }
        for name in (*LINE_FIELDS, *expected):
            value = expected[name] if name in expected else getattr(want, name)
            if getattr(have, name) != value:
                found.append(
                    f"{got.entity} {got.key} line {want.line_no} {name}:"
                    f" read {getattr(have, name)!r}, seeded {value!r}"
                )
    return found


def document_differences(
    document: canonical.SalesInvoice | canonical.PurchaseInvoice,
    got: canonical.SalesInvoice | canonical.PurchaseInvoice,
    party: str,
    product_keys: set[str],
) -> list[str]:
    """The header field by field (the party under its Sage key), then every line."""
    expected = {
        party: party_key(getattr(document, party)),
        "reference": as_read(document.reference),
    }
    header = differences(document, got, (*DOCUMENT_FIELDS, party), **expected)
    return header + line_differences(document, got, product_keys)


def test_sales_invoices_come_back_with_their_lines(
    generated: CompanyView, read: dict[str, dict[str, Any]]
) -> None:
    products = {p.key for p in generated.of("product")}
    invoices = by_document_no(generated.of("sales_invoice"), "AR_InvoiceHistoryHeader", "InvoiceNo")
    assert_all_read(read["sales_invoice"], invoices)
    found = []
    for key, invoice in invoices.items():
        assert isinstance(invoice, canonical.SalesInvoice)
        found += document_differences(invoice, read["sales_invoice"][key], "customer_key", products)
    assert not found, "\n".join(found[:10])


def test_purchase_invoices_come_back_with_their_lines(
    generated: CompanyView, read: dict[str, dict[str, Any]]
) -> None:
    invoices = {
        f"{party_key(i.supplier_key)}|{i.key}": i
        for i in generated.of("purchase_invoice")
        if isinstance(i, canonical.PurchaseInvoice)
    }
    assert_all_read(read["purchase_invoice"], invoices)
    found = []
    for key, invoice in invoices.items():
        found += document_differences(invoice, read["purchase_invoice"][key], "supplier_key", set())
    assert not found, "\n".join(found[:10])


def test_receipts_come_back_applied_to_their_invoices(
    generated: CompanyView, read: dict[str, dict[str, Any]]
) -> None:
    receipts = {
        p.key: p
        for p in generated.of("payment")
        if isinstance(p, canonical.Payment) and p.kind == "receipt"
    }
    by_check = {payment.reference: payment for payment in read["payment"].values()}
    assert set(by_check) == set(receipts)
    found = []
    for check_no, receipt in receipts.items():
        got = by_check[check_no]
        allocations = tuple(
            canonical.Allocation(
                invoice_key=numbering.document_no(a.invoice_key, "AR_OpenInvoice", "InvoiceNo"),
                amount=a.amount,
            )
            for a in receipt.allocations
        )
        found += differences(
            receipt,
            got,
            ("payment_date", "amount", "counterparty_key", "method", "allocations"),
            counterparty_key=party_key(receipt.counterparty_key or ""),
            method=rows.payment_type(receipt.method) or None,
            allocations=allocations,
        )
    assert not found, "\n".join(found[:10])


def test_sales_orders_come_back_with_their_status(
    generated: CompanyView, read: dict[str, dict[str, Any]]
) -> None:
    orders = by_document_no(generated.of("order_status"), "SO_SalesOrderHeader", "SalesOrderNo")
    assert_all_read(read["order_status"], orders)
    found = []
    for key, order in orders.items():
        assert isinstance(order, canonical.OrderStatus)
        fields = ("order_date", "status", "ship_date", "reference", "customer_key")
        customer = party_key(order.customer_key)
        found += differences(order, read["order_status"][key], fields, customer_key=customer)
    assert not found, "\n".join(found[:10])


def test_a_line_is_read_with_the_fields_it_was_seeded_with() -> None:
    """The comparison itself can fail: a line that differs in one field is reported."""
    ten = Decimal(10)
    line = canonical.DocumentLine(
        line_no=1, description="Oak Table", net_amount=ten, gl_account="4000"
    )
    seeded = canonical.SalesInvoice(
        system="sage100",
        key="10001",
        customer_key="ACME0001",
        issue_date=date(2026, 1, 5),
        net_amount=ten,
        gross_amount=ten,
        lines=(line,),
    )
    read_back = seeded.model_copy(
        update={"lines": (line.model_copy(update={"gl_account": "4010-00-00"}),)}
    )
    assert line_differences(seeded, read_back, set()) == [
        "sales_invoice 10001 line 1 gl_account: read '4010-00-00', seeded '4000-00-00'"
    ]
