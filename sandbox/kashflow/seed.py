"""Seeds the sandbox from the company generator's KashFlow view, so the KashFlow and
Sage 100 sandboxes describe one business; and writes many synthetic customers and
invoices straight into SQLite (no HTTP) for paging tests and benchmarks, and pays most
of the invoices in full; each keeps the customers' and suppliers' balances right.
"""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import canonical
from sandbox.datagen import generate_company
from sandbox.kashflow import balances
from sandbox.kashflow import documents as docs
from sandbox.kashflow.books import PAYMENT_METHODS, Books
from sandbox.kashflow.store import Store
from sandbox.kashflow.wire import loads

SEEDED = "seeded"
BANK_ACCOUNTS = (
    (1, "1200", "Bank Current Account", True),
    (2, "1210", "Bank Deposit Account", False),
)
METHOD_IDS = {name: number for number, name in PAYMENT_METHODS}


def seed_company(
    store: Store, size: str = "small", seed: int = 42, today: date | None = None
) -> bool:
    """Fills an empty store with the generated company; False when it was seeded before."""
    if store.meta(SEEDED):
        return False
    company = generate_company(size, seed)  # type: ignore[arg-type]
    view = company.view("kashflow")
    books = Books(store, lambda: today or date.today())
    created = datetime(2025, 1, 1, 9, 0, 0)
    store.put_many(
        "bankaccounts",
        [
            (
                str(i),
                bank := {
                    "Id": i,
                    "Code": int(code),
                    "AccountName": name,
                    "IsDefaultAccount": default,
                    "BankBalance": Decimal(0),
                    "Currency": docs.currency(None),
                },
                bank,
            )
            for i, code, name, default in BANK_ACCOUNTS
        ],
    )
    nominals = []
    first_id = store.reserve_ids("nominals", len(view.of("gl_account")) + len(view.of("product")))
    next_id = first_id
    for account in view.of("gl_account"):
        assert isinstance(account, canonical.GLAccount)
        nominals.append(_nominal_of_account(account, next_id))
        next_id += 1
    for index, product in enumerate(view.of("product")):
        assert isinstance(product, canonical.Product)
        nominals.append(_nominal_of_product(product, next_id, 90000 + index))
        next_id += 1
    store.put_many("nominals", [(str(n["Id"]), n, n) for n in nominals])
    _parties(store, "customers", view.of("customer"), created)
    _parties(store, "suppliers", view.of("supplier"), created)
    _documents(store, books, "invoices", view.of("sales_invoice"))
    _documents(store, books, "purchases", view.of("purchase_invoice"))
    _payments(store, books, view.of("payment"))
    balances.recount(store)
    store.set_meta(SEEDED, f"{size}:{seed}")
    return True


def _nominal_of_account(account: canonical.GLAccount, record_id: int) -> dict[str, Any]:
    return {
        "Id": record_id,
        "Code": int(account.key),
        "Name": account.name,
        "Type": account.account_type,
        "NomType": None,
        "IsProduct": False,
        "ProductCode": None,
        "Price": Decimal(0),
        "WholeSalePrice": None,
        "VATRate": Decimal(0),
        "VATExempt": False,
        "Description": None,
        "Archived": not account.active,
        "ManageStockLevel": False,
        "QuantityInStock": Decimal(0),
        "StockWarningQuantity": Decimal(0),
        "DefaultSaleNominal": None,
    }


def _nominal_of_product(product: canonical.Product, record_id: int, code: int) -> dict[str, Any]:
    return {
        **_nominal_of_account(
            canonical.GLAccount(system="kashflow", key=str(code), name=product.name), record_id
        ),
        "Type": "Sales",
        "IsProduct": True,
        "ProductCode": product.key,
        "Price": product.unit_price,
        "WholeSalePrice": product.unit_cost,
        "VATRate": product.tax_rate,
        "Description": product.description,
        "Archived": not product.active,
        "ManageStockLevel": product.track_stock,
        "DefaultSaleNominal": int(product.sales_account) if product.sales_account else None,
    }


def _address(party: canonical.Customer | canonical.Supplier) -> dict[str, Any]:
    lines = [*list(party.address_lines), None, None]
    return {
        "Name": None,
        "Line1": lines[0],
        "Line2": lines[1],
        "Line3": party.city,
        "Line4": party.region,
        "PostCode": party.postcode,
        "CountryName": None,
        "CountryCode": party.country,
    }


