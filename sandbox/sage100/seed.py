"""Seeds the Sage 100 sandbox company from the generated business (`company.view("sage100")`).

Rows go in with `executemany` (a 100,000-customer company seeds in seconds), shaped as
the BOI emulator would have written them: terms codes, GL chart with AccountKeys, fiscal
calendar, customers with balances, vendors, items with stock in several warehouses,
invoice history with open invoices, cash receipts, A/P invoices, sales orders and payroll
journals. Audit stamps are deterministic (from the seed and each record's own dates, all
on or before the generator's ANCHOR_DATE), so one size and seed always give the same file.
"""

from __future__ import annotations

import random
import sqlite3
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from canonical import (
    Customer,
    GLAccount,
    OrderStatus,
    Payment,
    Product,
    PurchaseInvoice,
    SalesInvoice,
    StockLevel,
    Supplier,
)
from connectors.sage100 import keys, mapping
from connectors.sage100.mapping import Lookups
from sandbox.datagen import ANCHOR_DATE, Company
from sandbox.sage100.company import audit_stamp, blank_value, columns_of, create_company

SEED_USER = "seed"

TERMS: tuple[tuple[str, str, int], ...] = (
    ("00", "Cash on delivery", 0),
    ("01", "Net 7 days", 7),
    ("02", "Net 14 days", 14),
    ("03", "Net 30 days", 30),
    ("04", "Net 45 days", 45),
    ("05", "Net 60 days", 60),
    ("06", "Net 90 days", 90),
)

CLOSED_BEFORE = date(2025, 10, 1)
"""Fiscal periods ending before this date are closed to posting."""

FISCAL_YEARS = (2024, 2025, 2026, 2027)


@dataclass
class _Rows:
    """Rows per table, each a column -> value dict, inserted at the end."""

    by_table: dict[str, list[dict[str, Any]]] = field(default_factory=lambda: defaultdict(list))

    def add(self, table: str, row: dict[str, Any]) -> None:
        self.by_table[table].append(row)


