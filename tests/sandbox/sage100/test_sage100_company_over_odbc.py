"""The sandbox company, read as a Sage 100 extractor reads it: over ODBC, with Sage's names,
widths and key formats, and the queries real extractors send."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyodbc
from typer.testing import CliRunner

from ledgerbridge.cli import app
from sandbox.sage100.company import moment_of, sage_time

Query = Callable[..., list[dict[str, Any]]]

REQUIRED_TABLES = (
    "AR_Customer",
    "AR_TermsCode",
    "AR_OpenInvoice",
    "AR_InvoiceHistoryHeader",
    "AR_InvoiceHistoryDetail",
    "AR_CashReceiptsHistory",
    "AP_Vendor",
    "AP_OpenInvoice",
    "AP_InvoiceHeader",
    "AP_InvoiceDetail",
    "CI_Item",
    "IM_ItemWarehouse",
    "GL_Account",
    "GL_DetailPosting",
    "SO_SalesOrderHeader",
    "SO_SalesOrderDetail",
)


def widths(odbc: pyodbc.Connection, table: str) -> dict[str, int]:
    cursor = odbc.cursor()
    cursor.execute(f"SELECT * FROM {table} WHERE 1 = 0")
    return {c[0]: c[3] for c in cursor.description}


def test_every_table_is_there_with_sage_key_widths(odbc: pyodbc.Connection) -> None:
    for table in REQUIRED_TABLES:
        assert widths(odbc, table), table
    assert widths(odbc, "AR_Customer")["ARDivisionNo"] == 2
    assert widths(odbc, "AR_Customer")["CustomerNo"] == 20
    assert widths(odbc, "AR_Customer")["CustomerName"] == 50
    assert widths(odbc, "AP_Vendor")["VendorNo"] == 7
    assert widths(odbc, "AR_OpenInvoice")["InvoiceNo"] == 7
    assert widths(odbc, "AP_OpenInvoice")["InvoiceNo"] == 10
    assert widths(odbc, "GL_Account")["AccountKey"] == 9
    assert widths(odbc, "CI_Item")["ItemCode"] == 30
    assert widths(odbc, "AR_Customer")["TimeUpdated"] == 8


def test_keys_are_formatted_as_sage_formats_them(query: Query) -> None:
    customers = query("SELECT ARDivisionNo, CustomerNo FROM AR_Customer")
    assert customers and {c["ARDivisionNo"] for c in customers} == {"01"}
    assert all(re.fullmatch(r"[A-Z0-9\-]{1,20}", c["CustomerNo"]) for c in customers)
    vendors = query("SELECT VendorNo FROM AP_Vendor")
    assert vendors and all(len(v["VendorNo"]) <= 7 for v in vendors)
    invoices = query("SELECT InvoiceNo FROM AR_InvoiceHistoryHeader")
    assert invoices and all(re.fullmatch(r"\d{7}", i["InvoiceNo"]) for i in invoices)
    accounts = query("SELECT AccountKey, Account FROM GL_Account")
    assert all(re.fullmatch(r"\d{9}", a["AccountKey"]) for a in accounts)
    assert all(re.fullmatch(r"\d{4}-\d{2}-\d{2}", a["Account"]) for a in accounts)


def test_queries_real_extractors_run_work(query: Query) -> None:
    items = query("SELECT * FROM CI_Item")
    assert len(items) > 10 and "StandardUnitPrice" in items[0]
    open_items = query(
        "SELECT ARDivisionNo, CustomerNo, InvoiceNo, Balance FROM AR_OpenInvoice WHERE Balance <> 0"
    )
    assert open_items and all(Decimal(str(row["Balance"])) != 0 for row in open_items)
    recent = query(
        "SELECT InvoiceNo, InvoiceDate FROM AR_InvoiceHistoryHeader"
        " WHERE InvoiceDate >= {d '2026-10-01'}"
    )
    assert recent and all(row["InvoiceDate"] >= date(2026, 10, 1) for row in recent)
    assert isinstance(recent[0]["InvoiceDate"], date)
    lower = query("select customerno, customername from ar_customer where ardivisionno = '01'")
    assert len(lower) == len(query("SELECT CustomerNo FROM AR_Customer"))


def test_stock_sits_in_several_warehouses(query: Query) -> None:
    warehouses = query("SELECT DISTINCT WarehouseCode FROM IM_ItemWarehouse")
    assert {w["WarehouseCode"] for w in warehouses} >= {"000", "001"}


def test_open_invoices_add_up_to_customer_balances(query: Query) -> None:
    open_totals = {
        (r["ARDivisionNo"], r["CustomerNo"]): Decimal(str(r["Total"]))
        for r in query(
            "SELECT ARDivisionNo, CustomerNo, SUM(Balance) AS Total FROM AR_OpenInvoice"
            " GROUP BY ARDivisionNo, CustomerNo"
        )
    }
    for customer in query("SELECT ARDivisionNo, CustomerNo, CurrentBalance FROM AR_Customer"):
        key = (customer["ARDivisionNo"], customer["CustomerNo"])
        expected = open_totals.get(key, Decimal(0)).quantize(Decimal("0.01"))
        assert Decimal(str(customer["CurrentBalance"])).quantize(Decimal("0.01")) == expected


def test_every_seeded_row_carries_audit_stamps(query: Query) -> None:
    for table in ("AR_Customer", "AP_Vendor", "CI_Item", "AR_OpenInvoice", "GL_Account"):
        for row in query(f"SELECT DateUpdated, TimeUpdated, UserUpdatedKey FROM {table}"):
            assert isinstance(row["DateUpdated"], date)
            hours = Decimal(row["TimeUpdated"])
            assert 0 <= hours < 24 and hours.as_tuple().exponent == -5
            assert re.fullmatch(r"\d{10}", row["UserUpdatedKey"])


def test_time_updated_is_decimal_hours_as_text() -> None:
    assert sage_time(datetime(2026, 11, 2, 13, 30, 0)) == "13.50000"
    assert sage_time(datetime(2026, 11, 2, 0, 0, 0)) == "0.00000"
    assert sage_time(datetime(2026, 11, 2, 23, 59, 59)) == "23.99972"
    assert moment_of(date(2026, 11, 2), "13.50000") == datetime(2026, 11, 2, 13, 30)


def dump(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    connection = pyodbc.connect(f"DRIVER=SQLite3;Database={path}")
    try:
        cursor = connection.cursor()
        result = {}
        for table in REQUIRED_TABLES:
            cursor.execute(f"SELECT * FROM {table}")
            result[table] = sorted(tuple(str(v) for v in row) for row in cursor.fetchall())
        return result
    finally:
        connection.close()


def test_init_seeds_the_same_company_from_the_same_seed(tmp_path: Path) -> None:
    runner = CliRunner()
    first, second = tmp_path / "a.db", tmp_path / "b.db"
    for path in (first, second):
        result = runner.invoke(
            app, ["sandbox", "sage100", "init", "--size", "small", "--db", str(path)]
        )
        assert result.exit_code == 0, result.output
        assert "AR_Customer" in result.output
    assert dump(first) == dump(second)
