"""Applying intents to Sage 100 through the BOI emulator, searched over ODBC: dependencies
first, each record once, each error class with its documented outcome, dead letters that
land once when retried after the fix, and approvals that hold a write until given."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import psycopg
import pytest
from sage100_fixtures import hold_customer

from canonical import (
    Allocation,
    CanonicalRecord,
    Customer,
    DocumentLine,
    Payment,
    Product,
    PurchaseInvoice,
    SalesInvoice,
)
from connectors.sage100 import Sage100Reader, Sage100Writer
from ledgerbridge.sage100_session import SandboxBOISession
from writer.apply import Applier
from writer.dead_letters import ask_retry, ask_retry_all, writer_dead_letters
from writer.intents import WriteIntent
from writer.outbox import (
    CALL_STARTED,
    STARTED,
    Step,
    append_steps,
    approve,
    awaiting_approval,
    intent_states,
    reject,
)

ApplierFactory = Callable[..., Applier]


def intent(
    record: CanonicalRecord, source_key: str, *, depends_on: tuple[str, ...] = (), **options: Any
) -> WriteIntent:
    return WriteIntent(
        flow=f"{record.entity}_to_sage100", target_system="sage100", operation="create",
        record=record, source_system="kashflow", source_entity=record.entity,
        source_key=source_key, source_version=1, depends_on=depends_on, **options,
    )  # fmt: skip


def customer(key: str = "01-WRIT0001", **changes: Any) -> Customer:
    fields: dict[str, Any] = {
        "system": "sage100", "key": key, "name": "Writer Test Ltd", "payment_terms_days": 30,
    }  # fmt: skip
    return Customer.build(**(fields | changes))


def invoice(number: str, customer_key: str, product: str = "MIR-00000", **changes: Any) -> Any:
    amount = Decimal(changes.pop("amount", 10))
    fields: dict[str, Any] = {
        "system": "sage100", "key": number, "customer_key": customer_key,
        "issue_date": date(2026, 11, 2), "due_date": date(2026, 11, 16),
        "lines": (DocumentLine(line_no=1, product_key=product, description="Mirror",
                               quantity=Decimal(1), unit_price=amount, net_amount=amount,
                               gl_account="4000-00-00"),),
        "net_amount": amount, "gross_amount": amount,
    }  # fmt: skip
    return SalesInvoice.build(**(fields | changes))


def receipt(number: str, customer_key: str, amount: Decimal = Decimal(10)) -> Payment:
    return Payment.build(
        system="sage100", key=f"R{number}", kind="receipt", counterparty_key=customer_key,
        payment_date=date(2026, 11, 3), amount=amount, reference=f"R{number}",
        allocations=(Allocation(invoice_key=number, amount=amount),),
    )  # fmt: skip


def count(reader: Sage100Reader, sql: str, *params: str) -> int:
    return len(list(reader.rows(sql, params)))


def invoices_numbered(reader: Sage100Reader, number: str) -> int:
    return count(
        reader, "SELECT InvoiceNo FROM AR_InvoiceHistoryHeader WHERE InvoiceNo = ?", number
    )


def steps(conn: psycopg.Connection[Any], key: str) -> list[tuple[int, str, str]]:
    rows = conn.execute(
        "SELECT attempt, recovery_point, status FROM ledger.write_outcome"
        " WHERE idempotency_key = %s ORDER BY outcome_id",
        (key,),
    ).fetchall()
    return [(a, p, s) for a, p, s in rows]


def test_customer_invoice_and_receipt_land_once_in_dependency_order(
    make_applier: ApplierFactory, reader: Sage100Reader, autocommit: psycopg.Connection[Any]
) -> None:
    new_customer = intent(customer(), "WRIT0001")
    new_invoice = intent(
        invoice("710001", "01-WRIT0001"), "710001", depends_on=(new_customer.idempotency_key,)
    )
    paid = intent(
        receipt("0710001", "01-WRIT0001"), "R710001", depends_on=(new_invoice.idempotency_key,)
    )
    applier = make_applier()
    # Submitted in the wrong order: the applier still writes the customer first.
    assert applier.submit([paid, new_invoice, new_customer]) == 3
    assert applier.submit([paid, new_invoice, new_customer]) == 0
    report = applier.apply()
    assert report.succeeded == 3 and report.dead_lettered == 0
    assert sorted(report.polls_requested) == [
        ("sage100", "customer"), ("sage100", "payment"), ("sage100", "sales_invoice"),
    ]  # fmt: skip
    assert invoices_numbered(reader, "0710001") == 1
    assert count(reader, "SELECT CheckNo FROM AR_CashReceiptsHistory WHERE CheckNo = ?",
                 "R0710001") == 1  # fmt: skip
    assert steps(autocommit, new_invoice.idempotency_key) == [
        (1, "started", "started"),
        (1, "call_started", "in_progress"),
        (1, "finished", "succeeded"),
    ]
    again = applier.apply()
    assert again.succeeded == 0 and again.counts() == {k: 0 for k in again.counts()}
    assert invoices_numbered(reader, "0710001") == 1


def test_an_invoice_waits_while_its_customer_cannot_be_written(
    make_applier: ApplierFactory,
    reader: Sage100Reader,
    company_db: Path,
    autocommit: psycopg.Connection[Any],
) -> None:
    other, held = hold_customer(company_db)
    renamed = intent(customer("01-HARB0000", name="Harbour Renamed"), "HARB0000")
    its_invoice = intent(
        invoice("710002", "01-HARB0000"), "710002", depends_on=(renamed.idempotency_key,)
    )
    applier = make_applier()
    applier.submit([renamed, its_invoice])
    report = applier.apply()
    assert report.failed_transient == 1 and report.succeeded == 0
    assert report.waiting_on_dependencies == 1
    assert invoices_numbered(reader, "0710002") == 0
    assert steps(autocommit, its_invoice.idempotency_key) == []  # waits, is not dropped
    held.nClear()
    other.close()
    report = applier.apply()
    assert report.succeeded == 2
    assert invoices_numbered(reader, "0710002") == 1
    assert [s[2] for s in steps(autocommit, renamed.idempotency_key)][-1] == "succeeded"


def test_a_locked_record_is_retried_with_backoff_in_the_same_apply(
    make_applier: ApplierFactory, company_db: Path, reader: Sage100Reader
) -> None:
    other, held = hold_customer(company_db)
    waits: list[float] = []

    def sleep(seconds: float) -> None:  # the other user lets go while we back off
        waits.append(seconds)
        held.nClear()

    applier = make_applier(sleep=sleep)
    applier.submit([intent(customer("01-HARB0000", name="Harbour Again"), "HARB0000")])
    assert applier.apply().succeeded == 1
    assert len(waits) == 1 and 0 < waits[0] <= 0.05
    other.close()


def test_a_lost_sage_connection_is_retried_and_the_invoice_lands_once(
    make_applier: ApplierFactory, session: SandboxBOISession, reader: Sage100Reader
) -> None:
    session.script.drop_connection()
    applier = make_applier(sleep=lambda seconds: session.script.restore_connection())
    applier.submit([intent(invoice("710003", "01-HARB0000"), "710003")])
    report = applier.apply()
    assert report.succeeded == 1
    assert invoices_numbered(reader, "0710003") == 1


def purchase(supplier: str, number: str, gl_account: str) -> PurchaseInvoice:
    """A 5.00 purchase invoice of one line to `gl_account`."""
    return PurchaseInvoice.build(
        system="sage100", key=f"{supplier}|{number}", supplier_key=supplier,
        issue_date=date(2026, 11, 2),
        lines=(DocumentLine(line_no=1, net_amount=Decimal(5), gl_account=gl_account),),
        net_amount=Decimal(5), gross_amount=Decimal(5),
    )  # fmt: skip


PERMANENT_CASES = {
    "unknown item": (
        invoice("710010", "01-HARB0000", product="NOSUCH-1"),
        "SageRefused", "ItemCode", "The ItemCode NOSUCH-1 is not on file.",
    ),
    "unknown customer (referential integrity)": (
        invoice("710011", "01-NOSUCH"),
        "SageRefused", "CustomerNo", "The CustomerNo 01-NOSUCH is not on file.",
    ),
    "missing vendor": (
        purchase("01-NOSUCH", "SUP-1", "7500-00-00"),
        "SageRefused", "VendorNo", "The VendorNo 01-NOSUCH is not on file.",
    ),
    "inactive G/L account": (
        purchase("01-RST0000", "SUP-2", "7900-00-00"),
        "SageRefused", "AccountKey", "The AccountKey 000000022 (7900-00-00) is inactive.",
    ),
    "value too long (type and width)": (
        customer("01-LONGNAME", name="N" * 60),
        "SageRefused", "CustomerName", None,
    ),
}  # fmt: skip


@pytest.mark.parametrize("case", list(PERMANENT_CASES))
def test_each_permanent_error_becomes_one_dead_letter_with_the_exact_message(
    case: str,
    make_applier: ApplierFactory,
    targets: dict[str, Any],
    reader: Sage100Reader,
    autocommit: psycopg.Connection[Any],
) -> None:
    record, error_type, field, message = PERMANENT_CASES[case]
    if case == "inactive G/L account":
        account = next(a for a in reader.read_all("gl_account") if a.key == "7900-00-00")
        targets["sage100"].writer.write(account.model_copy(update={"active": False}))
    applier = make_applier()
    applier.submit([intent(record, record.key)])
    report = applier.apply()
    assert report.dead_lettered == 1 and report.succeeded == 0
    [letter] = writer_dead_letters(autocommit)
    assert (letter.system, letter.entity, letter.error_type, letter.field) == (
        "sage100", record.entity, error_type, field,
    )  # fmt: skip
    if message is not None:
        assert letter.message.endswith(message)
    assert letter.now == "dead_letter"
    assert applier.apply().dead_lettered == 0  # parked: not tried again until asked
    alert = applier.alerter.sent[-1]
    assert alert["alert"] == "dead_letters" and alert["items"][0]["field"] == field


def test_a_dead_letter_retried_after_the_fix_lands_once(
    make_applier: ApplierFactory,
    targets: dict[str, Any],
    reader: Sage100Reader,
    autocommit: psycopg.Connection[Any],
) -> None:
    applier = make_applier()
    unknown_item = intent(invoice("710020", "01-HARB0000", product="NEW-ITEM"), "710020")
    applier.submit([unknown_item])
    assert applier.apply().dead_lettered == 1
    [letter] = writer_dead_letters(autocommit)
    # The cause is fixed in Sage: the item is set up.
    targets["sage100"].writer.write(
        Product.build(system="sage100", key="NEW-ITEM", name="New item", unit_price=10)
    )
    assert ask_retry(autocommit, letter.dead_letter_id, "tester") == unknown_item.idempotency_key
    assert writer_dead_letters(autocommit)[0].now == "pending"
    report = applier.apply()
    assert report.succeeded == 1
    assert invoices_numbered(reader, "0710020") == 1
    assert writer_dead_letters(autocommit)[0].now == "succeeded"
    assert ask_retry_all(autocommit, "tester") == []
    with pytest.raises(ValueError, match="landed since"):
        ask_retry(autocommit, letter.dead_letter_id, "tester")
    assert applier.apply().succeeded == 0
    assert invoices_numbered(reader, "0710020") == 1
    assert [s[0] for s in steps(autocommit, unknown_item.idempotency_key)] == [1, 1, 1, 2, 2, 2]


def test_an_intent_over_the_threshold_waits_for_approval_and_a_rejected_one_never_posts(
    make_applier: ApplierFactory, reader: Sage100Reader, autocommit: psycopg.Connection[Any]
) -> None:
    big = intent(invoice("710030", "01-HARB0000", amount=9000), "710030", requires_approval=True)
    bigger = intent(
        invoice("710031", "01-HARB0000", amount=12000), "710031", requires_approval=True
    )
    applier = make_applier()
    applier.submit([big, bigger])
    report = applier.apply()
    assert report.awaiting_approval == 2 and report.succeeded == 0
    assert [s.idempotency_key for s in awaiting_approval(autocommit)] == [
        big.idempotency_key, bigger.idempotency_key,
    ]  # fmt: skip
    assert invoices_numbered(reader, "0710030") == 0
    approve(autocommit, big.idempotency_key, "controller")
    reject(autocommit, bigger.idempotency_key, "controller", "not ours")
    report = applier.apply()
    assert (report.succeeded, report.rejected, report.awaiting_approval) == (1, 1, 0)
    assert invoices_numbered(reader, "0710030") == 1
    assert invoices_numbered(reader, "0710031") == 0
    again = applier.apply()
    assert (again.succeeded, again.rejected) == (0, 0)
    assert invoices_numbered(reader, "0710030") == 1
    stages = {s.idempotency_key: s.stage for s in intent_states(autocommit)}
    assert stages == {big.idempotency_key: "succeeded", bigger.idempotency_key: "rejected"}


def test_a_supplier_payment_a_killed_attempt_posted_is_found_not_posted_again(
    make_applier: ApplierFactory,
    writer: Sage100Writer,
    reader: Sage100Reader,
    autocommit: psycopg.Connection[Any],
) -> None:
    [open_invoice] = [
        i
        for i in reader.read_all("purchase_invoice")
        if isinstance(i, PurchaseInvoice) and i.amount_open > 5
    ][:1]
    payment = Payment.build(
        system="sage100", key=f"NEW|{open_invoice.supplier_key}|P990001",
        kind="supplier_payment", counterparty_key=open_invoice.supplier_key,
        payment_date=date(2026, 11, 3), amount=Decimal(5), bank_account="A",
        reference="P990001", allocations=(Allocation(invoice_key=open_invoice.key,
                                                     amount=Decimal(5)),),
    )  # fmt: skip
    paid = intent(payment, "P990001")
    applier = make_applier()
    applier.submit([paid])
    # An earlier attempt reached the call and was killed before its outcome was stored.
    key = paid.idempotency_key
    append_steps(
        autocommit, [Step(key, 1, STARTED, "started"), Step(key, 1, CALL_STARTED, "in_progress")]
    )
    assert writer.write(payment) == "CHECK|A|P990001|000000"
    report = applier.apply()
    assert (report.succeeded, report.found_after_uncertain) == (1, 1)
    assert report.polls_requested == [("sage100", "supplier_payment")]
    checks = "SELECT CheckNo FROM AP_CheckHistoryHeader WHERE CheckNo = ?"
    assert count(reader, checks, "P990001") == 1
    [(written,)] = autocommit.execute(
        "SELECT target_key FROM ledger.write_outcome WHERE idempotency_key = %s"
        " AND status = 'succeeded'",
        (paid.idempotency_key,),
    ).fetchall()
    assert written == "CHECK|A|P990001|000000"
