"""Sales invoices and receipts, KashFlow -> Sage 100, and Sage 100 paid status -> KashFlow,
planned over a ledger read from both sandboxes: the intents carry the right customer,
accounts, tax and totals; planning again plans nothing; an edit of a posted invoice plans
a credit or debit memo for the difference (or is refused in one line); our own
writes coming back plan nothing."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import psycopg
import pytest
from documents import invoice_of, vat_line
from writer_outbox import apply_in_ledger, mark_succeeded

from canonical import Allocation, Customer, Payment, SalesInvoice
from ledger import NewVersion, append_versions, current
from writer.dead_letters import ask_retry, writer_dead_letters
from writer.intents import WriteIntent
from writer.outbox import record_intents
from writer.plan import Plan, plan_all, submit_plan
from writer.rules import Rules, load_rules

RULES = load_rules()


def _rec(intent: WriteIntent) -> Any:
    """The record an intent writes, any type (the tests know which)."""
    return intent.record


DAY = date(2026, 11, 2)


def _plan(conn: psycopg.Connection[Any], rules: Rules = RULES, **options: Any) -> Plan:
    return plan_all(conn, rules, approval_threshold=Decimal(5000), **options)


def _about(plan: Plan, *source_keys: str) -> list[Any]:
    return [i for i in plan.intents if i.source_key in source_keys]


def _linked_customer(conn: psycopg.Connection[Any]) -> str:
    return conn.execute(
        "SELECT kashflow_key FROM ledger.current_link WHERE entity = 'customer'"
        " ORDER BY kashflow_key LIMIT 1"
    ).fetchone()[0]  # type: ignore[index]


def _invoice(key: str, customer: str, *lines: tuple[str, str, str], **fields: Any) -> SalesInvoice:
    """A KashFlow invoice of (nominal, net, VAT rate) lines."""
    return invoice_of(
        SalesInvoice,
        *(
            vat_line(number, f"Line {number}", net, nominal, rate)
            for number, (nominal, net, rate) in enumerate(lines, start=1)
        ),
        **{"system": "kashflow", "key": key, "customer_key": customer, "issue_date": DAY} | fields,
    )


def test_a_new_invoice_plans_one_ar_invoice_with_mapped_accounts_tax_and_totals(
    ledger: psycopg.Connection[Any],
) -> None:
    customer = _linked_customer(ledger)
    invoice = _invoice("90001", customer, ("4000", "100.00", "20"), ("4010", "50.00", "5"))
    append_versions(ledger, [NewVersion.of(invoice)])
    [intent] = _about(_plan(ledger), "90001")
    record = intent.record
    assert (intent.flow, intent.operation, intent.target_key) == (
        "sales_invoice_to_sage100",
        "create",
        "0090001",
    )
    assert record.customer_key == f"01-{customer}"
    assert [(line.gl_account, line.tax_amount) for line in record.lines] == [
        ("4000-00-00", Decimal("20.00")),
        ("4010-00-00", Decimal("2.50")),
    ]
    assert (record.net_amount, record.tax_amount, record.gross_amount) == (
        Decimal("150.00"),
        Decimal("22.50"),
        Decimal("172.50"),
    )
    assert record.due_date is not None and record.due_date > DAY  # from the customer's terms
    assert dict(intent.native_fields)["SalespersonNo"] == "0001"
    assert not intent.requires_approval

    record_intents(ledger, [intent])
    assert not _about(_plan(ledger), "90001"), "planned twice"

    paid = invoice.model_copy(update={"amount_paid": Decimal("10.00")})
    append_versions(ledger, [NewVersion.of(paid)])
    assert not _about(_plan(ledger), "90001"), "a payment is not an edit of the invoice"

    edited = _invoice("90001", customer, ("4000", "120.00", "20"), ("4010", "50.00", "5"))
    append_versions(ledger, [NewVersion.of(edited)])
    [memo] = _about(_plan(ledger), "90001")
    assert (memo.operation, memo.target_key, dict(memo.native_fields)) == (
        "create",
        "90001-3",
        {"InvoiceType": "DM", "ApplyToInvoiceNo": "0090001"},
    )
    assert [(line.gl_account, line.net_amount, line.tax_amount) for line in _rec(memo).lines] == [
        ("4000-00-00", Decimal("20.00"), Decimal("4.00"))
    ]
    assert memo.depends_on == (intent.idempotency_key,), "waits for the posting"

    record_intents(ledger, [memo])
    lowered = _invoice("90001", customer, ("4000", "120.00", "20"), ("4010", "30.00", "5"))
    append_versions(ledger, [NewVersion.of(lowered)])
    [credit] = _about(_plan(ledger), "90001")
    assert (credit.target_key, dict(credit.native_fields)["InvoiceType"]) == ("90001-4", "CM")
    assert [(line.gl_account, line.net_amount, line.tax_amount) for line in _rec(credit).lines] == [
        ("4010-00-00", Decimal("-20.00"), Decimal("-1.00"))
    ], "the posting and the debit memo before it are what Sage holds"
    assert _rec(credit).gross_amount == Decimal("-21.00")


def test_an_edit_that_cannot_be_adjusted_is_refused_in_one_line(
    ledger: psycopg.Connection[Any],
) -> None:
    customer, other = [
        row[0]
        for row in ledger.execute(
            "SELECT kashflow_key FROM ledger.current_link WHERE entity = 'customer'"
            " ORDER BY kashflow_key LIMIT 2"
        )
    ]
    invoice = _invoice("90011", customer, ("4000", "100.00", "20"))
    append_versions(ledger, [NewVersion.of(invoice)])
    [posting] = _about(_plan(ledger), "90011")
    record_intents(ledger, [posting])

    append_versions(ledger, [NewVersion.of(invoice.model_copy(update={"customer_key": other}))])
    plan = _plan(ledger)
    assert not _about(plan, "90011")
    [refused] = [r for r in plan.rejections if r.key == "90011"]
    assert refused.field == "customer_key"
    assert refused.line().startswith("kashflow sales_invoice 90011: customer_key: customer changed")
    assert "\n" not in refused.line()

    append_versions(ledger, [NewVersion.of(invoice.model_copy(update={"reference": "PO-9"}))])
    plan = _plan(ledger)
    assert not _about(plan, "90011")
    [refused] = [r for r in plan.rejections if r.key == "90011"]
    assert refused.field == "reference" and "only amounts are adjusted" in refused.message

    large = _invoice("90011", customer, ("4000", "9100.00", "20"), reference="PO-9")
    append_versions(ledger, [NewVersion.of(large)])
    [memo] = _about(_plan(ledger), "90011")
    assert memo.requires_approval, "an adjustment over the threshold waits for approval"
    assert _rec(memo).gross_amount == Decimal("10800.00")
    assert memo.warnings == ("reference changed too: Sage 100 keeps the posted invoice's",)


def test_an_invoice_over_the_threshold_waits_for_approval_and_its_echo_plans_nothing(
    ledger: psycopg.Connection[Any],
) -> None:
    invoice = _invoice("90002", _linked_customer(ledger), ("4000", "6000.00", "20"))
    append_versions(ledger, [NewVersion.of(invoice)])
    [intent] = _about(_plan(ledger), "90002")
    assert intent.requires_approval
    apply_in_ledger(ledger, [intent])  # written, and read back from Sage 100
    plan = _plan(ledger)
    assert not _about(plan, "90002", "0090002")
    assert not [
        i
        for i in plan.intents
        if i.flow == "paid_status_to_kashflow" and i.target_key.startswith("NEW-0090002")
    ]


def test_an_invoice_of_a_new_customer_depends_on_the_customers_creation(
    ledger: psycopg.Connection[Any],
) -> None:
    new = Customer(system="kashflow", key="FRESH01", party_number="FRESH01", name="Fresh Ltd")
    append_versions(
        ledger,
        [NewVersion.of(new), NewVersion.of(_invoice("90003", "FRESH01", ("4000", "10", "20")))],
    )
    plan = _plan(ledger)
    [customer] = _about(plan, "FRESH01")
    [invoice] = _about(plan, "90003")
    assert invoice.depends_on == (customer.idempotency_key,)
    assert _rec(invoice).customer_key == "01-FRESH01"


def test_an_unknown_nominal_is_refused_naming_the_invoice_and_field(
    ledger: psycopg.Connection[Any],
) -> None:
    append_versions(
        ledger,
        [
            NewVersion.of(
                _invoice(
                    "90004", _linked_customer(ledger), ("4000", "5", "20"), ("9999", "5", "20")
                )
            )
        ],
    )
    plan = _plan(ledger)
    assert not _about(plan, "90004")
    [refused] = [r for r in plan.rejections if r.key == "90004"]
    assert refused.line() == (
        "kashflow sales_invoice 90004: lines[1].gl_account: no Sage 100 G/L account for"
        " KashFlow nominal 9999 (lookups.nominals)"
    )

    # Stored with the plan, the refusal is a writer dead letter naming record and field,
    # once per version of the record: planning again adds none.
    assert submit_plan(ledger, plan).dead_letters == len(plan.rejections)
    assert submit_plan(ledger, _plan(ledger)).dead_letters == 0
    [letter] = [d for d in writer_dead_letters(ledger) if d.key == "90004"]
    assert (letter.system, letter.entity, letter.field, letter.error_type, letter.now) == (
        "kashflow",
        "sales_invoice",
        "lines[1].gl_account",
        "NotPlanned",
        "not_planned",
    )
    assert letter.message == "no Sage 100 G/L account for KashFlow nominal 9999 (lookups.nominals)"
    with pytest.raises(ValueError, match="no write was planned for kashflow sales_invoice 90004"):
        ask_retry(ledger, letter.dead_letter_id, "test")


def test_a_receipt_posts_once_to_the_right_invoice_and_comes_back_without_a_loop(
    ledger: psycopg.Connection[Any],
) -> None:
    customer = _linked_customer(ledger)
    invoice = _invoice("90005", customer, ("4000", "100.00", "20"), amount_paid=Decimal(120))
    receipt = Payment(
        system="kashflow",
        key="R90005",
        kind="receipt",
        counterparty_key=customer,
        payment_date=DAY,
        amount=Decimal("120.00"),
        method="BACS",
        allocations=(Allocation(invoice_key="90005", amount=Decimal("120.00")),),
    )
    append_versions(ledger, [NewVersion.of(invoice), NewVersion.of(receipt)])
    plan = _plan(ledger)
    [invoice_intent] = _about(plan, "90005")
    [receipt_intent] = _about(plan, "R90005")
    posted = receipt_intent.record
    assert (posted.counterparty_key, posted.bank_account, posted.reference) == (
        f"01-{customer}",
        "A",
        "R90005",
    )
    assert posted.allocations == (Allocation(invoice_key="0090005", amount=Decimal("120.00")),)
    assert receipt_intent.depends_on == (invoice_intent.idempotency_key,)

    record_intents(ledger, plan.intents)
    again = _plan(ledger)
    assert not _about(again, "90005", "R90005", "0090005"), "planned twice, or paid back"

    # Both land in Sage 100 and are read back; the invoice there shows it paid.
    mark_succeeded(ledger, plan.intents)
    paid = _rec(invoice_intent).model_copy(update={"amount_paid": Decimal("120.00")})
    append_versions(ledger, [NewVersion.of(paid), NewVersion.of(posted)])
    settled = _plan(ledger)
    assert not _about(settled, "90005", "R90005", "0090005")


def test_sage_paid_status_pays_the_kashflow_invoice_once_and_its_echo_is_not_posted_back(
    ledger: psycopg.Connection[Any],
) -> None:
    customer = _linked_customer(ledger)
    invoice = _invoice("90006", customer, ("4000", "100.00", "20"))
    append_versions(ledger, [NewVersion.of(invoice)])
    [created] = _about(_plan(ledger), "90006")
    apply_in_ledger(ledger, [created])
    sage_paid = _rec(created).model_copy(update={"amount_paid": Decimal("50.00")})
    append_versions(ledger, [NewVersion.of(sage_paid)])

    [payment] = _about(_plan(ledger), "0090006")
    assert (payment.flow, payment.target_system) == ("paid_status_to_kashflow", "kashflow")
    assert _rec(payment).allocations == (Allocation(invoice_key="90006", amount=Decimal(50)),)
    assert _rec(payment).counterparty_key == customer

    apply_in_ledger(ledger, [payment])
    echo = _rec(payment).model_copy(update={"key": "R777777"})
    kashflow_paid = invoice.model_copy(update={"amount_paid": Decimal("50.00")})
    append_versions(ledger, [NewVersion.of(echo), NewVersion.of(kashflow_paid)])
    plan = _plan(ledger)
    assert not _about(plan, "0090006", "R777777", "90006")


def test_daily_journal_summarises_a_day_by_account_and_vat_code_traceably(
    ledger: psycopg.Connection[Any],
) -> None:
    rules = RULES.model_copy(
        update={
            "aggregation": RULES.aggregation.model_copy(update={"sales_invoices": "daily_journal"})
        }
    )
    customer = _linked_customer(ledger)
    day = date(2030, 1, 15)  # after everything the sandboxes hold
    first = _invoice("91001", customer, ("4000", "100", "20"), ("4010", "10", "5"), issue_date=day)
    second = _invoice("91002", customer, ("4000", "50", "20"), issue_date=day)
    append_versions(ledger, [NewVersion.of(first), NewVersion.of(second)])
    [journal] = [i for i in _plan(ledger, rules).intents if i.source_key == day.isoformat()]
    entry: Any = journal.record
    assert (journal.flow, entry.key, entry.posting_date) == (
        "sales_invoice_journal_to_sage100",
        "SJ-20300115-1",
        day,
    )
    assert entry.source == "kashflow sales_invoice 91001,91002"
    lines = {(line.account, line.description): (line.debit, line.credit) for line in entry.lines}
    assert lines == {
        ("1100-00-00", "Sales 2030-01-15: 91001, 91002"): (Decimal("190.5"), 0),
        ("4000-00-00", "TX net: 91001, 91002"): (0, Decimal(150)),
        ("4010-00-00", "RD net: 91001"): (0, Decimal(10)),
        ("2200-00-00", "RD VAT: 91001"): (0, Decimal("0.5")),
        ("2200-00-00", "TX VAT: 91001, 91002"): (0, Decimal(30)),
    }

    record_intents(ledger, [journal])
    assert not [i for i in _plan(ledger, rules).intents if i.source_key == day.isoformat()]
    late = _invoice("91003", customer, ("4000", "20", "0"), issue_date=day)
    append_versions(ledger, [NewVersion.of(late)])
    [supplement] = [i for i in _plan(ledger, rules).intents if i.source_key == day.isoformat()]
    assert (_rec(supplement).key, _rec(supplement).source) == (
        "SJ-20300115-2",
        "kashflow sales_invoice 91003",
    )


def test_the_sandbox_ledger_plans_what_is_missing_in_sage(ledger: psycopg.Connection[Any]) -> None:
    """The seeded companies differ a little on purpose: the plan writes only that."""
    plan = _plan(ledger)
    invoices = [i for i in plan.intents if i.flow == "sales_invoice_to_sage100"]
    sage_keys = {v.native_key for v in current(ledger, "sage100", "sales_invoice")}
    assert invoices and all(i.target_key not in sage_keys for i in invoices)
    assert all(i.operation == "create" for i in invoices)
    record_intents(ledger, plan.intents)
    assert not _plan(ledger).intents, "a second plan over the same ledger writes nothing"


def test_a_receipt_planned_beside_a_memo_pays_the_invoice_not_the_memo(
    ledger: psycopg.Connection[Any],
) -> None:
    customer = _linked_customer(ledger)
    invoice = _invoice("90021", customer, ("4000", "100.00", "20"))
    append_versions(ledger, [NewVersion.of(invoice)])
    apply_in_ledger(ledger, _about(_plan(ledger), "90021"))

    lowered = _invoice("90021", customer, ("4000", "90.00", "20"), amount_paid=Decimal("108.00"))
    receipt = Payment(
        system="kashflow", key="R90021", kind="receipt", counterparty_key=customer,
        payment_date=DAY, amount=Decimal("108.00"), method="BACS", reference="R90021",
        allocations=(Allocation(invoice_key="90021", amount=Decimal("108.00")),),
    )  # fmt: skip
    append_versions(ledger, [NewVersion.of(lowered), NewVersion.of(receipt)])
    plan = _plan(ledger)
    [memo] = [i for i in _about(plan, "90021") if i.flow == "sales_invoice_to_sage100"]
    assert dict(memo.native_fields)["InvoiceType"] == "CM"
    [paying] = _about(plan, "R90021")
    assert [a.invoice_key for a in _rec(paying).allocations] == ["0090021"]