def _sql_value(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


def insert_rows(db: sqlite3.Connection, table: str, rows: Iterable[dict[str, Any]]) -> int:
    """Inserts rows (column -> value) into a sandbox table; columns not given stay empty."""
    columns = columns_of(table)
    names = [c.name for c in columns]
    blanks = [blank_value(c) for c in columns]
    sql = f"INSERT INTO {table} ({', '.join(names)}) VALUES ({', '.join('?' for _ in names)})"
    count = 0

    def values() -> Iterable[tuple[Any, ...]]:
        nonlocal count
        for row in rows:
            count += 1
            yield tuple(
                _sql_value(row[n]) if n in row else blank
                for n, blank in zip(names, blanks, strict=True)
            )

    db.executemany(sql, values())
    return count


class _Clock:
    """Deterministic audit stamps: a time of the working day on a record's own dates."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(f"{seed}-sage100-stamps")

    def at(self, day: date) -> datetime:
        seconds = self.rng.randint(7 * 3600, 19 * 3600)
        return datetime.combine(min(day, ANCHOR_DATE), time()) + timedelta(seconds=seconds)

    def stamps(self, created: date, updated: date | None = None) -> dict[str, str]:
        first = self.at(created)
        last = self.at(updated) if updated and updated > created else first
        stamp = audit_stamp(first, SEED_USER, created=True)
        return stamp | audit_stamp(max(first, last), SEED_USER, created=False)

    def master(self) -> dict[str, str]:
        created = ANCHOR_DATE - timedelta(days=self.rng.randint(200, 2000))
        updated = ANCHOR_DATE - timedelta(days=self.rng.randint(1, 199))
        return self.stamps(created, updated)


def seed_company(path: str | Path, company: Company, *, overwrite: bool = True) -> dict[str, int]:
    """Creates the company file at `path` holding `company.view("sage100")`; row counts."""
    create_company(path, overwrite=overwrite)
    view = company.view("sage100")
    clock = _Clock(company.seed)
    rows = _Rows()
    chart = [a for a in view.of("gl_account") if isinstance(a, GLAccount)]
    lookups = _reference_data(rows, clock, chart)
    products = {p.key: p for p in view.of("product") if isinstance(p, Product)}
    customers = [c for c in view.of("customer") if isinstance(c, Customer)]
    terms_of = {
        c.key: lookups.terms_code(c.payment_terms_days, ap=False, entity="customer", key=c.key)
        for c in customers
    }
    balances: dict[str, Decimal] = defaultdict(Decimal)
    _sales_invoices(rows, clock, lookups, view.of("sales_invoice"), products, terms_of, balances)
    for customer in customers:
        _customer(rows, clock, lookups, customer, balances)
    for supplier in view.of("supplier"):
        assert isinstance(supplier, Supplier)
        division, vendor_no = keys.vendor_no_for(supplier.key)
        rows.add(
            "AP_Vendor",
            {"APDivisionNo": division, "VendorNo": vendor_no}
            | mapping.supplier_fields(supplier, lookups)
            | clock.master(),
        )
    on_hand: dict[str, Decimal] = defaultdict(Decimal)
    for level in view.of("stock_level"):
        assert isinstance(level, StockLevel)
        on_hand[level.product_key] += level.quantity_on_hand
    for product in products.values():
        rows.add(
            "CI_Item",
            {"ItemCode": keys.item_code_for(product.key), "DefaultWarehouseCode": "000"}
            | {"TotalQuantityOnHand": on_hand.get(product.key, Decimal(0))}
            | {"UseInAR": "Y", "UseInSO": "Y", "UseInPO": "Y", "Valuation": "2"}
            | mapping.product_fields(product, lookups)
            | clock.master(),
        )
    _stock(rows, clock, view.of("stock_level"))
    _receipts(rows, clock, view.of("payment"))
    _purchase_invoices(rows, clock, lookups, view.of("purchase_invoice"))
    _sales_orders(rows, clock, view.of("order_status"), products)
    _journals(rows, clock, lookups, company.seed)
    counts: dict[str, int] = {}
    db = sqlite3.connect(path)
    try:
        with db:
            for table, table_rows in rows.by_table.items():
                counts[table] = insert_rows(db, table, table_rows)
    finally:
        db.close()
    return counts


def _reference_data(rows: _Rows, clock: _Clock, chart: list[GLAccount]) -> Lookups:
    since = date(2020, 1, 1)
    for table in ("AR_TermsCode", "AP_TermsCode"):
        for code, description, days in TERMS:
            rows.add(
                table,
                {"TermsCode": code, "TermsCodeDesc": description, "DaysBeforeDue": days}
                | clock.stamps(since),
            )
    accounts: dict[str, str] = {}
    for number, account in enumerate(sorted(chart, key=lambda a: a.key), start=1):
        account_key = f"{number:09d}"
        formatted = keys.account_for(account.key)
        accounts[account_key] = formatted
        rows.add(
            "GL_Account",
            {
                "AccountKey": account_key,
                "Account": formatted,
                "RawAccount": formatted.replace("-", ""),
                "MainAccountCode": formatted.split("-")[0],
                "AccountGroup": formatted[0] + "000",
            }
            | mapping.gl_account_fields(account)
            | clock.stamps(since),
        )
    for year in FISCAL_YEARS:
        for month in range(1, 13):
            ending = date(year + (month == 12), month % 12 + 1, 1) - timedelta(days=1)
            rows.add(
                "GL_FiscalYearDetail",
                {
                    "FiscalYear": str(year),
                    "FiscalPeriod": f"{month:02d}",
                    "PeriodEndingDate": ending,
                    "PeriodStatus": "C" if ending < CLOSED_BEFORE else "O",
                }
                | clock.stamps(since),
            )
    lookups = Lookups(
        ar_terms={code: days for code, _, days in TERMS},
        ap_terms={code: days for code, _, days in TERMS},
        accounts=accounts,
    )
    misc_account = next(
        (key for key, account in accounts.items() if account.startswith("4010")), ""
    )
    rows.add(
        "CI_Item",
        {
            "ItemCode": mapping.MISC_CHARGE_ITEM,
            "ItemType": "3",
            "ItemCodeDesc": "Miscellaneous charge",
            "SalesAcctKey": misc_account,
            "TaxClass": "TX",
            "InactiveItem": "N",
            "UseInAR": "Y",
            "UseInSO": "Y",
        }
        | clock.stamps(since),
    )
    return lookups


def _customer(
    rows: _Rows,
    clock: _Clock,
    lookups: Lookups,
    customer: Customer,
    balances: dict[str, Decimal],
) -> None:
    division, customer_no = keys.customer_no_for(customer.key)
    stamps = clock.master()
    rows.add(
        "AR_Customer",
        {
            "ARDivisionNo": division,
            "CustomerNo": customer_no,
            "CurrentBalance": balances.get(keys.customer_key(division, customer_no), Decimal(0)),
            "DateEstablished": stamps["DateCreated"],
            "OpenItemCustomer": "Y",
            "StatementCycle": "M",
        }
        | mapping.customer_fields(customer, lookups)
        | stamps,
    )


def _sales_invoices(
    rows: _Rows,
    clock: _Clock,
    lookups: Lookups,
    invoices: Iterable[Any],
    products: dict[str, Product],
    terms_of: dict[str, str],
    balances: dict[str, Decimal],
) -> None:
    for invoice in invoices:
        assert isinstance(invoice, SalesInvoice)
        lines = [
            line
            if line.product_key is None or line.product_key in products
            else line.model_copy(update={"product_key": None})
            for line in invoice.lines
        ]
        invoice = invoice.model_copy(update={"lines": tuple(lines)})
        header, details = mapping.sales_invoice_fields(invoice, lookups)
        invoice_no = keys.ar_invoice_no_for(invoice.key)
        taxable = sum(
            (line.net_amount for line in invoice.lines if line.tax_rate or line.tax_amount),
            Decimal(0),
        )
        updated = invoice.issue_date + timedelta(days=30) if invoice.amount_paid else None
        stamps = clock.stamps(invoice.issue_date, updated)
        customer_key = keys.customer_key(header["ARDivisionNo"], header["CustomerNo"])
        terms = terms_of.get(invoice.customer_key, "03")
        rows.add(
            "AR_InvoiceHistoryHeader",
            header
            | {
                "InvoiceNo": invoice_no,
                "HeaderSeqNo": "000000",
                "ModuleCode": "A/R",
                "InvoiceType": "IN",
                "TransactionDate": invoice.issue_date,
                "TermsCode": terms,
                "SourceJournal": "SJ",
                "TaxableSalesAmt": taxable,
                "NonTaxableSalesAmt": invoice.net_amount - taxable,
                "SalesTaxAmt": invoice.tax_amount,
            }
            | stamps,
        )
        for seq, detail in enumerate(details, start=1):
            item = products.get(detail["ItemCode"])
            rows.add(
                "AR_InvoiceHistoryDetail",
                detail
                | {
                    "InvoiceNo": invoice_no,
                    "HeaderSeqNo": "000000",
                    "DetailSeqNo": f"{seq:06d}",
                    "ItemType": "1" if item is not None and item.track_stock else "3",
                    "WarehouseCode": "000",
                    "QuantityOrdered": detail["QuantityShipped"],
                    "SalesAcctKey": detail.get("SalesAcctKey", ""),
                },
            )
        balance = invoice.gross_amount - invoice.amount_paid
        balances[customer_key] += balance
        rows.add(
            "AR_OpenInvoice",
            {
                "ARDivisionNo": header["ARDivisionNo"],
                "CustomerNo": header["CustomerNo"],
                "InvoiceNo": invoice_no,
                "InvoiceType": "IN",
                "InvoiceDate": invoice.issue_date,
                "InvoiceDueDate": invoice.due_date,
                "InvoiceHistoryHeaderSeqNo": "000000",
                "PostingDate": invoice.issue_date,
                "TermsCode": terms,
                "CustomerPONo": header["CustomerPONo"],
                "TaxableAmt": taxable,
                "NonTaxableAmt": invoice.net_amount - taxable,
                "SalesTaxAmt": invoice.tax_amount,
                "Balance": balance,
            }
            | stamps,
        )


def _stock(rows: _Rows, clock: _Clock, levels: Iterable[Any]) -> None:
    for level in levels:
        assert isinstance(level, StockLevel)
        rows.add(
            "IM_ItemWarehouse",
            {
                "ItemCode": keys.item_code_for(level.product_key),
                "WarehouseCode": level.warehouse,
                "QuantityOnHand": level.quantity_on_hand,
                "QuantityOnPurchaseOrder": level.quantity_on_order,
                "QuantityOnSalesOrder": level.quantity_committed,
                "ReorderMethod": "R",
            }
            | clock.master(),
        )


def _receipts(rows: _Rows, clock: _Clock, payments: Iterable[Any]) -> None:
    receipts = sorted(
        (p for p in payments if isinstance(p, Payment) and p.kind == "receipt"),
        key=lambda p: (p.payment_date, p.key),
    )
    deposits: dict[date, str] = {}
    for payment in receipts:
        deposit_no = deposits.setdefault(payment.payment_date, f"{len(deposits) + 1:05d}")
        division, customer_no = keys.customer_no_for(payment.counterparty_key or "")
        stamps = clock.stamps(payment.payment_date)
        for seq, allocation in enumerate(payment.allocations, start=1):
            rows.add(
                "AR_CashReceiptsHistory",
                {
                    "BankCode": "A",
                    "DepositDate": payment.payment_date,
                    "DepositNo": deposit_no,
                    "DepositType": "C",
                    "ARDivisionNo": division,
                    "CustomerNo": customer_no,
                    "CheckNo": payment.key[:10],
                    "SequenceNo": f"{seq:06d}",
                    "CreditCardEntryNo": "000000",
                    "PostingDate": payment.payment_date,
                    "TransactionType": "P",
                    "InvoiceNo": keys.ar_invoice_no_for(allocation.invoice_key),
                    "InvoiceType": "IN",
                    "PaymentType": mapping.payment_type_for(payment.method),
                    "CashAmountApplied": allocation.amount,
                }
                | stamps,
            )


def _purchase_invoices(
    rows: _Rows, clock: _Clock, lookups: Lookups, invoices: Iterable[Any]
) -> None:
    for invoice in invoices:
        assert isinstance(invoice, PurchaseInvoice)
        division, vendor_no = keys.vendor_no_for(invoice.supplier_key)
        invoice_no = keys.ap_invoice_no_for(invoice.key)
        header, details = mapping.purchase_invoice_fields(invoice, lookups)
        taxable = sum(
            (line.net_amount for line in invoice.lines if line.tax_rate or line.tax_amount),
            Decimal(0),
        )
        updated = invoice.issue_date + timedelta(days=30) if invoice.amount_paid else None
        stamps = clock.stamps(invoice.issue_date, updated)
        key = {"APDivisionNo": division, "VendorNo": vendor_no, "InvoiceNo": invoice_no}
        rows.add(
            "AP_InvoiceHeader",
            header
            | key
            | {
                "TermsCode": "03",
                "HoldPayment": "N",
                "InvoiceAmt": invoice.gross_amount,
                "TaxableAmt": taxable,
                "NonTaxableAmt": invoice.net_amount - taxable,
                "SalesTaxAmt": invoice.tax_amount,
            }
            | stamps,
        )
        for seq, detail in enumerate(details, start=1):
            rows.add(
                "AP_InvoiceDetail",
                detail | key | {"LineKey": f"{seq:06d}", "LineSeqNo": f"{seq:014d}"} | stamps,
            )
        paid = bool(invoice.amount_paid)
        rows.add(
            "AP_OpenInvoice",
            key
            | {
                "InvoiceDate": invoice.issue_date,
                "InvoiceDueDate": invoice.due_date,
                "InvoiceAmt": invoice.gross_amount,
                "Balance": invoice.gross_amount - invoice.amount_paid,
                "CheckNo": f"P{invoice_no}"[:10] if paid else "",
                "CheckDate": updated if paid else None,
                "Comment": header["Comment"],
            }
            | stamps,
        )


def _sales_orders(
    rows: _Rows, clock: _Clock, orders: Iterable[Any], products: dict[str, Product]
) -> None:
    catalogue = sorted(products.values(), key=lambda p: p.key)
    for number, order in enumerate(orders):
        assert isinstance(order, OrderStatus)
        division, customer_no = keys.customer_no_for(order.customer_key)
        order_no = keys.sales_order_no_for(order.key)
        rows.add(
            "SO_SalesOrderHeader",
            {
                "SalesOrderNo": order_no,
                "OrderDate": order.order_date,
                "OrderType": "S",
                "OrderStatus": mapping.ORDER_STATUS_CODES[order.status],
                "ARDivisionNo": division,
                "CustomerNo": customer_no,
                "ShipExpireDate": order.ship_date,
                "CustomerPONo": order.reference or "",
                "WarehouseCode": "000",
                "TermsCode": "03",
            }
            | clock.stamps(order.order_date, order.ship_date),
        )
        if catalogue:
            product = catalogue[number % len(catalogue)]
            quantity = Decimal(number % 7 + 1)
            rows.add(
                "SO_SalesOrderDetail",
                {
                    "SalesOrderNo": order_no,
                    "LineKey": "000001",
                    "LineSeqNo": "00000000000001",
                    "ItemCode": keys.item_code_for(product.key),
                    "ItemType": "1",
                    "ItemCodeDesc": product.name[:30],
                    "WarehouseCode": "000",
                    "QuantityOrdered": quantity,
                    "QuantityShipped": quantity if order.status in ("shipped", "complete") else 0,
                    "UnitPrice": product.unit_price,
                    "ExtensionAmt": product.unit_price * quantity,
                },
            )


def _journals(rows: _Rows, clock: _Clock, lookups: Lookups, seed: int) -> None:
    """A monthly payroll journal for the past year: wages debit, bank credit."""
    by_account = {account: key for key, account in lookups.accounts.items()}
    wages, bank = by_account.get("7000-00-00"), by_account.get("1200-00-00")
    if wages is None or bank is None:
        return
    rng = random.Random(f"{seed}-sage100-payroll")
    for month in range(12):
        posted = date(ANCHOR_DATE.year - 1, ANCHOR_DATE.month, 28) + timedelta(days=30 * month)
        if posted < CLOSED_BEFORE:
            continue
        amount = Decimal(rng.randint(1_500_000, 2_500_000)) / 100
        register = f"{month + 1:06d}"
        stamps = clock.stamps(posted)
        for seq, (account, debit, credit) in enumerate(
            ((wages, amount, Decimal(0)), (bank, Decimal(0), amount)), start=1
        ):
            rows.add(
                "GL_DetailPosting",
                {
                    "AccountKey": account,
                    "PostingDate": posted,
                    "SourceJournal": "GJ",
                    "JournalRegisterNo": register,
                    "SequenceNo": f"{seq:06d}",
                    "DebitAmount": debit,
                    "CreditAmount": credit,
                    "PostingComment": f"Payroll {posted:%B %Y}",
                    "SourceModule": "G/L",
                }
                | stamps,
            )
