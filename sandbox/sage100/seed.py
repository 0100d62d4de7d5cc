"""Seeds the Sage 100 sandbox company from the generated business (`company.view("sage100")`).

Rows go in with `executemany` (a 100,000-customer company seeds in seconds), shaped as
the BOI emulator would have written them: terms codes, GL chart with AccountKeys, fiscal
calendar, customers with balances, vendors, items with stock in several warehouses,
invoice history with open invoices, cash receipts, A/P invoices, sales orders and payroll
journals. Audit stamps are deterministic (from the seed and each record's own dates, all
on or before the generator's ANCHOR_DATE), so one size and seed always give the same file.
What each record's row holds comes from `rows` and its keys from `numbering`: the
emulator's own knowledge of Sage's tables, never a connector's mapping.
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

import canonical
from sandbox.datagen import ANCHOR_DATE, Company
from sandbox.sage100 import numbering, rows
from sandbox.sage100.company import audit_stamp, blank_value, columns_of, create_company
from sandbox.sage100.numbering import DIVISION, HEADER_SEQ_NO
from sandbox.sage100.rows import TERMS, Chart

SEED_USER = "seed"

CLOSED_BEFORE = date(2025, 10, 1)
"""Fiscal periods ending before this date are closed to posting."""

FISCAL_YEARS = (2024, 2025, 2026, 2027)


@dataclass
class _Tables:
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


def insert_rows(db: sqlite3.Connection, table: str, new_rows: Iterable[dict[str, Any]]) -> int:
    """Inserts rows (column -> value) into a sandbox table; columns not given stay empty."""
    columns = columns_of(table)
    names = [c.name for c in columns]
    blanks = [blank_value(c) for c in columns]
    sql = f"INSERT INTO {table} ({', '.join(names)}) VALUES ({', '.join('?' for _ in names)})"
    count = 0

    def values() -> Iterable[tuple[Any, ...]]:
        nonlocal count
        for row in new_rows:
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
    tables = _Tables()
    chart = _reference_data(
        tables, clock, [a for a in view.of("gl_account") if isinstance(a, canonical.GLAccount)]
    )
    products = {p.key: p for p in view.of("product") if isinstance(p, canonical.Product)}
    customers = [c for c in view.of("customer") if isinstance(c, canonical.Customer)]
    terms_of = {
        c.key: rows.terms_code(c.payment_terms_days, record=f"customer {c.key}") for c in customers
    }
    balances: dict[str, Decimal] = defaultdict(Decimal)
    _sales_invoices(tables, clock, chart, view.of("sales_invoice"), products, terms_of, balances)
    for customer in customers:
        _customer(tables, clock, customer, balances)
    for supplier in view.of("supplier"):
        assert isinstance(supplier, canonical.Supplier)
        tables.add(
            "AP_Vendor",
            {"APDivisionNo": DIVISION, "VendorNo": _vendor_no(supplier.key)}
            | rows.vendor(supplier)
            | clock.master(),
        )
    _items(tables, clock, chart, products, view.of("stock_level"))
    _stock(tables, clock, view.of("stock_level"))
    _receipts(tables, clock, view.of("payment"))
    _purchase_invoices(tables, clock, chart, view.of("purchase_invoice"))
    _sales_orders(tables, clock, view.of("order_status"), products)
    _journals(tables, clock, chart, company.seed)
    _checks(tables, clock, chart, view.of("payment"))
    counts: dict[str, int] = {}
    db = sqlite3.connect(path)
    try:
        with db:
            for table, table_rows in tables.by_table.items():
                counts[table] = insert_rows(db, table, table_rows)
    finally:
        db.close()
    return counts


def _customer_no(key: str) -> str:
    return numbering.code(key, "AR_Customer", "CustomerNo")


def _vendor_no(key: str) -> str:
    return numbering.code(key, "AP_Vendor", "VendorNo")


def _item_code(key: str) -> str:
    return numbering.code(key, "CI_Item", "ItemCode")


def _reference_data(tables: _Tables, clock: _Clock, accounts: list[canonical.GLAccount]) -> Chart:
    """Terms codes, the GL chart, the fiscal calendar and the miscellaneous charge item."""
    since = date(2020, 1, 1)
    for table in ("AR_TermsCode", "AP_TermsCode"):
        for code, description, days in TERMS:
            tables.add(
                table,
                {"TermsCode": code, "TermsCodeDesc": description, "DaysBeforeDue": days}
                | clock.stamps(since),
            )
    account_keys: dict[str, str] = {}
    for number, account in enumerate(sorted(accounts, key=lambda a: a.key), start=1):
        account_key = f"{number:09d}"
        formatted = numbering.account(account.key)
        account_keys[formatted] = account_key
        tables.add(
            "GL_Account",
            {
                "AccountKey": account_key,
                "Account": formatted,
                "RawAccount": formatted.replace("-", ""),
                "MainAccountCode": formatted.split("-")[0],
                "AccountGroup": formatted[0] + "000",
            }
            | rows.gl_account(account)
            | clock.stamps(since),
        )
    for year in FISCAL_YEARS:
        for month in range(1, 13):
            ending = date(year + (month == 12), month % 12 + 1, 1) - timedelta(days=1)
            tables.add(
                "GL_FiscalYearDetail",
                {
                    "FiscalYear": str(year),
                    "FiscalPeriod": f"{month:02d}",
                    "PeriodEndingDate": ending,
                    "PeriodStatus": "C" if ending < CLOSED_BEFORE else "O",
                }
                | clock.stamps(since),
            )
    misc_account = next(
        (key for account, key in account_keys.items() if account.startswith("4010")), ""
    )
    tables.add(
        "CI_Item",
        {
            "ItemCode": rows.MISC_CHARGE_ITEM,
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
    return Chart(account_keys)


def _customer(
    tables: _Tables, clock: _Clock, customer: canonical.Customer, balances: dict[str, Decimal]
) -> None:
    customer_no = _customer_no(customer.key)
    stamps = clock.master()
    tables.add(
        "AR_Customer",
        {
            "ARDivisionNo": DIVISION,
            "CustomerNo": customer_no,
            "CurrentBalance": balances.get(customer_no, Decimal(0)),
            "DateEstablished": stamps["DateCreated"],
            "OpenItemCustomer": "Y",
            "StatementCycle": "M",
        }
        | rows.customer(customer)
        | stamps,
    )


def _items(
    tables: _Tables,
    clock: _Clock,
    chart: Chart,
    products: dict[str, canonical.Product],
    levels: Iterable[Any],
) -> None:
    """CI_Item rows, each with its quantity on hand over every warehouse."""
    on_hand: dict[str, Decimal] = defaultdict(Decimal)
    for level in levels:
        assert isinstance(level, canonical.StockLevel)
        on_hand[level.product_key] += level.quantity_on_hand
    for product in products.values():
        tables.add(
            "CI_Item",
            {"ItemCode": _item_code(product.key), "DefaultWarehouseCode": "000"}
            | {"TotalQuantityOnHand": on_hand.get(product.key, Decimal(0))}
            | {"UseInAR": "Y", "UseInSO": "Y", "UseInPO": "Y", "Valuation": "2"}
            | rows.item(product, chart)
            | clock.master(),
        )


def _sales_invoices(
    tables: _Tables,
    clock: _Clock,
    chart: Chart,
    invoices: Iterable[Any],
    products: dict[str, canonical.Product],
    terms_of: dict[str, str],
    balances: dict[str, Decimal],
) -> None:
    """Invoice history (header and lines) and the open invoice of each sales invoice;
    what is still owed adds to its customer's balance."""
    for invoice in invoices:
        assert isinstance(invoice, canonical.SalesInvoice)
        header, details = rows.invoice_history(invoice, products, chart)
        customer_no = _customer_no(invoice.customer_key)
        invoice_no = numbering.document_no(invoice.key, "AR_InvoiceHistoryHeader", "InvoiceNo")
        updated = invoice.issue_date + timedelta(days=30) if invoice.amount_paid else None
        stamps = clock.stamps(invoice.issue_date, updated)
        key = {"ARDivisionNo": DIVISION, "CustomerNo": customer_no, "InvoiceNo": invoice_no}
        terms = terms_of.get(invoice.customer_key, rows.DEFAULT_TERMS)
        tables.add(
            "AR_InvoiceHistoryHeader",
            header
            | key
            | {
                "HeaderSeqNo": HEADER_SEQ_NO,
                "ModuleCode": "A/R",
                "InvoiceType": "IN",
                "TermsCode": terms,
                "SourceJournal": "SJ",
            }
            | stamps,
        )
        for detail in details:
            tables.add(
                "AR_InvoiceHistoryDetail",
                detail | {"InvoiceNo": invoice_no, "HeaderSeqNo": HEADER_SEQ_NO},
            )
        balance = invoice.gross_amount - invoice.amount_paid
        balances[customer_no] += balance
        tables.add(
            "AR_OpenInvoice",
            key
            | {
                "InvoiceType": "IN",
                "InvoiceDate": invoice.issue_date,
                "InvoiceDueDate": invoice.due_date,
                "InvoiceHistoryHeaderSeqNo": HEADER_SEQ_NO,
                "PostingDate": invoice.issue_date,
                "TermsCode": terms,
                "CustomerPONo": header["CustomerPONo"],
                "TaxableAmt": header["TaxableSalesAmt"],
                "NonTaxableAmt": header["NonTaxableSalesAmt"],
                "SalesTaxAmt": invoice.tax_amount,
                "Balance": balance,
            }
            | stamps,
        )