def _parties(store: Store, resource: str, parties: list[Any], created: datetime) -> None:
    first = store.reserve_ids(resource, len(parties))
    rows = []
    for offset, party in enumerate(parties):
        record: dict[str, Any] = {
            "Id": first + offset,
            "Code": party.key,
            "Name": party.name,
            "Email": party.email,
            "TelephoneNumber": party.phone,
            "VatNumber": party.tax_number,
            "Currency": docs.currency(None, party.currency),
            "PaymentTerms": {"Days": party.payment_terms_days, "Type": "Days"},
            "IsArchived": not party.active,
            "CreatedDate": created,
            "LastUpdatedDate": created,
            "OutstandingBalance": Decimal(0),
            "TotalPaidAmount": Decimal(0),
            "DefaultNominalCode": None,
            "Note": None,
            "Contacts": [],
        }
        if resource == "customers":
            record.update(
                {
                    "DisplayName": party.name,
                    "MobileNumber": None,
                    "Website": None,
                    "DiscountRate": Decimal(0),
                    "CreditLimit": party.credit_limit,
                    "Addresses": [_address(party)],
                    "DeliveryAddresses": [],
                    "CustomCheckBoxes": [],
                    "CustomTextBoxes": [],
                }
            )
            fields: tuple[str, ...] = docs.CUSTOMER_SUMMARY
        else:
            record.update({"Address": _address(party), "PaymentMethod": 1, "BankAccount": None})
            fields = docs.SUPPLIER_SUMMARY
        rows.append((party.key, record, docs.summary(record, fields)))
    store.put_many(resource, rows)


def document_record(
    invoice: canonical.SalesInvoice | canonical.PurchaseInvoice,
    record_id: int,
    party: dict[str, Any],
    first_line_id: int,
) -> dict[str, Any]:
    """A KashFlow invoice or purchase record for a canonical document (seeding only)."""
    lines = [
        {
            "Id": first_line_id + i,
            "Number": line.line_no,
            "Description": line.description,
            "Quantity": line.quantity,
            "Rate": line.unit_price,
            "NominalCode": int(line.gl_account) if line.gl_account else None,
            "ProductCode": line.product_key,
            "ProductName": line.description if line.product_key else None,
            "VATAmount": line.tax_amount,
            "VATLevel": line.tax_rate,
            "VATExempt": False,
            "ProjectNumber": None,
        }
        for i, line in enumerate(invoice.lines)
    ]
    issued = docs.at_noon(invoice.issue_date)
    record: dict[str, Any] = {
        "Id": record_id,
        "Number": int(invoice.key),
        "IssuedDate": issued,
        "DueDate": docs.at_noon(invoice.due_date) if invoice.due_date else None,
        "Currency": docs.currency(None, invoice.currency),
        "LineItems": lines,
        **docs.totals(lines),
        "PaymentLines": [],
        "Permalink": None,
        "IsArchived": False,
        "ProjectNumber": None,
    }
    if isinstance(invoice, canonical.SalesInvoice):
        record.update(
            {
                "CustomerId": party["Id"],
                "CustomerCode": party["Code"],
                "CustomerName": party["Name"],
                "CustomerReference": invoice.reference,
                "Address": (party.get("Addresses") or [None])[0],
            }
        )
    else:
        record.update(
            {
                "SupplierId": party["Id"],
                "SupplierCode": party["Code"],
                "SupplierName": party["Name"],
                "SupplierReference": invoice.reference,
            }
        )
    return record


def _documents(store: Store, books: Books, resource: str, invoices: list[Any]) -> None:
    parties = {
        p["Code"]: p for p in store.records("customers" if resource == "invoices" else "suppliers")
    }
    first = store.reserve_ids(resource, len(invoices))
    line_count = sum(len(i.lines) for i in invoices)
    line_id = store.reserve_ids("lines", line_count)
    rows = []
    for offset, invoice in enumerate(invoices):
        party_key = invoice.customer_key if resource == "invoices" else invoice.supplier_key
        party = parties.get(party_key)
        if party is None:
            continue
        record = document_record(invoice, first + offset, party, line_id)
        line_id += len(invoice.lines)
        docs.settle(record, books.today())
        fields = docs.INVOICE_SUMMARY if resource == "invoices" else docs.PURCHASE_SUMMARY
        rows.append((str(record["Number"]), record, docs.document_summary(record, fields)))
    store.put_many(resource, rows)
    top = max((int(key) for key, _, _ in rows), default=0)
    store.reserve_ids(f"{resource}-number", max(0, top))


def _payments(store: Store, books: Books, payments: list[Any]) -> None:
    by_resource: dict[str, dict[str, dict[str, Any]]] = {"invoices": {}, "purchases": {}}
    for payment in payments:
        assert isinstance(payment, canonical.Payment)
        resource = "invoices" if payment.kind == "receipt" else "purchases"
        for allocation in payment.allocations:
            cache = by_resource[resource]
            document = cache.get(allocation.invoice_key) or store.get(
                resource, allocation.invoice_key
            )
            if document is None:
                continue
            cache[allocation.invoice_key] = document
            document.setdefault("PaymentLines", []).append(
                {
                    "Id": store.next_id("payment-lines"),
                    "Date": docs.at_noon(payment.payment_date),
                    "Amount": allocation.amount,
                    "Method": METHOD_IDS.get(payment.method or "", 1),
                    "AccountId": 1 if payment.bank_account in (None, "1200") else 2,
                    "Note": None,
                    "Reference": payment.reference,
                }
            )
    for resource, documents in by_resource.items():
        fields = docs.INVOICE_SUMMARY if resource == "invoices" else docs.PURCHASE_SUMMARY
        rows = []
        for document in documents.values():
            docs.settle(document, books.today())
            rows.append(
                (str(document["Number"]), document, docs.document_summary(document, fields))
            )
        store.put_many(resource, rows)


