"""Each main flow through the real pipeline: both seeded sandboxes polled into the ledger
(KashFlow over HTTP, Sage 100 over ODBC), masters linked as a confirmed reconcile would,
a change made in one system, then plan -> submit -> apply to the other system and poll
again. The change appears on the other side with the right fields and amounts; the next
plan writes nothing (our own write coming back is known: an echo); an edit flows as an
update of the same record, never a second one."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import psycopg
import pytest
from pipeline import Pipeline, about, link_masters
from sage100_fixtures import Clock

from canonical import Allocation, Customer, DocumentLine, Payment, PurchaseInvoice, SalesInvoice
from connectors.kashflow import KashFlowClient
from connectors.kashflow.resources import Documents
from connectors.sage100 import Sage100Reader
from ledgerbridge.cli import main
from sandbox.kashflow import SandboxServer
from writer.apply import Applier
from writer.intents import WriteIntent
from writer.plan import Plan
from writer.targets import Sage100Target

DAY = date(2026, 11, 2)


@pytest.fixture
def pipeline(
    ledger_url: str,
    company_db: Path,
    open_kashflow: Callable[[], KashFlowClient],
    kashflow: KashFlowClient,
    make_applier: Callable[..., Applier],
    clock: Clock,
) -> Iterator[Pipeline]:
    """Both sandboxes polled into the ledger once, their common masters linked."""
    line = Pipeline(
        ledger_url,
        f"DRIVER=SQLite3;Database={company_db}",
        open_kashflow,
        kashflow,
        make_applier(),
        lambda: clock.advance(minutes=5),
    )
    line.poll()
    with psycopg.connect(ledger_url) as conn:
        link_masters(conn)
    yield line


def _rows(reader: Sage100Reader, sql: str, *params: str) -> list[dict[str, Any]]:
    return list(reader.rows(sql, params))


def _ledger(url: str, sql: str, *params: str) -> list[tuple[Any, ...]]:
    with psycopg.connect(url) as conn:
        return conn.execute(sql, params).fetchall()


def _links(url: str, entity: str) -> set[tuple[str, str]]:
    sql = "SELECT kashflow_key, sage100_key FROM ledger.current_link WHERE entity = %s"
    return {(k, s) for k, s in _ledger(url, f"{sql} AND method = 'created_by_us'", entity)}


def _lines(*lines: tuple[str, str, str]) -> tuple[DocumentLine, ...]:
    """Document lines of (nominal, net, VAT rate)."""
    built = []
    for number, (nominal, net, rate) in enumerate(lines, start=1):
        tax = (Decimal(net) * Decimal(rate) / 100).quantize(Decimal("0.01"))
        built.append(
            DocumentLine(
                line_no=number, description=f"End to end {number}", unit_price=Decimal(net),
                net_amount=Decimal(net), tax_rate=Decimal(rate), tax_amount=tax,
                gl_account=nominal,
            )
        )  # fmt: skip
    return tuple(built)


def _document(key: str, lines: tuple[DocumentLine, ...]) -> dict[str, Any]:
    """A KashFlow invoice's or purchase's fields but its party."""
    return {
        "system": "kashflow", "key": key, "issue_date": DAY, "due_date": date(2026, 12, 2),
        "reference": f"E2E-{key}", "lines": lines, **_totals(lines),
    }  # fmt: skip


def _totals(lines: tuple[DocumentLine, ...]) -> dict[str, Decimal]:
    net = sum((line.net_amount for line in lines), Decimal(0))
    tax = sum((line.tax_amount for line in lines), Decimal(0))
    return {"net_amount": net, "tax_amount": tax, "gross_amount": net + tax}


def _first_linked(url: str, entity: str) -> str:
    sql = "SELECT min(kashflow_key) FROM ledger.current_link WHERE entity = %s"
    [(key,)] = _ledger(url, sql, entity)
    return str(key)


def _documents(pipeline: Pipeline, document: SalesInvoice | PurchaseInvoice) -> Documents[Any]:
    """The KashFlow resource that holds `document`: invoices or purchases."""
    kashflow = pipeline.kashflow
    return kashflow.invoices if isinstance(document, SalesInvoice) else kashflow.purchases


def _created_in_kashflow(
    pipeline: Pipeline, document: SalesInvoice | PurchaseInvoice, *keys: str
) -> tuple[Plan, WriteIntent]:
    """Creates `document` in KashFlow, polls it, and plans: the one intent about it."""
    _documents(pipeline, document).create_record(document)
    pipeline.poll(f"kashflow:{document.entity}")
    plan = pipeline.plan()
    [posting] = about(plan, *keys)
    assert posting.operation == "create"
    return plan, posting


def test_customers_flow_both_ways_once_and_an_edit_updates(
    pipeline: Pipeline,
    kashflow: KashFlowClient,
    sage100_target: Sage100Target,
    reader: Sage100Reader,
    clock: Clock,
) -> None:
    kashflow.customers.create_record(
        Customer.build(
            system="kashflow", key="E2EK0001", name="End To End Ltd", email="ap@e2e.example"
        )
    )
    clock.advance(minutes=5)
    sage100_target.writer.write(
        Customer.build(
            system="sage100", key="01-E2ES0001", party_number="E2ES0001", name="Sage Side Ltd"
        )
    )
    pipeline.poll("kashflow:customer", "sage100:customer")

    plan = pipeline.plan()
    ours = ("E2EK0001", "01-E2EK0001", "E2ES0001", "01-E2ES0001")
    planned = about(plan, *ours)
    assert sorted((i.flow, i.operation, i.target_key) for i in planned) == [
        ("customer_to_kashflow", "create", "E2ES0001"),
        ("customer_to_sage100", "create", "01-E2EK0001"),
    ]
    report = pipeline.apply(plan, planned)
    assert (report.succeeded, report.dead_lettered) == (2, 0)

    [sage] = _rows(
        reader,
        "SELECT CustomerName, EmailAddress, SalespersonNo FROM AR_Customer"
        " WHERE ARDivisionNo = '01' AND CustomerNo = ?",
        "E2EK0001",
    )
    assert (sage["CustomerName"], sage["EmailAddress"]) == ("End To End Ltd", "ap@e2e.example")
    assert sage["SalespersonNo"] == "0001", "the rules' enrichment reached Sage 100"
    made = kashflow.customers.find("E2ES0001")
    assert made is not None and made["Name"] == "Sage Side Ltd"
    assert {("E2EK0001", "01-E2EK0001"), ("E2ES0001", "01-E2ES0001")} <= _links(
        pipeline.url, "customer"
    )

    pipeline.poll("kashflow:customer", "sage100:customer")
    assert about(pipeline.plan(), *ours) == [], "our own writes came back as changes"

    edited = kashflow.customers.read("E2EK0001").model_copy(update={"name": "End To End Group"})
    kashflow.customers.update_record(edited)
    pipeline.poll("kashflow:customer")
    plan = pipeline.plan()
    [update] = about(plan, *ours)
    assert (update.flow, update.operation, update.target_key) == (
        "customer_to_sage100",
        "update",
        "01-E2EK0001",
    )
    assert pipeline.apply(plan, [update]).succeeded == 1
    named = _rows(reader, "SELECT CustomerName FROM AR_Customer WHERE CustomerNo = ?", "E2EK0001")
    assert named == [{"CustomerName": "End To End Group"}], "an update, not a second customer"

    pipeline.poll("kashflow:customer", "sage100:customer")
    assert about(pipeline.plan(), *ours) == []


def _posted_to_sage100(pipeline: Pipeline, key: str) -> tuple[SalesInvoice, WriteIntent]:
    """A new KashFlow invoice `key` of the first linked customer (150.00 net, 22.50 VAT
    over two lines), polled, planned and posted to Sage 100: the invoice and its intent."""
    customer = _first_linked(pipeline.url, "customer")
    lines = _lines(("4000", "100.00", "20"), ("4010", "50.00", "5"))
    invoice = SalesInvoice.build(customer_key=customer, **_document(key, lines))
    plan, posting = _created_in_kashflow(pipeline, invoice, key, key.zfill(7))
    assert pipeline.apply(plan, [posting]).succeeded == 1
    return invoice, posting


def test_a_kashflow_invoice_and_its_receipt_post_to_sage100_ar_once(
    pipeline: Pipeline, kashflow: KashFlowClient, reader: Sage100Reader
) -> None:
    invoice, posting = _posted_to_sage100(pipeline, "95001")
    customer = invoice.customer_key
    assert (posting.flow, posting.target_key) == ("sales_invoice_to_sage100", "0095001")
    [header] = _rows(
        reader,
        "SELECT CustomerNo, TaxableSalesAmt, NonTaxableSalesAmt, SalesTaxAmt, SalespersonNo"
        " FROM AR_InvoiceHistoryHeader WHERE InvoiceNo = ?",
        "0095001",
    )
    assert header["CustomerNo"] == customer
    assert Decimal(str(header["SalesTaxAmt"])) == Decimal("22.50")
    assert Decimal(str(header["TaxableSalesAmt"])) + Decimal(
        str(header["NonTaxableSalesAmt"])
    ) == Decimal("150.00")
    assert header["SalespersonNo"] == "0001"
    [open_item] = _rows(reader, "SELECT Balance FROM AR_OpenInvoice WHERE InvoiceNo = ?", "0095001")
    assert Decimal(str(open_item["Balance"])) == Decimal("172.50")
    assert ("95001", "0095001") in _links(pipeline.url, "sales_invoice")

    pipeline.poll("sage100:sales_invoice", "kashflow:sales_invoice")
    assert about(pipeline.plan(), "95001", "0095001") == [], "written back, or twice"

    kashflow.payments.record(
        Payment.build(
            system="kashflow", key="E2E-R95001", kind="receipt", counterparty_key=customer,
            payment_date=date(2026, 11, 5), amount=Decimal("172.50"), method="BACS",
            bank_account="1200", reference="E2E-R95001",
            allocations=(Allocation(invoice_key="95001", amount=Decimal("172.50")),),
        )
    )  # fmt: skip
    pipeline.poll("kashflow:sales_invoice")
    plan = pipeline.plan()
    receipts = [
        i
        for i in plan.intents
        if i.flow == "receipt_to_sage100"
        and any(a.invoice_key == "0095001" for a in i.record.allocations)
    ]
    assert [i.operation for i in receipts] == ["create"]
    assert about(plan, "95001", "0095001") == [], "a payment is not an edit of the invoice"
    assert pipeline.apply(plan, receipts).succeeded == 1
    [applied] = _rows(
        reader,
        "SELECT CustomerNo, CashAmountApplied FROM AR_CashReceiptsHistory WHERE InvoiceNo = ?",
        "0095001",
    )
    assert (applied["CustomerNo"], Decimal(str(applied["CashAmountApplied"]))) == (
        customer,
        Decimal("172.50"),
    )
    [open_item] = _rows(reader, "SELECT Balance FROM AR_OpenInvoice WHERE InvoiceNo = ?", "0095001")
    assert Decimal(str(open_item["Balance"])) == Decimal("0.00")

    pipeline.poll()
    again = pipeline.plan()
    assert about(again, "95001", "0095001") == [], "Sage's paid status echoed back to KashFlow"
    assert [i for i in again.intents if i.flow == "receipt_to_sage100" and i in receipts] == []
    assert len(kashflow.invoices.payment_lines(95001)) == 1


def _customer_balance(reader: Sage100Reader, customer: str) -> Decimal:
    [row] = _rows(
        reader, "SELECT CurrentBalance FROM AR_Customer WHERE ARDivisionNo = '01'"
        " AND CustomerNo = ?", customer,
    )  # fmt: skip
    return Decimal(str(row["CurrentBalance"]))


def _open_balance(reader: Sage100Reader, invoice_no: str) -> Decimal:
    [row] = _rows(reader, "SELECT Balance FROM AR_OpenInvoice WHERE InvoiceNo = ?", invoice_no)
    return Decimal(str(row["Balance"]))


def _edited_in_kashflow(
    pipeline: Pipeline, document: SalesInvoice | PurchaseInvoice, lines: tuple[DocumentLine, ...]
) -> tuple[Plan, WriteIntent]:
    """Edits `document` in KashFlow, polls and plans: the one intent about it."""
    edited = document.model_copy(update={"lines": lines, **_totals(lines)})
    _documents(pipeline, edited).update_record(edited)
    pipeline.poll(f"kashflow:{document.entity}")
    plan = pipeline.plan()
    [adjustment] = about(plan, document.key)
    return plan, adjustment


def test_an_edit_of_a_posted_invoice_posts_the_difference_as_a_credit_or_debit_memo_once(
    pipeline: Pipeline, reader: Sage100Reader, sage100_target: Sage100Target
) -> None:
    invoice = _posted_to_sage100(pipeline, "95101")[0]
    pipeline.poll("sage100:sales_invoice", "kashflow:sales_invoice")
    customer = invoice.customer_key
    owed = _customer_balance(reader, customer)

    # Down by 20.00 net and 4.00 VAT on the first line: a credit memo applied to 0095101.
    lowered = _lines(("4000", "80.00", "20"), ("4010", "50.00", "5"))
    plan, credit = _edited_in_kashflow(pipeline, invoice, lowered)
    assert (credit.operation, dict(credit.native_fields)) == (
        "create",
        {"InvoiceType": "CM", "ApplyToInvoiceNo": "0095101"},
    )
    assert pipeline.apply(plan, [credit]).succeeded == 1
    [header] = _rows(
        reader,
        "SELECT InvoiceType, ApplyToInvoiceNo, CustomerNo, TaxableSalesAmt, SalesTaxAmt"
        " FROM AR_InvoiceHistoryHeader WHERE InvoiceNo = ?",
        credit.target_key,
    )
    assert (header["InvoiceType"], header["ApplyToInvoiceNo"], header["CustomerNo"]) == (
        "CM", "0095101", customer,
    )  # fmt: skip
    assert Decimal(str(header["TaxableSalesAmt"])) == Decimal("-20.00")
    assert Decimal(str(header["SalesTaxAmt"])) == Decimal("-4.00")
    [detail] = _rows(
        reader, "SELECT ExtensionAmt, TaxAmt FROM AR_InvoiceHistoryDetail WHERE InvoiceNo = ?",
        credit.target_key,
    )  # fmt: skip
    assert (Decimal(str(detail["ExtensionAmt"])), Decimal(str(detail["TaxAmt"]))) == (
        Decimal("-20.00"), Decimal("-4.00"),
    )  # fmt: skip
    assert _open_balance(reader, "0095101") == Decimal("148.50")
    assert (
        _rows(reader, "SELECT * FROM AR_OpenInvoice WHERE InvoiceNo = ?", credit.target_key) == []
    )
    assert _customer_balance(reader, customer) == owed - Decimal("24.00")

    # Exactly once: applying again writes nothing; after an uncertain outcome the search
    # finds the memo under its number.
    assert pipeline.applier.apply([credit.idempotency_key]).succeeded == 0
    assert sage100_target.find("create", credit.record) == credit.target_key
    assert len(_rows(reader, "SELECT 1 FROM AR_InvoiceHistoryHeader WHERE ApplyToInvoiceNo = ?",
                     "0095101")) == 1  # fmt: skip

    # Read back: neither the memo nor the lower balance of 0095101 is written anywhere.
    pipeline.poll("sage100:sales_invoice", "kashflow:sales_invoice")
    assert about(pipeline.plan(), "95101", "0095101", credit.target_key) == [], "an echo"

    # Up again, past the first posting: a debit memo for the difference.
    raised = _lines(("4000", "130.00", "20"), ("4010", "50.00", "5"))
    plan, debit = _edited_in_kashflow(pipeline, invoice, raised)
    assert dict(debit.native_fields)["InvoiceType"] == "DM"
    assert debit.target_key != credit.target_key
    assert pipeline.apply(plan, [debit]).succeeded == 1
    [header] = _rows(
        reader, "SELECT TaxableSalesAmt, SalesTaxAmt FROM AR_InvoiceHistoryHeader"
        " WHERE InvoiceNo = ?", debit.target_key,
    )  # fmt: skip
    assert (Decimal(str(header["TaxableSalesAmt"])), Decimal(str(header["SalesTaxAmt"]))) == (
        Decimal("50.00"), Decimal("10.00"),
    )  # fmt: skip
    assert _open_balance(reader, "0095101") == Decimal("208.50")
    pipeline.poll("sage100:sales_invoice", "kashflow:sales_invoice")
    assert about(pipeline.plan(), "95101", "0095101", debit.target_key) == []


def test_a_kashflow_purchase_posts_to_sage100_ap_once_and_an_edit_as_an_adjustment_once(
    pipeline: Pipeline, reader: Sage100Reader, sage100_target: Sage100Target
) -> None:
    supplier = _first_linked(pipeline.url, "supplier")
    lines = _lines(("5010", "200.00", "20"), ("7502", "40.00", "0"))
    purchase = PurchaseInvoice.build(supplier_key=supplier, **_document("96001", lines))
    plan, posting = _created_in_kashflow(pipeline, purchase, "96001")
    assert posting.flow == "purchase_to_sage100"
    assert pipeline.apply(plan, [posting]).succeeded == 1
    query = (
        "SELECT InvoiceAmt, SalesTaxAmt, TaxableAmt, NonTaxableAmt FROM AP_InvoiceHeader"
        " WHERE VendorNo = ? AND InvoiceNo LIKE '%96001'"
    )
    [header] = _rows(reader, query, supplier)
    assert Decimal(str(header["InvoiceAmt"])) == Decimal("280.00")
    assert Decimal(str(header["SalesTaxAmt"])) == Decimal("40.00")
    assert ("96001", posting.target_key) in _links(pipeline.url, "purchase_invoice")

    pipeline.poll("sage100:purchase_invoice", "kashflow:purchase_invoice")
    assert about(pipeline.plan(), "96001", posting.target_key) == []

    owed = _vendor_balance(reader, supplier)

    # Up by 50.00 net and 10.00 VAT on the first line: an adjustment applied to 96001.
    plan, up = _edited_in_kashflow(
        pipeline, purchase, _lines(("5010", "250.00", "20"), ("7502", "40.00", "0"))
    )
    assert (up.operation, dict(up.native_fields)) == (
        "create",
        {"InvoiceType": "AD", "ApplyToInvoiceNo": "96001"},
    )
    assert pipeline.apply(plan, [up]).succeeded == 1
    adjustment_no = up.target_key.rpartition("|")[2]
    [header] = _rows(
        reader,
        "SELECT InvoiceType, ApplyToInvoiceNo, InvoiceAmt, SalesTaxAmt FROM AP_InvoiceHeader"
        " WHERE VendorNo = ? AND InvoiceNo = ?",
        supplier,
        adjustment_no,
    )
    assert (header["InvoiceType"], header["ApplyToInvoiceNo"]) == ("AD", "96001")
    assert (Decimal(str(header["InvoiceAmt"])), Decimal(str(header["SalesTaxAmt"]))) == (
        Decimal("60.00"), Decimal("10.00"),
    )  # fmt: skip
    assert _ap_open_balance(reader, supplier, "96001") == Decimal("340.00")
    assert _vendor_balance(reader, supplier) == owed + Decimal("60.00")
    assert _rows(
        reader, "SELECT 1 FROM AP_OpenInvoice WHERE VendorNo = ? AND InvoiceNo = ?",
        supplier, adjustment_no,
    ) == []  # fmt: skip

    # Exactly once: applying again writes nothing; after an uncertain outcome the search
    # finds the adjustment under its number.
    assert pipeline.applier.apply([up.idempotency_key]).succeeded == 0
    assert sage100_target.find("create", up.record) == up.target_key
    adjustments = "SELECT 1 FROM AP_InvoiceHeader WHERE VendorNo = ? AND ApplyToInvoiceNo = ?"
    assert len(_rows(reader, adjustments, supplier, "96001")) == 1
    assert len(_rows(reader, query, supplier)) == 1, "an edit never makes a second A/P invoice"

    # Read back: neither the adjustment nor the higher balance is written anywhere.
    pipeline.poll("sage100:purchase_invoice", "kashflow:purchase_invoice")
    assert about(pipeline.plan(), "96001", posting.target_key, up.target_key) == [], "an echo"

    # Down, below the first posting: an adjustment of what Sage holds (posting + the first).
    plan, down = _edited_in_kashflow(
        pipeline, purchase, _lines(("5010", "180.00", "20"), ("7502", "40.00", "0"))
    )
    assert down.target_key != up.target_key
    assert isinstance(down.record, PurchaseInvoice)
    assert down.record.gross_amount == Decimal("-84.00")
    assert pipeline.apply(plan, [down]).succeeded == 1
    assert _ap_open_balance(reader, supplier, "96001") == Decimal("256.00")
    assert _vendor_balance(reader, supplier) == owed - Decimal("24.00")
    pipeline.poll()
    again = pipeline.plan()
    assert about(again, "96001", posting.target_key, up.target_key, down.target_key) == []
    assert _supplier_payment_intents(again, "96001", posting.target_key) == [], (
        "the lower balance is not taken for a payment"
    )


def _vendor_balance(reader: Sage100Reader, vendor_no: str) -> Decimal:
    [row] = _rows(
        reader, "SELECT BalanceDue FROM AP_Vendor WHERE APDivisionNo = '01' AND VendorNo = ?",
        vendor_no,
    )  # fmt: skip
    return Decimal(str(row["BalanceDue"]))


def _ap_open_balance(reader: Sage100Reader, vendor_no: str, invoice_no: str) -> Decimal:
    [row] = _rows(
        reader, "SELECT Balance FROM AP_OpenInvoice WHERE VendorNo = ? AND InvoiceNo = ?",
        vendor_no, invoice_no,
    )  # fmt: skip
    return Decimal(str(row["Balance"]))


def _order_with_linked_customer(url: str) -> tuple[str, str]:
    """A Sage 100 sales order of a customer linked to KashFlow: (order no, KashFlow code)."""
    sql = (
        "SELECT r.native_key, l.kashflow_key FROM ledger.current_record AS r"
        " JOIN ledger.current_link AS l ON l.entity = 'customer'"
        " AND l.sage100_key = r.payload->>'customer_key'"
        " WHERE r.system = 'sage100' AND r.entity = 'order_status'"
        " ORDER BY r.native_key LIMIT 1"
    )
    [(order_no, customer)] = _ledger(url, sql)
    return str(order_no), str(customer)


def _ship_in_sage(company_db: Path, order_no: str, clock: Clock) -> None:
    """A Sage 100 user ships the order (status S, ship date), stamped as Sage stamps."""
    now = clock.advance(minutes=1)
    hours = now.hour + now.minute / 60 + now.second / 3600
    with sqlite3.connect(company_db) as sage:
        sage.execute(
            "UPDATE SO_SalesOrderHeader SET OrderStatus = 'S', ShipExpireDate = ?,"
            " DateUpdated = ?, TimeUpdated = ? WHERE SalesOrderNo = ?",
            ("2026-11-04", now.date().isoformat(), f"{hours:.5f}", order_no),
        )


def test_a_sage_order_status_shows_on_the_kashflow_quote_of_its_number_once(
    pipeline: Pipeline, kashflow: KashFlowClient, company_db: Path, clock: Clock
) -> None:
    order_no, customer = _order_with_linked_customer(pipeline.url)
    quote_no = int(order_no)
    nominal = kashflow.invoices.get(next(kashflow.invoices.list(perpage=1))["Number"])
    kashflow.quotes.create(
        {"Number": quote_no, "CustomerCode": customer, "IssuedDate": "2026-10-01 12:00:00",
         "LineItems": [{"Description": "Quoted", "Quantity": 1, "Rate": 10,
                        "NominalCode": nominal["LineItems"][0]["NominalCode"]}]}
    )  # fmt: skip
    plan = pipeline.plan()
    [first] = about(plan, order_no)
    assert (first.flow, first.target_system, first.target_key) == (
        "order_status_to_kashflow", "kashflow", str(quote_no),
    )  # fmt: skip
    assert pipeline.apply(plan, [first]).succeeded == 1
    was = first.record.status
    assert kashflow.quotes.get(quote_no)["Category"]["Name"] == f"Sage order: {was}".replace(
        "_", " "
    )

    _ship_in_sage(company_db, order_no, clock)
    pipeline.poll("sage100:order_status")
    plan = pipeline.plan()
    [shipped] = about(plan, order_no)
    assert (shipped.operation, shipped.record.status) == ("update", "shipped")
    assert pipeline.apply(plan, [shipped]).succeeded == 1
    category = kashflow.quotes.get(quote_no)["Category"]
    assert (category["Name"], category["IconType"], category["IconColor"]) == (
        "Sage order: shipped", "marker", "green",
    )  # fmt: skip
    assert kashflow.quotes.get(quote_no)["CustomerReference"] is None, "nothing else changed"

    pipeline.poll()
    assert about(pipeline.plan(), order_no, str(quote_no)) == [], "written again"
    names = [c["Name"] for c in kashflow.quotes.categories()]
    assert names.count("Sage order: shipped") == 1, "one category per status"


def test_the_users_path_is_sync_once_then_apply(
    monkeypatch: pytest.MonkeyPatch,
    ledger_url: str,
    company_db: Path,
    server: SandboxServer,
    kashflow: KashFlowClient,
    reader: Sage100Reader,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    for name, value in {
        "LEDGERBRIDGE_CONFIG": str(tmp_path / "absent.toml"),
        "DATABASE_URL": ledger_url,
        "LEDGERBRIDGE_SAGE100__ODBC_CONNECTION_STRING": f"DRIVER=SQLite3;Database={company_db}",
        "LEDGERBRIDGE_KASHFLOW__BASE_URL": server.base_url,
        "LEDGERBRIDGE_KASHFLOW__REQUESTS_PER_SECOND": "500",
        "COLUMNS": "200",
    }.items():
        monkeypatch.setenv(name, value)

    def run(*args: str) -> tuple[int, str]:
        try:
            main(list(args))
            code = 0
        except SystemExit as exited:
            code = int(exited.code or 0)
        return code, capsys.readouterr().out

    def intents_about(key: str) -> list[str]:
        sql = "SELECT idempotency_key FROM ledger.write_intent WHERE %s IN (source_key, target_key)"
        return [k for (k,) in _ledger(ledger_url, sql, key)]

    code, out = run("sync", "--once")
    assert code == 0 and "planned:" in out, out
    with psycopg.connect(ledger_url) as conn:
        link_masters(conn)  # as `ledgerbridge reconcile`, its matches confirmed, would
    kashflow.customers.create_record(
        Customer.build(system="kashflow", key="USER0001", name="Users Path Ltd")
    )
    code, out = run("sync", "--once")
    assert code == 0, out
    assert intents_about("USER0001") == ["customer_to_sage100:kashflow:customer:USER0001:v1"]

    code, out = run("apply")
    assert "succeeded" in out, out
    [made] = _rows(
        reader,
        "SELECT CustomerName, SalespersonNo FROM AR_Customer WHERE CustomerNo = ?",
        "USER0001",
    )
    assert made == {"CustomerName": "Users Path Ltd", "SalespersonNo": "0001"}

    code, out = run("sync", "--once")
    assert code == 0, out
    assert intents_about("USER0001") == ["customer_to_sage100:kashflow:customer:USER0001:v1"]
    assert intents_about("01-USER0001") == intents_about("USER0001"), "the echo was planned"


def _stock_intents(plan: Plan, product: str) -> list[Any]:
    return [
        i
        for i in plan.intents
        if i.flow == "stock_to_kashflow" and getattr(i.record, "product_key", None) == product
    ]


def test_sage100_stock_on_hand_shows_as_the_kashflow_products_stock_level_once(
    pipeline: Pipeline, sage100_target: Sage100Target, reader: Sage100Reader, clock: Clock
) -> None:
    sql = (
        "SELECT l.kashflow_key FROM ledger.current_link AS l JOIN ledger.current_record AS r"
        " ON r.system = 'kashflow' AND r.entity = 'product' AND r.native_key = l.kashflow_key"
        " WHERE l.entity = 'product' AND (r.payload ->> 'track_stock')::boolean"
        " ORDER BY l.kashflow_key LIMIT 1"
    )
    [(product,)] = _ledger(pipeline.url, sql)
    clock.advance(minutes=5)
    sage100_target.writer.adjust_stock(product, "000", Decimal(7), DAY)
    sql = "SELECT QuantityOnHand FROM IM_ItemWarehouse WHERE ItemCode = ? AND WarehouseCode = ?"
    on_hand = Decimal(str(_rows(reader, sql, product, "000")[0]["QuantityOnHand"]))
    pipeline.poll("sage100:stock_level")

    plan = pipeline.plan()
    [level] = _stock_intents(plan, product)
    assert (level.operation, level.record.quantity_on_hand) == ("update", on_hand)
    report = pipeline.apply(plan, [level])
    assert (report.succeeded, report.dead_lettered) == (1, 0), report
    held = pipeline.kashflow.products.get(product)
    assert Decimal(str(held["QuantityInStock"])) == on_hand
    renamed = pipeline.kashflow.products.read(product).model_copy(update={"name": "Renamed"})
    pipeline.kashflow.products.update_record(renamed)
    held = pipeline.kashflow.products.get(product)
    assert Decimal(str(held["QuantityInStock"])) == on_hand, "a product update kept its stock"

    pipeline.poll("sage100:stock_level", "kashflow:product")
    assert _stock_intents(pipeline.plan(), product) == [], "a level written is written once"


def _posted_purchase(pipeline: Pipeline, number: str) -> tuple[str, str]:
    """A KashFlow purchase of the first linked supplier, posted to Sage 100 and read back
    on both sides: (supplier code, the A/P invoice's key)."""
    supplier = _first_linked(pipeline.url, "supplier")
    lines = _lines(("5010", "200.00", "20"), ("7502", "40.00", "0"))
    purchase = PurchaseInvoice.build(supplier_key=supplier, **_document(number, lines))
    plan, posting = _created_in_kashflow(pipeline, purchase, number)
    assert pipeline.apply(plan, [posting]).succeeded == 1
    pipeline.poll("sage100:purchase_invoice", "kashflow:purchase_invoice")
    return supplier, posting.target_key


def _supplier_payment_intents(plan: Plan, *invoice_keys: str) -> list[WriteIntent]:
    """Planned supplier payments either way that pay any of `invoice_keys`."""
    flows = ("supplier_payment_to_sage100", "supplier_paid_status_to_kashflow")
    return [
        i
        for i in plan.intents
        if i.flow in flows
        and isinstance(i.record, Payment)
        and any(a.invoice_key in invoice_keys for a in i.record.allocations)
    ]


def test_a_kashflow_supplier_payment_lands_in_sage100_check_history_once(
    pipeline: Pipeline, kashflow: KashFlowClient, reader: Sage100Reader
) -> None:
    supplier, ap_key = _posted_purchase(pipeline, "96101")
    [made] = kashflow.payments.record(
        Payment.build(
            system="kashflow", key="E2E-P96101", kind="supplier_payment",
            counterparty_key=supplier, payment_date=date(2026, 11, 5), amount=Decimal("280.00"),
            method="BACS", bank_account="1200", reference="E2E-P96101",
            allocations=(Allocation(invoice_key="96101", amount=Decimal("280.00")),),
        )
    )  # fmt: skip
    pipeline.poll("kashflow:purchase_invoice")
    plan = pipeline.plan()
    [posting] = _supplier_payment_intents(plan, ap_key, "96101")
    assert (posting.flow, posting.source_key) == ("supplier_payment_to_sage100", made.key)
    assert pipeline.apply(plan, [posting]).succeeded == 1

    query = (
        "SELECT h.BankCode, h.CheckNo, h.CheckAmt, h.CheckDate, d.AmountPaid"
        " FROM AP_CheckHistoryHeader h JOIN AP_CheckHistoryDetail d ON d.BankCode = h.BankCode"
        " AND d.CheckNo = h.CheckNo AND d.CheckSeqNo = h.CheckSeqNo"
        " WHERE d.VendorNo = ? AND d.InvoiceNo = ?"
    )
    [check] = _rows(reader, query, supplier, "96101")
    assert (check["BankCode"], check["CheckNo"]) == ("A", made.key)
    assert Decimal(str(check["CheckAmt"])) == Decimal(str(check["AmountPaid"])) == Decimal("280")
    assert check["CheckDate"] == date(2026, 11, 5)
    [open_item] = _rows(
        reader,
        "SELECT Balance FROM AP_OpenInvoice WHERE VendorNo = ? AND InvoiceNo = ?",
        supplier, "96101",
    )  # fmt: skip
    assert Decimal(str(open_item["Balance"])) == Decimal(0)
    assert (made.key, f"CHECK|A|{made.key}|000000") in _links(pipeline.url, "payment")

    pipeline.poll()
    again = pipeline.plan()
    assert _supplier_payment_intents(again, ap_key, "96101") == [], "posted twice, or echoed"
    pipeline.apply(again, again.intents)
    assert len(_rows(reader, query, supplier, "96101")) == 1
    assert len(kashflow.purchases.payment_lines(96101)) == 1


def test_a_sage100_manual_check_reaches_kashflow_as_one_purchase_payment(
    pipeline: Pipeline, kashflow: KashFlowClient, reader: Sage100Reader, session: Any, clock: Clock
) -> None:
    supplier, ap_key = _posted_purchase(pipeline, "96201")
    clock.advance(minutes=5)
    check = session.open_object("AP_ManualCheck_bus")  # a Sage user's Manual Check Entry
    assert check.nSetKeyValue("BankCode$", "A") == 1
    assert check.nSetKeyValue("CheckNo$", "M96201") == 1
    assert check.nSetKey() == 2
    assert check.nSetValue("VendorNo$", supplier) == 1, check.sLastErrorMsg
    assert check.nSetValue("CheckDate$", "20261106") == 1
    assert check.oLines.nAddLine() == 1
    assert check.oLines.nSetValue("InvoiceNo$", "96201") == 1
    assert check.oLines.nSetValue("AmountPaid", 100) == 1
    assert check.oLines.nWrite() == 1
    assert check.nWrite() == 1, check.sLastErrorMsg
    pipeline.poll("sage100:purchase_invoice", "sage100:supplier_payment")

    plan = pipeline.plan()
    [payment] = _supplier_payment_intents(plan, ap_key, "96201")
    assert (payment.flow, payment.source_key) == (
        "supplier_paid_status_to_kashflow",
        "CHECK|A|M96201|000000",
    )
    assert pipeline.apply(plan, [payment]).succeeded == 1
    [line] = kashflow.purchases.payment_lines(96201)
    [paid] = [
        p
        for p in kashflow.payments.of_document("supplier_payment", 96201)
        if p.key == f"P{line['Id']}"
    ]
    assert (paid.amount, paid.payment_date, paid.reference) == (
        Decimal(100),
        date(2026, 11, 6),
        "Sage check M96201",
    )

    pipeline.poll()
    again = pipeline.plan()
    assert _supplier_payment_intents(again, ap_key, "96201") == [], "posted twice, or echoed"
    pipeline.apply(again, again.intents)
    assert len(kashflow.purchases.payment_lines(96201)) == 1
    checks = "SELECT CheckNo FROM AP_CheckHistoryDetail WHERE VendorNo = ? AND InvoiceNo = ?"
    assert [r["CheckNo"] for r in _rows(reader, checks, supplier, "96201")] == ["M96201"]