def _stock(tables: _Tables, clock: _Clock, levels: Iterable[Any]) -> None:
    for level in levels:
        assert isinstance(level, canonical.StockLevel)
        tables.add(
            "IM_ItemWarehouse",
            {
                "ItemCode": _item_code(level.product_key),
                "WarehouseCode": level.warehouse,
                "QuantityOnHand": level.quantity_on_hand,
                "QuantityOnPurchaseOrder": level.quantity_on_order,
                "QuantityOnSalesOrder": level.quantity_committed,
                "ReorderMethod": "R",
            }
            | clock.master(),
        )


def _receipts(tables: _Tables, clock: _Clock, payments: Iterable[Any]) -> None:
    """Cash receipts history: one deposit a day, one row per invoice a check pays."""
    receipts = sorted(
        (p for p in payments if isinstance(p, canonical.Payment) and p.kind == "receipt"),
        key=lambda p: (p.payment_date, p.key),
    )
    deposits: dict[date, str] = {}
    for payment in receipts:
        deposit_no = deposits.setdefault(payment.payment_date, f"{len(deposits) + 1:05d}")
        stamps = clock.stamps(payment.payment_date)
        for seq, allocation in enumerate(payment.allocations, start=1):
            tables.add(
                "AR_CashReceiptsHistory",
                {
                    "BankCode": "A",
                    "DepositDate": payment.payment_date,
                    "DepositNo": deposit_no,
                    "DepositType": "C",
                    "ARDivisionNo": DIVISION,
                    "CustomerNo": _customer_no(payment.counterparty_key or ""),
                    "CheckNo": payment.key[: numbering.width("AR_CashReceiptsHistory", "CheckNo")],
                    "SequenceNo": f"{seq:06d}",
                    "CreditCardEntryNo": "000000",
                    "PostingDate": payment.payment_date,
                    "TransactionType": "P",
                    "InvoiceNo": numbering.document_no(
                        allocation.invoice_key, "AR_CashReceiptsHistory", "InvoiceNo"
                    ),
                    "InvoiceType": "IN",
                    "PaymentType": rows.payment_type(payment.method),
                    "CashAmountApplied": allocation.amount,
                }
                | stamps,
            )