def seed_synthetic_invoices(store: Store, count: int, first_number: int = 1_000_000) -> None:
    """Writes `count` invoices straight into SQLite (no HTTP), for paging and benchmarks."""
    customers = list(store.page("customers", offset=0, limit=50))
    parties = [loads(text) for text in customers]
    if not parties:
        raise ValueError("seed the company before synthetic invoices")
    first_id = store.reserve_ids("invoices", count)
    first_line = store.reserve_ids("lines", count)
    base = date(2026, 1, 1)
    rows = []
    for i in range(count):
        party = parties[i % len(parties)]
        net = Decimal(100 + i % 900) + Decimal(i % 100) / 100
        vat = (net * Decimal("0.2")).quantize(Decimal("0.01"), rounding="ROUND_HALF_UP")
        issued = docs.at_noon(base + timedelta(days=i % 300))
        record = {
            "Id": first_id + i,
            "Number": first_number + i,
            "CustomerId": party["Id"],
            "CustomerCode": party["Code"],
            "CustomerName": party["Name"],
            "CustomerReference": f"SYN{i:07d}",
            "IssuedDate": issued,
            "DueDate": issued + timedelta(days=30),
            "Currency": docs.currency(None),
            "LineItems": [
                {
                    "Id": first_line + i,
                    "Number": 1,
                    "Description": "Synthetic line",
                    "Quantity": Decimal(1),
                    "Rate": net,
                    "NominalCode": 4000,
                    "ProductCode": None,
                    "ProductName": None,
                    "VATAmount": vat,
                    "VATLevel": Decimal(20),
                    "VATExempt": False,
                    "ProjectNumber": None,
                }
            ],
            "NetAmount": net,
            "VATAmount": vat,
            "GrossAmount": net + vat,
            "PaymentLines": [],
            "Permalink": None,
            "IsArchived": False,
            "ProjectNumber": None,
            "Address": None,
        }
        docs.settle(record, date(2026, 1, 1))
        rows.append(
            (str(record["Number"]), record, docs.document_summary(record, docs.INVOICE_SUMMARY))
        )
    store.put_many("invoices", rows)
    balances.keep(store, "invoices", (balances.change_of("invoices", None, r) for _, r, _ in rows))


def pay_synthetic_invoices(
    store: Store,
    count: int,
    rng: random.Random,
    first_number: int = 1_000_000,
    share: float = 0.9,
) -> None:
    """Pays about `share` of the synthetic invoices in full on 2 Nov 2026 (one payment
    line each, chosen by `rng`), straight into SQLite like `seed_synthetic_invoices`."""
    paid = []
    changes = []
    for number in range(first_number, first_number + count):
        if rng.random() >= share:
            continue
        record = store.get("invoices", str(number))
        assert record is not None
        before = dict(record)
        record["PaymentLines"] = [
            {"Id": store.next_id("payment-lines"), "Date": record["IssuedDate"],
             "Amount": record["GrossAmount"], "Method": 1, "AccountId": 1, "Note": None,
             "Reference": f"PAY{number}"},
        ]  # fmt: skip
        docs.settle(record, date(2026, 11, 2))
        changes.append(balances.change_of("invoices", before, record))
        paid.append((str(number), record, docs.document_summary(record, docs.INVOICE_SUMMARY)))
    store.put_many("invoices", paid)
    balances.keep(store, "invoices", changes)


def seed_synthetic_customers(store: Store, count: int, template: str = "ACME0019") -> None:
    """Writes `count` customers `SYN000000`, `SYN000001`... straight into SQLite (no
    HTTP), each a copy of the seeded customer `template` under its own Id, code and name,
    with no invoices yet and so nothing outstanding or paid."""
    like = store.get("customers", template)
    if like is None:
        raise ValueError(f"seed the company before synthetic customers (no {template})")
    first_id = store.reserve_ids("customers", count)
    rows = []
    for i in range(count):
        record = {**like, "Id": first_id + i, "Code": f"SYN{i:06d}", "Name": f"Synthetic {i}",
                  "OutstandingBalance": Decimal(0), "TotalPaidAmount": Decimal(0)}  # fmt: skip
        rows.append((record["Code"], record, docs.summary(record, docs.CUSTOMER_SUMMARY)))
    store.put_many("customers", rows)
