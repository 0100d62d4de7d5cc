"""A small company in the ledger for the API tests: linked customers and suppliers in both
systems, invoices settled and open (in two currencies, of every age), payments matched and
not, a history of Sage purchases for GL suggestions, a duplicate supplier invoice (an
anomaly), a write waiting for approval and dead letters; then one reconcile run."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import psycopg
from psycopg.types.json import Jsonb
from record_builders import gl_history

from api.services.tokens import create_token
from canonical import (
    Customer,
    DocumentLine,
    GLAccount,
    Payment,
    PurchaseInvoice,
    SalesInvoice,
    Supplier,
)
from ledger import NewVersion, append_versions
from ledgerbridge.reconcile import reconcile
from matcher.reconcile import ReconcileSummary

TODAY = date.today()
WEBHOOK_SECRETS = {"ecommerce": "shop-secret-0123456789", "gateway": "gw-secret-9876543210"}
TOKENS: dict[str, str] = {}
"""Scope (and "revoked") -> a token's secret; filled by the session's template fixture."""


def auth(scope: str) -> dict[str, str]:
    """The header of a token of `scope` (or of the revoked token)."""
    return {"Authorization": f"Bearer {TOKENS[scope]}"}


ACME = {"name": "Acme Engineering Ltd", "email": "accounts@acme-engineering.co.uk",
        "postcode": "YO1 1GR", "tax_number": "GB536383774", "phone": "01871 989921"}  # fmt: skip
GLOBEX = {"name": "Globex Corporation", "email": "ap@globex.com", "postcode": "10001",
          "currency": "USD"}  # fmt: skip
BRIGHT = {"name": "Bright Stationers Limited", "email": "billing@brightstationers.co.uk",
          "postcode": "CF10 7XX", "phone": "029 1320 7232"}  # fmt: skip
FLEET = {"name": "Fleetway Fuels", "email": "accounts@fleetwayfuels.co.uk",
         "postcode": "LS1 4AB", "phone": "0113 496 0101"}  # fmt: skip


def scope_tokens(conn: psycopg.Connection[Any]) -> dict[str, str]:
    """A token of each scope, named `<scope>-person` (the actor its decisions record)."""
    return {
        scope: create_token(conn, f"{scope}-person", scope)[0]
        for scope in ("read", "review", "admin")
    }


def sales_invoice(
    system: str, key: str, customer: str, gross: str, issued: date, currency: str = "GBP"
) -> NewVersion:
    amount = Decimal(gross)
    return NewVersion.of(
        SalesInvoice(
            system=system, key=key, customer_key=customer, issue_date=issued,  # type: ignore[arg-type]
            currency=currency,
            lines=(DocumentLine(line_no=1, description="Goods", net_amount=amount),),
            net_amount=amount, gross_amount=amount,
        )
    )  # fmt: skip


def receipt(
    system: str, key: str, customer: str, amount: str, paid: date, reference: str | None,
    currency: str = "GBP",
) -> NewVersion:  # fmt: skip
    return NewVersion.of(
        Payment(
            system=system, key=key, kind="receipt", counterparty_key=customer,  # type: ignore[arg-type]
            payment_date=paid, amount=Decimal(amount), reference=reference, currency=currency,
        )
    )  # fmt: skip


def purchase(
    system: str, key: str, supplier: str, reference: str, description: str, net: str,
    account: str, issued: date,
) -> NewVersion:  # fmt: skip
    amount = Decimal(net)
    return NewVersion.of(
        PurchaseInvoice(
            system=system, key=key, supplier_key=supplier, reference=reference,  # type: ignore[arg-type]
            issue_date=issued,
            lines=(DocumentLine(line_no=1, description=description, net_amount=amount,
                                gl_account=account),),
            net_amount=amount, gross_amount=amount,
        )
    )  # fmt: skip


def party(
    kind: type[Customer] | type[Supplier], system: str, key: str, **fields: Any
) -> NewVersion:
    return NewVersion.of(kind(system=system, key=key, **fields))  # type: ignore[arg-type]


def gl_company(n_history: int) -> list[NewVersion]:
    """`n_history` purchases in both systems (Sage lines carry the GL account), and three
    KashFlow purchases not yet in Sage: what GL suggestions are made for."""
    versions = [
        party(Supplier, "kashflow", "BRI0003", **BRIGHT),
        party(Supplier, "sage100", "01-BRI0003", **BRIGHT),
        party(Supplier, "kashflow", "FLE0002", **FLEET),
        party(Supplier, "sage100", "01-FLE0002", **FLEET),
        NewVersion.of(GLAccount(system="kashflow", key="7300", name="Motor Expenses")),
        NewVersion.of(GLAccount(system="sage100", key="7300-00-00", name="Motor Expenses")),
        NewVersion.of(GLAccount(system="kashflow", key="7500", name="Office Costs")),
        NewVersion.of(GLAccount(system="sage100", key="7500-00-00", name="Office Costs")),
        NewVersion.of(GLAccount(system="sage100", key="7600-00-00", name="Stationery")),
    ]
    versions += [purchase(*bought) for bought in gl_history(n_history)]
    versions += [
        purchase("kashflow", "7001", "FLE0002", "FLE-7001", "Diesel for vans", "88.00", "7300",
                 TODAY),
        purchase("kashflow", "7002", "BRI0003", "BRI-7002", "Printer paper", "35.00", "7500",
                 TODAY),
        purchase("kashflow", "7003", "BRI0003", "BRI-7002", "Printer paper", "35.00", "7500",
                 TODAY),
    ]  # fmt: skip
    return versions


def seed_company(conn: psycopg.Connection[Any]) -> ReconcileSummary:
    """Appends the company and runs one reconcile; returns its summary."""
    versions = [
        party(Customer, "kashflow", "ACME0019", **ACME),
        party(Customer, "sage100", "01-ACME0019", **ACME),
        party(Customer, "kashflow", "GLOB0001", **GLOBEX),
        # settled: a Sage receipt for a KashFlow invoice, same customer, exact reference
        sales_invoice("kashflow", "10042", "ACME0019", "120.00", TODAY - timedelta(days=10)),
        receipt("sage100", "00001|01-ACME0019|CHK1", "01-ACME0019", "120.00",
                TODAY - timedelta(days=5), "INV 10042"),
        # open, of every age
        sales_invoice("kashflow", "10043", "ACME0019", "500.00", TODAY - timedelta(days=100)),
        sales_invoice("kashflow", "10044", "ACME0019", "75.50", TODAY - timedelta(days=45)),
        sales_invoice("sage100", "0010001", "01-ACME0019", "80.00", TODAY - timedelta(days=70)),
        sales_invoice("kashflow", "10050", "GLOB0001", "1000.00", TODAY - timedelta(days=3),
                      currency="USD"),
        # a receipt nobody can place
        receipt("kashflow", "R-77", "ACME0019", "33.33", TODAY - timedelta(days=2), None),
        *gl_company(36),
    ]  # fmt: skip
    append_versions(conn, versions)
    conn.execute(
        "INSERT INTO ledger.dead_letter (stage, system, entity, native_key, error_type, field,"
        " message, payload) VALUES ('cdc', 'sage100', 'customer', '01-BAD0001',"
        " 'ValidationFailed', 'email', 'email: not an address', %s), ('cdc', 'kashflow',"
        " 'sales_invoice', '10099', 'ValidationFailed', 'lines.0.net_amount',"
        " 'net_amount: Input should be a valid decimal', NULL)",
        (Jsonb({"EmailAddress": "nope"}),),
    )
    conn.execute(
        "INSERT INTO ledger.write_intent (idempotency_key, target_system, entity, operation,"
        " source_system, source_key, target_key, payload, requires_approval) VALUES"
        " ('sales_invoice_to_sage100:kashflow:sales_invoice:10050:v1', 'sage100',"
        " 'sales_invoice', 'create', 'kashflow', '10050', '0010050', %s, true),"
        " ('customer_to_sage100:kashflow:customer:ACME0019:v1', 'sage100', 'customer', 'update',"
        " 'kashflow', 'ACME0019', '01-ACME0019', %s, false)",
        (Jsonb({"gross_amount": "7200.00", "currency": "USD"}), Jsonb({"name": "Acme"})),
    )
    conn.commit()
    return reconcile(conn)