def _purchase_invoices(
    tables: _Tables, clock: _Clock, chart: Chart, invoices: Iterable[Any]
) -> None:
    """A/P invoice header and distribution lines, and the open invoice with its payment."""
    for invoice in invoices:
        assert isinstance(invoice, canonical.PurchaseInvoice)
        invoice_no = numbering.code(invoice.key, "AP_InvoiceHeader", "InvoiceNo")
        header, details = rows.ap_invoice(invoice, chart)
        updated = invoice.issue_date + timedelta(days=30) if invoice.amount_paid else None
        stamps = clock.stamps(invoice.issue_date, updated)
        key = {
            "APDivisionNo": DIVISION,
            "VendorNo": _vendor_no(invoice.supplier_key),
            "InvoiceNo": invoice_no,
        }
        tables.add(
            "AP_InvoiceHeader",
            header | key | {"TermsCode": rows.DEFAULT_TERMS, "HoldPayment": "N"} | stamps,
        )
        for detail in details:
            tables.add("AP_InvoiceDetail", detail | key | stamps)
        paid = bool(invoice.amount_paid)
        tables.add(
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


BANK_CODE = "A"
"""The company's one bank, on the cash account 1200-00-00; A/R deposits and A/P checks use it."""


def _checks(tables: _Tables, clock: _Clock, chart: Chart, payments: Iterable[Any]) -> None:
    """The bank, A/P check history (one check per supplier payment, one detail row per
    invoice it pays, numbered as the open invoice names it) and each vendor's BalanceDue."""
    tables.add(
        "GL_Bank",
        {
            "BankCode": BANK_CODE,
            "BankName": "Main bank account",
            "CashAccountKey": chart.account_keys.get("1200-00-00", ""),
            "BankStatus": "A",
        }
        | clock.stamps(date(2020, 1, 1)),
    )
    open_invoices = {
        (row["VendorNo"], row["InvoiceNo"]): row for row in tables.by_table["AP_OpenInvoice"]
    }
    vendors = {row["VendorNo"]: row for row in tables.by_table["AP_Vendor"]}
    for row in open_invoices.values():
        vendor = vendors.get(row["VendorNo"])
        if vendor is not None:
            vendor["BalanceDue"] = vendor.get("BalanceDue", Decimal(0)) + row["Balance"]
    supplier_payments = sorted(
        (p for p in payments if isinstance(p, canonical.Payment) and p.kind == "supplier_payment"),
        key=lambda p: (p.payment_date, p.key),
    )
    for payment in supplier_payments:
        vendor_no = _vendor_no(payment.counterparty_key or "")
        paid = [
            (open_invoices[key], allocation.amount)
            for allocation in payment.allocations
            if (key := (vendor_no, numbering.code(allocation.invoice_key, "AP_InvoiceHeader",
                                                  "InvoiceNo"))) in open_invoices
        ]  # fmt: skip
        if not paid or vendor_no not in vendors:
            continue  # the purchase it pays is not in this company
        check_no = (
            paid[0][0]["CheckNo"]
            or payment.key[: numbering.width("AP_CheckHistoryHeader", "CheckNo")]
        )
        check = {"BankCode": BANK_CODE, "CheckNo": check_no, "CheckSeqNo": "000000"}
        stamps = clock.stamps(payment.payment_date)
        tables.add(
            "AP_CheckHistoryHeader",
            check
            | {
                "CheckType": "M",
                "CheckDate": payment.payment_date,
                "TransactionDate": payment.payment_date,
                "APDivisionNo": DIVISION,
                "VendorNo": vendor_no,
                "VendorName": vendors[vendor_no]["VendorName"],
                "CheckAmt": sum((amount for _, amount in paid), Decimal(0)),
                "CheckComment": (payment.reference or "")[:30],
                "SourceJournal": "CD",
                "ACHElectronicPayment": "Y" if payment.method == "BACS" else "N",
            }
            | stamps,
        )
        for open_invoice, amount in paid:
            open_invoice["CheckDate"] = payment.payment_date
            tables.add(
                "AP_CheckHistoryDetail",
                check
                | {
                    "InvoiceNo": open_invoice["InvoiceNo"],
                    "InvoiceSeqNo": "000000",
                    "InvoiceDate": open_invoice["InvoiceDate"],
                    "APDivisionNo": DIVISION,
                    "VendorNo": vendor_no,
                    "AmountPaid": amount,
                }
                | stamps,
            )


def _sales_orders(
    tables: _Tables, clock: _Clock, orders: Iterable[Any], products: dict[str, canonical.Product]
) -> None:
    """Sales order headers, each with one line of an item from the catalogue in turn."""
    catalogue = sorted(products.values(), key=lambda p: p.key)
    for number, order in enumerate(orders):
        assert isinstance(order, canonical.OrderStatus)
        order_no = numbering.document_no(order.key, "SO_SalesOrderHeader", "SalesOrderNo")
        tables.add(
            "SO_SalesOrderHeader",
            {
                "SalesOrderNo": order_no,
                "OrderDate": order.order_date,
                "OrderType": "S",
                "OrderStatus": rows.ORDER_STATUSES[order.status],
                "ARDivisionNo": DIVISION,
                "CustomerNo": _customer_no(order.customer_key),
                "ShipExpireDate": order.ship_date,
                "CustomerPONo": order.reference or "",
                "WarehouseCode": "000",
                "TermsCode": rows.DEFAULT_TERMS,
            }
            | clock.stamps(order.order_date, order.ship_date),
        )
        if catalogue:
            product = catalogue[number % len(catalogue)]
            quantity = Decimal(number % 7 + 1)
            tables.add(
                "SO_SalesOrderDetail",
                {
                    "SalesOrderNo": order_no,
                    "LineKey": "000001",
                    "LineSeqNo": "00000000000001",
                    "ItemCode": _item_code(product.key),
                    "ItemType": "1",
                    "ItemCodeDesc": product.name[:30],
                    "WarehouseCode": "000",
                    "QuantityOrdered": quantity,
                    "QuantityShipped": quantity if order.status in ("shipped", "complete") else 0,
                    "UnitPrice": product.unit_price,
                    "ExtensionAmt": product.unit_price * quantity,
                },
            )


def _journals(tables: _Tables, clock: _Clock, chart: Chart, seed: int) -> None:
    """A monthly payroll journal for the past year: wages debit, bank credit."""
    wages = chart.account_keys.get("7000-00-00")
    bank = chart.account_keys.get("1200-00-00")
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
            tables.add(
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
