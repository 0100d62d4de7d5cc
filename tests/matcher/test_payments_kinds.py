"""Payments as customers really pay them: discounts by the invoice's terms, wire fees,
foreign receipts, parents paying for subsidiaries, remittances with slips, statement
payments without a reference; what is said about a payment left unmatched; and the
money properties, for hypothesis-made frames that mix all of these."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from payment_rows import ISSUED, PAYMENT_SCHEMA, TERMS_INVOICE_SCHEMA, payment

from matcher.evaluation import evaluate_payments
from matcher.payments import MatchConfig, match_payments, nearest_candidates
from sandbox.datagen.payments import generate_payment_dataset


def invoice(
    n: int,
    amount: str,
    *,
    cp: str = "C1",
    issued: date = ISSUED,
    discount: str | None = None,
    discount_days: int = 10,
    parent: str | None = None,
    currency: str = "GBP",
) -> dict[str, object]:
    return {
        "invoice_id": f"I{n}",
        "counterparty_id": cp,
        "number": f"INV-{n:07d}",
        "amount_open": Decimal(amount),
        "currency": currency,
        "issue_date": issued,
        "due_date": issued + timedelta(days=30),
        "terms_code": "01" if discount else "00",
        "discount_date": issued + timedelta(days=discount_days) if discount else None,
        "discount_amount": Decimal(discount) if discount else None,
        "parent_counterparty_id": parent,
    }


def frames(
    payments: list[dict[str, object]], invoices: list[dict[str, object]]
) -> tuple[pl.DataFrame, pl.DataFrame]:
    return (
        pl.DataFrame(payments, schema=PAYMENT_SCHEMA),
        pl.DataFrame(invoices, schema=TERMS_INVOICE_SCHEMA),
    )


def match(
    payments: list[dict[str, object]],
    invoices: list[dict[str, object]],
    rates: pl.DataFrame | None = None,
    cfg: MatchConfig | None = None,
) -> pl.DataFrame:
    pays, invs = frames(payments, invoices)
    return match_payments(pays, invs, cfg, rates=rates)


def rows(result: pl.DataFrame) -> dict[tuple[str, str], dict[str, Any]]:
    return {(r["payment_id"], r["invoice_id"]): r for r in result.iter_rows(named=True)}


def p1_on_i1(
    paid: dict[str, object], invoiced: dict[str, object], rates: pl.DataFrame | None = None
) -> dict[str, Any]:
    """The match of payment P1 with invoice I1, the only two rows of their frames."""
    return rows(match([paid], [invoiced], rates))[("P1", "I1")]


def test_the_discount_of_the_invoices_own_terms_settles_it_until_its_date() -> None:
    # 1% 10 net 30 on 1,234.00: 12.34 off until the tenth day (the bank may take three more).
    on_time = p1_on_i1(
        payment("P1", "1221.66", reference="INV-0000001", paid=ISSUED + timedelta(days=12)),
        invoice(1, "1234.00", discount="12.34"),
    )
    assert "terms_discount" in on_time["rules"]
    assert on_time["write_off_amount"] == Decimal("12.34")
    assert on_time["status"] == "auto"
    late = p1_on_i1(
        payment("P1", "1221.66", reference="INV-0000001", paid=ISSUED + timedelta(days=25)),
        invoice(1, "1234.00", discount="12.34"),
    )
    assert "discount_after_date" in late["rules"]
    assert late["allocated_amount"] == Decimal("1221.66")
    assert late["write_off_amount"] == 0
    assert late["status"] == "suggested"


def test_a_late_terms_discount_without_reference_is_still_suggested() -> None:
    result = match(
        [payment("P1", "1221.66", paid=ISSUED + timedelta(days=25))],
        [invoice(1, "1234.00", discount="12.34"), invoice(2, "800.00")],
    )
    assert list(rows(result)) == [("P1", "I1")]
    assert result["status"].to_list() == ["suggested"]


def test_a_wire_fee_off_the_top_is_written_off_but_a_large_shortfall_is_partial() -> None:
    fee = p1_on_i1(payment("P1", "972.50", reference="INV-0000001"), invoice(1, "1000.00"))
    assert "bank_fee" in fee["rules"]
    assert fee["write_off_amount"] == Decimal("27.50")
    short = p1_on_i1(payment("P1", "900.00", reference="INV-0000001"), invoice(1, "1000.00"))
    assert "partial_payment" in short["rules"]
    assert short["write_off_amount"] == 0


def test_a_wire_fee_without_reference_finds_the_invoice_just_above() -> None:
    result = match(
        [payment("P1", "1482.00")],
        [invoice(1, "1500.00"), invoice(2, "1390.00"), invoice(3, "2400.00")],
    )
    assert list(rows(result)) == [("P1", "I1")]
    assert "bank_fee" in result["rules"][0]


def test_a_rounded_payment_finds_its_invoice_when_a_nearer_one_is_not_issued_yet() -> None:
    # 86.00 for the invoice of 85.84; the one of 86.05, nearer, is issued after it.
    later = invoice(2, "86.05", issued=ISSUED + timedelta(days=60))
    result = match([payment("P1", "86.00")], [invoice(1, "85.84"), later])
    assert list(rows(result)) == [("P1", "I1")]
    assert "amount_rounding" in result["rules"][0]


def test_a_rounded_payment_meets_only_invoices_within_the_rounding_tolerance() -> None:
    # 86.00 for the invoice of 85.60 (the nearer 86.05 is issued after it): rounding
    # within the default half a pound, not within a rounding tolerance of 0.10.
    invoices = [invoice(1, "85.60"), invoice(2, "86.05", issued=ISSUED + timedelta(days=60))]
    result = match([payment("P1", "86.00")], invoices)
    assert list(rows(result)) == [("P1", "I1")]
    assert "amount_rounding" in result["rules"][0]
    tight = MatchConfig(rounding_tolerance=Decimal("0.10"))
    assert ("P1", "I1") not in rows(match([payment("P1", "86.00")], invoices, cfg=tight))


def test_a_match_needs_at_least_one_round_for_what_waits() -> None:
    # The candidates weaker than a group, and twins, are allocated in the first round.
    with pytest.raises(ValueError, match="subset_rounds must be at least 1"):
        MatchConfig(subset_rounds=0)


def test_a_payment_cannot_leave_fewer_than_none_of_the_oldest_items_open() -> None:
    with pytest.raises(ValueError, match="max_oldest_skipped must be at least 0"):
        MatchConfig(max_oldest_skipped=-1)


RATES = pl.DataFrame(
    {
        "currency": ["EUR", "EUR", "USD"],
        "date": [ISSUED, ISSUED + timedelta(days=15), ISSUED],
        "rate": [1.15, 1.17, 1.27],
    }
)


def test_a_receipt_naming_its_payers_invoice_in_another_currency_pays_no_other() -> None:
    # Euros for the payer's invoice 42 in pounds, with no rate to convert them: the
    # payer's euro invoice of exactly the amount is still not what it paid.
    invoices = [invoice(42, "86.00"), invoice(43, "100.00", currency="EUR")]
    found = match([payment("P1", "100.00", currency="EUR", reference="INV-0000042")], invoices)
    assert ("P1", "I43") not in rows(found)


def test_a_foreign_receipt_is_converted_at_the_days_rate_within_the_tolerance() -> None:
    # 1,000.00 GBP at 1.17 is 1,170.00 EUR; the payer's bank gave 1.2 % less.
    received = "1156.00"
    result = match(
        [payment("P1", received, currency="EUR", reference="INV-0000001")],
        [invoice(1, "1000.00")],
        rates=RATES,
    )
    row = rows(result)[("P1", "I1")]
    assert "exchange_rate" in row["rules"]
    assert row["allocated_amount"] == Decimal("988.03")  # 1156 / 1.17, in the invoice's pounds
    assert row["write_off_amount"] == Decimal("11.97")
    # Without rates the currencies never meet.
    assert match(
        [payment("P1", received, currency="EUR", reference="INV-0000001")],
        [invoice(1, "1000.00")],
    ).is_empty()
    # Beyond the tolerance (3 %) it is no fit: with its reference, a partial payment.
    far = p1_on_i1(
        payment("P1", "1100.00", currency="EUR", reference="INV-0000001"),
        invoice(1, "1000.00"),
        RATES,
    )
    assert "exchange_rate" not in far["rules"]


@pytest.mark.parametrize("first_rate", [1.17, 1.30])
def test_of_two_rates_for_one_day_the_first_row_stands(first_rate: float) -> None:
    # The day's euro rate listed twice. 1,156.00 EUR at 1.17 is 988.03 GBP, within the
    # tolerance of the 1,000.00 invoice; at 1.30 it is 889.23, a part payment.
    other = 1.30 if first_rate == 1.17 else 1.17
    twice = pl.DataFrame(
        {"currency": ["EUR", "EUR"], "date": [ISSUED, ISSUED], "rate": [first_rate, other]}
    )
    paid = payment("P1", "1156.00", currency="EUR", reference="INV-0000001")
    row = p1_on_i1(paid, invoice(1, "1000.00"), twice)
    converted = Decimal("1156.00") / Decimal(str(first_rate))
    assert row["allocated_amount"] == converted.quantize(Decimal("0.01"))
    assert ("exchange_rate" in row["rules"]) == (first_rate == 1.17)


@pytest.mark.parametrize("meant_at_home", [True, False])
def test_an_unidentified_payers_slip_onto_a_foreign_invoice_does_not_convert_it(
    meant_at_home: bool,
) -> None:
    # A bank line in pounds, no payer: 1278559 names another customer's euro invoice of
    # 283.68; 1279559, one digit away, is a pound invoice of exactly the 418.97 paid.
    # Converted into euros for the invoice it names, the payment could never meet the
    # one it meant. Without that one, the euro invoice named is all there is: converted.
    named = invoice(1278559, "283.68", cp="C7", currency="EUR")
    meant = invoice(1279559, "418.97", cp="C8")
    result = match(
        [payment("P1", "418.97", cp=None, reference="INV-1278559")],
        [named, meant] if meant_at_home else [named],
        rates=RATES,
    )
    found = rows(result)
    if meant_at_home:
        assert list(found) == [("P1", "I1279559")]
        assert found[("P1", "I1279559")]["rules"][:3] == [
            "reference_fuzzy",
            "counterparty_unknown",
            "amount_exact",
        ]
    else:
        assert list(found) == [("P1", "I1278559")]
        assert found[("P1", "I1278559")]["allocated_amount"] == Decimal("283.68")
        assert "reference_exact" in found[("P1", "I1278559")]["rules"]


@pytest.mark.parametrize("still_open", [1, 2, 3])
@pytest.mark.parametrize(
    ("received", "currency", "rule"),
    [
        ("1180.00", "EUR", "exchange_rate"),  # 1,000.00 at 1.17 and 0.85 % more
        ("1160.00", "EUR", "exchange_rate"),  # 1,000.00 at 1.17 and 0.85 % less
        ("985.00", "GBP", "fee_deducted"),  # less a 1.5 % card fee
        ("987.50", "GBP", "bank_fee"),  # less a 12.50 wire fee
    ],
)
def test_a_receipt_that_fits_invoices_of_one_amount_takes_the_one_still_open(
    still_open: int, received: str, currency: str, rule: str
) -> None:
    # The same order three times; two invoices are paid by payments that name them,
    # whichever two those are: the receipt that fits all three takes the third.
    named = [n for n in (1, 2, 3) if n != still_open]
    result = match(
        [
            *(
                payment(
                    f"P{n}0", "1000.00", reference=f"INV-{n:07d}", paid=ISSUED + timedelta(days=5)
                )
                for n in named
            ),
            payment("P1", received, currency=currency),
        ],
        [invoice(n, "1000.00", issued=ISSUED + timedelta(days=n)) for n in (1, 2, 3)],
        rates=RATES,
    )
    found = rows(result)
    assert set(found) == {*((f"P{n}0", f"I{n}") for n in named), ("P1", f"I{still_open}")}
    assert rule in found[("P1", f"I{still_open}")]["rules"]


def test_a_parent_pays_its_subsidiaries_invoices_named_in_one_reference() -> None:
    result = match(
        [payment("P1", "1750.00", cp="GROUP", reference="INV-0000001 INV-0000002")],
        [
            invoice(1, "1000.00", cp="SUB-A", parent="GROUP"),
            invoice(2, "750.00", cp="SUB-B", parent="GROUP"),
            invoice(3, "750.00", cp="OTHER"),
        ],
    )
    found = rows(result)
    assert set(found) == {("P1", "I1"), ("P1", "I2")}
    assert all("parent_counterparty" in row["rules"] for row in found.values())
    assert {row["status"] for row in found.values()} == {"auto"}


def test_a_parent_without_reference_is_found_by_the_sum_of_its_subsidiaries_invoices() -> None:
    result = match(
        [payment("P1", "1750.00", cp="GROUP")],
        [
            invoice(1, "1000.00", cp="SUB-A", parent="GROUP"),
            invoice(2, "750.00", cp="SUB-B", parent="GROUP"),
            invoice(3, "640.00", cp="SUB-B", parent="GROUP"),
        ],
    )
    assert set(rows(result)) == {("P1", "I1"), ("P1", "I2")}


def test_a_subsidiarys_invoice_counts_once_in_a_parents_group() -> None:
    # Two groups fit the parent's 300.00 alike but for their invoices' age: I1 (day 8,
    # the subsidiary's) with I2 (day 13), or I3 (day 10) with I2 (day 13). The oldest
    # pair is the one. The subsidiary also pays (its own, unrelated) so its invoice is
    # listed under both payers; counted twice, it made its group look the younger.
    def day(n: int) -> date:
        return ISSUED + timedelta(days=n)

    invoices = [
        invoice(1, "100.00", cp="SUB", parent="GROUP", issued=day(8)),
        invoice(2, "200.00", cp="GROUP", issued=day(13)),
        invoice(3, "100.00", cp="GROUP", issued=day(10)),
        invoice(4, "200.00", cp="GROUP", issued=day(13)),
    ]
    payments = [
        payment("P1", "300.00", cp="GROUP", paid=day(30)),
        payment("P2", "999.99", cp="SUB", paid=day(30)),
    ]
    assert set(rows(match(payments, invoices))) == {("P1", "I1"), ("P1", "I2")}


def test_an_unidentified_payer_naming_invoices_of_one_group_pays_them_even_late() -> None:
    # No counterparty on the bank line; the invoices named belong to two subsidiaries of
    # one parent, and the payment comes long after the date window.
    late = ISSUED + timedelta(days=30 + 200)
    invoices = [
        invoice(1, "1000.00", cp="SUB-A", parent="GROUP"),
        invoice(2, "750.00", cp="SUB-B", parent="GROUP"),
        invoice(3, "750.00", cp="OTHER"),
    ]
    result = match(
        [payment("P1", "1750.00", cp=None, reference="INV-0000001 INV-0000002", paid=late)],
        invoices,
    )
    found = rows(result)
    assert set(found) == {("P1", "I1"), ("P1", "I2")}
    assert {row["status"] for row in found.values()} == {"suggested"}
    # Named invoices of two unrelated customers are no group.
    invoices[1]["parent_counterparty_id"] = None
    result = match(
        [payment("P1", "1750.00", cp=None, reference="INV-0000001 INV-0000002", paid=late)],
        invoices,
    )
    assert result.filter(pl.col("invoice_id") != "I1").height == 0


def test_an_unidentified_payer_late_with_one_number_mistyped_still_pays_its_group() -> None:
    # No counterparty, long after the date window; the remittance names two of C1's
    # invoices and mistypes the third (1310 as 1301), which is another customer's number.
    late = ISSUED + timedelta(days=30 + 200)
    invoices = [
        invoice(1201, "1000.00", cp="C1"),
        invoice(1202, "750.00", cp="C1"),
        invoice(1310, "210.40", cp="C1"),
        invoice(1301, "405.00", cp="OTHER"),
    ]
    reference = "INV-0001201 INV-0001202 INV-0001301"
    result = match([payment("P1", "1960.40", cp=None, reference=reference, paid=late)], invoices)
    found = rows(result)
    assert set(found) == {("P1", "I1201"), ("P1", "I1202"), ("P1", "I1310")}
    assert {row["status"] for row in found.values()} == {"suggested"}
    # Slips read late need an invoice of their group named outright beside them: here
    # each number names one customer's invoice and is one slip from another's, and only
    # reading two of them as slips into C1 (1402 as 1420, 1503 as 1530) fits the amount.
    slips_only = [
        invoice(1301, "999.00", cp="C1"),
        invoice(1420, "300.00", cp="C1"),
        invoice(1530, "210.40", cp="C1"),
        invoice(1402, "50.00", cp="C2"),
        invoice(1310, "70.00", cp="C2"),
        invoice(1503, "60.00", cp="C3"),
    ]
    reference = "INV-0001301 INV-0001402 INV-0001503"
    unanchored = payment("P2", "510.40", cp=None, reference=reference, paid=late)
    assert match([unanchored], slips_only).height == 0
    # In the window, the same reading is a candidate as before.
    assert set(rows(match([{**unanchored, "date": ISSUED}], slips_only))) == {
        ("P2", "I1420"),
        ("P2", "I1530"),
    }


def test_late_slips_that_crowd_a_reference_are_read_without_them() -> None:
    # An unidentified payer's remittance: one number right, three slipped, all four of
    # C1's invoices in the date window. C1 also has old invoices one slip from each slipped
    # number: with them a reading of every number would be 100 readings, over the 64
    # tried, so the reference is read without those late slips, not by its exact numbers
    # alone (which name one invoice, no group).
    paid = ISSUED + timedelta(days=100)
    old = ISSUED - timedelta(days=200)
    true = [
        invoice(1018, "521.16"),
        invoice(1025, "830.13"),
        invoice(1102, "1658.94"),
        invoice(1358, "1658.94"),
    ]
    decoys = [
        invoice(n, f"{10 + i}.{i:02d}", issued=old)
        for i, n in enumerate((1250, 1206, 1105, 1021, 1013, 1112, 3185, 3159))
    ]
    remittance = payment(
        "P1", "4669.17", cp=None, reference="INV-0001018 1205 1012 3158", paid=paid
    )
    found = rows(match([remittance], true + decoys))
    assert set(found) == {("P1", "I1018"), ("P1", "I1025"), ("P1", "I1102"), ("P1", "I1358")}


def test_a_late_statement_payment_still_finds_its_invoices() -> None:
    amounts = ["412.17", "96.40", "1310.00", "75.25"]
    invoices = [invoice(n + 1, a, issued=ISSUED - timedelta(days=n)) for n, a in enumerate(amounts)]
    late = ISSUED + timedelta(days=30 + 200)
    result = match([payment("P1", "583.82", reference="STATEMENT", paid=late)], invoices)
    found = rows(result)
    assert set(found) == {("P1", "I1"), ("P1", "I2"), ("P1", "I4")}
    assert {row["status"] for row in found.values()} == {"suggested"}


def test_a_statement_payment_finds_a_pair_among_many_more_recent_invoices() -> None:
    # Twenty invoices issued after the two it pays, all before the payment date.
    older = [invoice(1, "412.17", issued=ISSUED - timedelta(days=40)),
             invoice(2, "96.40", issued=ISSUED - timedelta(days=39))]  # fmt: skip
    newer = [
        invoice(10 + n, f"{150 + 13 * n}.{11 + n:02d}", issued=ISSUED - timedelta(days=30 - n))
        for n in range(20)
    ]
    result = match([payment("P1", "508.57", reference="STATEMENT")], older + newer)
    assert set(rows(result)) == {("P1", "I1"), ("P1", "I2")}


def test_a_remittance_naming_several_invoices_with_slips_settles_them_together() -> None:
    invoices = [
        invoice(1201, "310.00"),
        invoice(1234, "120.50"),
        invoice(1388, "99.99"),
        invoice(1377, "54.00"),
    ]
    # 1234 typed as 1243 (transposed), 1388 as 1383; 1201 is right.
    result = match([payment("P1", "530.49", reference="INV-0001201, INV-0001243 1383")], invoices)
    found = rows(result)
    assert set(found) == {("P1", "I1201"), ("P1", "I1234"), ("P1", "I1388")}
    assert all("reference_fuzzy" in row["rules"] for row in found.values())
    assert {row["status"] for row in found.values()} == {"suggested"}


def test_a_remittance_with_a_slip_in_every_number_is_read_the_way_that_fits() -> None:
    invoices = [
        invoice(1669, "45.00"),
        invoice(1065, "462.00"),
        invoice(1085, "182.26"),
        invoice(1067, "300.00"),  # 1065 typed as 1066 is one slip from both 1065 and 1067
        invoice(1999, "77.00"),
    ]
    # Every number slipped; only reading 1066 as 1065 fits the amount. Paid long after.
    late = ISSUED + timedelta(days=30 + 200)
    reference = "REMITTANCE 1696 1066 1058"
    result = match([payment("P1", "689.26", reference=reference, paid=late)], invoices)
    found = rows(result)
    assert set(found) == {("P1", "I1669"), ("P1", "I1065"), ("P1", "I1085")}
    assert {row["status"] for row in found.values()} == {"suggested"}
    # Alone, a number that is not the reference's longest is never read as a slip.
    alone = match([payment("P2", "31.23", reference="BACS 1696 20260415")], invoices)
    assert alone.height == 0


def test_a_remittance_that_fits_outranks_one_of_its_invoices_alone_at_equal_score() -> None:
    # 1201 is named and in its date window: alone, an over-payment of it scores 0.4 + 0.25
    # + 0.05 + 0.05; 1234 (typed 1243) fell due long ago, so the pair, which fits exactly,
    # scores 0.25 + 0.25 + 0.25. Equal evidence: the fitting pair must win, float sums or not.
    invoices = [invoice(1201, "310.00"), invoice(1234, "120.50", issued=ISSUED - timedelta(200))]
    result = match([payment("P1", "430.50", reference="INV-0001201 INV-0001243")], invoices)
    found = rows(result)
    assert set(found) == {("P1", "I1201"), ("P1", "I1234")}
    assert found[("P1", "I1234")]["allocated_amount"] == Decimal("120.50")
    assert all("reference_fuzzy" in row["rules"] for row in found.values())


def test_a_remittance_number_one_digit_short_is_one_slip() -> None:
    # "0000134" for 0001034: two digits swapped across the padding, which the key (no
    # leading zeros) sees as the 0 dropped.
    invoices = [invoice(1201, "310.00"), invoice(1034, "120.50"), invoice(1377, "54.00")]
    result = match([payment("P1", "430.50", reference="INV-0001201 0000134")], invoices)
    assert set(rows(result)) == {("P1", "I1201"), ("P1", "I1034")}
    assert set(result["status"]) == {"suggested"}


def test_a_statement_payment_finds_older_invoices_once_a_newer_statement_has_settled() -> None:
    # Six old invoices and eight newer ones of one customer. P1 pays four of the newer;
    # P2, later, five of the old, which are not among the ten most recent invoices
    # issued by its date until P1's four are settled.
    old = ["412.17", "96.40", "1310.03", "75.25", "648.91", "230.07"]
    new = ["150.11", "163.12", "176.13", "189.14", "202.15", "215.16", "228.17", "241.18"]
    invoices = [
        invoice(n + 1, a, issued=ISSUED - timedelta(days=100 - n)) for n, a in enumerate(old)
    ] + [invoice(n + 101, a, issued=ISSUED - timedelta(days=30 - n)) for n, a in enumerate(new)]
    newest = sum(Decimal(a) for a in new[4:])
    oldest = sum(Decimal(a) for a in old[:5])
    result = match(
        [
            payment("P1", str(newest), reference="STATEMENT", paid=ISSUED - timedelta(days=10)),
            payment("P2", str(oldest), reference="STATEMENT", paid=ISSUED),
        ],
        invoices,
    )
    assert set(rows(result)) == {("P1", f"I{n}") for n in range(105, 109)} | {
        ("P2", f"I{n}") for n in range(1, 6)
    }
    assert set(result["status"]) == {"suggested"}


def test_an_unidentified_remittance_is_read_among_the_invoices_of_the_customer_it_names() -> None:
    # No payer; three numbers name C1's invoices, and 1706 (meant for C1's 1076) is the
    # number of C2's invoice: read among C1's invoices it is one slip from 1076, and
    # the four fit the amount. Read as C2's, nothing fits.
    owed = {1010: "845.63", 1011: "168.69", 1243: "324.00", 1076: "109.80"}
    invoices = [invoice(n, amount) for n, amount in owed.items()]
    invoices.append(invoice(1706, "654.42", cp="C2"))
    reference = "0001010 INV-0001011 0001706 INV-0001243"
    result = match([payment("P1", "1448.12", cp=None, reference=reference)], invoices)
    found = rows(result)
    assert set(found) == {("P1", f"I{n}") for n in (1010, 1011, 1243, 1076)}
    assert all("reference_fuzzy" in row["rules"] for row in found.values())
    assert set(result["status"]) == {"suggested"}


def test_an_unidentified_remittance_naming_one_invoice_of_each_of_two_customers() -> None:
    # No payer; 0001010 names C1's invoice, 0001706 (meant for C1's 1076) C2's: one each.
    # Read among C1's invoices, 1706 is one slip from 1076 and the two fit the amount;
    # read among C2's, 1010 is one slip from none. Not C2's 1706 as a partial payment.
    invoices = [invoice(1010, "845.63"), invoice(1076, "109.80")]
    invoices.append(invoice(1706, "1200.00", cp="C2"))
    reference = "0001010 0001706"
    result = match([payment("P1", "955.43", cp=None, reference=reference)], invoices)
    assert set(rows(result)) == {("P1", "I1010"), ("P1", "I1076")}
    assert set(result["status"]) == {"suggested"}


def test_a_twin_invoice_an_earlier_statement_paid_is_not_taken_by_a_later_payment() -> None:
    # Two invoices of 300.00 (I1 old, I3 new) and one of 145.50. P1, a statement payment
    # without reference, pays I1 and I2 (445.50) before I3 is issued; P2 later pays
    # 300.00. By amount alone P2 could pay either twin, but I1 was settled by P1 first.
    invoices = [
        invoice(1, "300.00", issued=ISSUED - timedelta(days=40)),
        invoice(2, "145.50", issued=ISSUED - timedelta(days=35)),
        invoice(3, "300.00", issued=ISSUED + timedelta(days=10)),
    ]
    result = match(
        [
            payment("P1", "445.50", reference="STATEMENT", paid=ISSUED),
            payment("P2", "300.00", paid=ISSUED + timedelta(days=30)),
        ],
        invoices,
    )
    assert set(rows(result)) == {("P1", "I1"), ("P1", "I2"), ("P2", "I3")}


def test_the_last_instalments_settle_what_is_left_however_late() -> None:
    # The first instalment names the invoice; the two others, without reference, come
    # two months and ten months later (long past the due date and its 120 days).
    result = match(
        [
            payment("P1", "164.01", reference="INV-0000001"),
            payment("P2", "449.00", paid=ISSUED + timedelta(days=60)),
            payment("P3", "463.99", paid=ISSUED + timedelta(days=300)),
        ],
        [invoice(1, "1077.00"), invoice(2, "700.00")],
    )
    found = rows(result)
    assert set(found) == {("P1", "I1"), ("P2", "I1"), ("P3", "I1")}
    assert found[("P3", "I1")]["allocated_amount"] == Decimal("463.99")
    assert set(result["status"]) == {"suggested"}


def test_without_reference_a_payment_never_pays_an_invoice_issued_weeks_after_it() -> None:
    # 27.50 short of an invoice issued five weeks after the payment: no wire fee of it.
    later = invoice(1, "1000.00", issued=ISSUED + timedelta(days=55))
    assert match([payment("P1", "972.50")], [later]).is_empty()
    # Named by its reference, it is still offered (the customer may pay in advance).
    named = match([payment("P1", "972.50", reference="INV-0000001")], [later])
    assert set(rows(named)) == {("P1", "I1")}
    # Issued a few days after the payment (a pro-forma paid up front), it still fits.
    soon = invoice(1, "1000.00", issued=ISSUED + timedelta(days=24))
    assert set(rows(match([payment("P1", "972.50")], [soon]))) == {("P1", "I1")}


def test_one_number_names_one_invoice_even_when_two_carry_it() -> None:
    # Two open invoices carry number 1032 (twins); the other number, 1052, names none.
    # Both together fit the amount, but one number cannot name both: no group of them.
    twin = invoice(1032, "454.56") | {"invoice_id": "I1032-twin"}
    result = match(
        [payment("P1", "909.12", reference="INV-0001032 0001052")],
        [invoice(1032, "454.56"), twin],
    )
    assert not result.filter(pl.col("rules").list.contains("amount_exact")).height
    assert set(result["status"]) <= {"suggested"}


def test_a_statement_payment_without_reference_finds_its_five_invoices() -> None:
    amounts = ["412.17", "96.40", "1310.00", "75.25", "648.90", "230.00", "58.12", "990.99"]
    invoices = [
        invoice(n + 1, a, issued=ISSUED - timedelta(days=5 * n)) for n, a in enumerate(amounts)
    ]
    paid = sum(Decimal(amounts[i]) for i in (0, 1, 3, 4, 6))
    result = match([payment("P1", str(paid), reference="STATEMENT")], invoices)
    assert set(rows(result)) == {("P1", f"I{n}") for n in (1, 2, 4, 5, 7)}


def test_a_purchase_order_number_never_names_an_invoice() -> None:
    # The customer's PO 67305 happens to be our invoice 67305's number; 2.54 less is a
    # card fee on it, yet that is all coincidence.
    invoices = [invoice(67305, "169.23")]
    assert (
        match([payment("P1", "166.69", reference="PO 67305")], invoices)
        .filter(pl.col("status") == "auto")
        .is_empty()
    )
    named = rows(match([payment("P1", "169.23", reference="PO 4411 INV-0067305")], invoices))
    assert named[("P1", "I67305")]["status"] == "auto"


@pytest.mark.parametrize(
    "note", ["LESS CREDIT 78177", "LESS CB 78177", "DEDN PROMO 78177", "C/N 78177", "DN 78177"]
)
def test_a_credit_note_or_chargeback_taken_off_a_payment_names_no_invoice(note: str) -> None:
    # A bank line with no payer, short by a deduction: its credit note's number happens to
    # be another customer's invoice, nearer the amount paid than the invoice it names.
    paid = ISSUED + timedelta(days=34)
    invoices = [
        invoice(305992, "819.68"),
        invoice(78177, "692.00", cp="C2", issued=ISSUED - timedelta(days=62)),
    ]
    found = match(
        [payment("P1", "605.32", cp=None, paid=paid, reference=f"INV-0305992 {note}")], invoices
    )
    assert set(rows(found)) == {("P1", "I305992")}


def test_an_unmatched_payment_is_told_what_stands_between_it_and_its_nearest_invoices() -> None:
    pays, invs = frames(
        [
            payment("P1", "9800.00", paid=ISSUED + timedelta(days=25)),
            payment("P2", "1221.66", paid=ISSUED + timedelta(days=30)),
            payment("P3", "5000.00", reference="INV-0010431"),
        ],
        [
            invoice(10431, "10000.00"),
            invoice(10432, "700.00"),
            invoice(10433, "1234.00", discount="12.34"),
        ],
    )
    config = MatchConfig(suggest_threshold=0.99)  # nothing reaches it: all are unmatched
    result = match_payments(pays, invs, config)
    assert result.is_empty()
    nearest = nearest_candidates(pays, invs, result, config)
    first = {r["payment_id"]: r for r in nearest.filter(pl.col("rank") == 1).iter_rows(named=True)}
    assert first["P1"]["invoice_id"] == "I10431"
    assert first["P1"]["explanation"].startswith("2.0% (200.00) under invoice INV-0010431")
    assert "a 2/10 discount taken 25 days after issue" in first["P1"]["explanation"]
    assert first["P1"]["difference"] == Decimal("-200.00")
    assert (
        "its terms' discount taken 20 days after the discount date" in (first["P2"]["explanation"])
    )
    assert first["P3"]["invoice_id"] == "I10431"
    assert "named in the reference" in first["P3"]["explanation"]
    # Not named by anything, P1 is offered its payer's nearest invoices above and below.
    assert nearest.filter(pl.col("payment_id") == "P1")["invoice_id"].to_list() == [
        "I10431",
        "I10433",
    ]


def test_matched_payments_get_no_nearest_candidates() -> None:
    pays, invs = frames([payment("P1", "100.00", reference="INV-0000001")], [invoice(1, "100.00")])
    result = match_payments(pays, invs)
    assert nearest_candidates(pays, invs, result).is_empty()


@pytest.mark.parametrize("reference", [None, "FASTER PAYMENT", "---"])
def test_nearest_candidates_of_a_book_whose_references_hold_no_number(
    reference: str | None,
) -> None:
    """No reference to read a slip from: the payer's nearest invoices are still offered."""
    pays, invs = frames(
        [payment("P1", "99.00", reference=reference)],
        [invoice(1, "100.00"), invoice(2, "90.00")],
    )
    if reference is None:  # a column of nulls only, as a frame of such rows has
        pays = pays.with_columns(pl.lit(None).alias("reference"))
    result = match_payments(pays, invs)
    nearest = nearest_candidates(pays, invs, result)
    assert nearest["invoice_id"].to_list() == ["I1", "I2"]


# ------------------------------------------------------------------- properties

PROPERTY = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
cents = st.integers(min_value=100, max_value=300_000)


@st.composite
def mixed_books(draw: st.DrawFn) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Invoices of a few customers (some under one parent, some with terms discounts)
    and payments that pay them whole, short, over, together, or not at all."""
    n_inv = draw(st.integers(1, 12))
    invoices = []
    for n in range(n_inv):
        owed = draw(cents)
        cp = draw(st.sampled_from(["C1", "C2", "SUB"]))
        discount = draw(st.sampled_from([None, owed // 100, owed // 50]))
        invoices.append(
            invoice(
                1000 + draw(st.integers(0, 30)) if draw(st.booleans()) else 1000 + n,
                str(Decimal(owed) / 100),
                cp=cp,
                issued=ISSUED + timedelta(days=draw(st.integers(0, 40))),
                discount=str(Decimal(discount) / 100) if discount else None,
                parent="C1" if cp == "SUB" else None,
            )
            | {"invoice_id": f"I{n}"}
        )
    payments = []
    for n in range(draw(st.integers(1, 10))):
        picked = draw(st.lists(st.integers(0, n_inv - 1), min_size=1, max_size=4, unique=True))
        owed = sum(int(Decimal(str(invoices[i]["amount_open"])) * 100) for i in picked)
        paid = max(1, owed + draw(st.integers(-owed // 4, owed // 10)))
        named = " ".join(str(invoices[i]["number"]) for i in picked)
        payments.append(
            payment(
                f"P{n}",
                str(Decimal(paid) / 100),
                cp=draw(st.sampled_from(["C1", "C2", "SUB", None])),
                reference=draw(st.sampled_from([None, named, "STATEMENT", named[:-1] + "9"])),
                paid=ISSUED + timedelta(days=draw(st.integers(0, 90))),
            )
        )
    return frames(payments, invoices)


@PROPERTY
@given(books=mixed_books())
def test_no_payment_allocates_more_than_it_holds_and_no_invoice_is_over_allocated(
    books: tuple[pl.DataFrame, pl.DataFrame],
) -> None:
    payments, invoices = books
    result = match_payments(payments, invoices)
    spent = result.group_by("payment_id").agg(pl.col("allocated_amount").sum())
    held = spent.join(payments.select("payment_id", "amount"), on="payment_id")
    assert (held["allocated_amount"] <= held["amount"]).all()
    settled = result.group_by("invoice_id").agg(pl.col("allocated_amount").sum())
    owed = settled.join(invoices.select("invoice_id", "amount_open"), on="invoice_id")
    assert (owed["allocated_amount"] <= owed["amount_open"]).all()
    assert (result["allocated_amount"] > 0).all()
    # Whatever is written off, allocation plus write-off never settles more than is owed.
    closed = result.group_by("invoice_id").agg(
        (pl.col("allocated_amount") + pl.col("write_off_amount").clip(lower_bound=0)).sum()
    )
    closed = closed.join(invoices.select("invoice_id", "amount_open"), on="invoice_id")
    assert (closed["allocated_amount"] <= closed["amount_open"]).all()


@PROPERTY
@given(seed=st.integers(0, 10_000))
def test_foreign_receipts_never_allocate_more_than_they_are_worth_at_the_days_rate(
    seed: int,
) -> None:
    data = generate_payment_dataset(120, seed=seed)
    result = match_payments(data.payments, data.invoices, rates=data.rates)
    converted = result.filter(pl.col("rules").list.contains("exchange_rate"))
    worth = (
        converted.join(data.payments.select("payment_id", "amount"), on="payment_id")
        .join(data.invoices.select("invoice_id", "amount_open"), on="invoice_id")
        .group_by("invoice_id")
        .agg(pl.col("allocated_amount").sum(), pl.col("amount_open").first())
    )
    assert (worth["allocated_amount"] <= worth["amount_open"]).all()
    assert evaluate_payments(result, data.truth)["wrong_auto"] == 0


def open_items(count: int, *, newest: date = ISSUED) -> list[dict[str, object]]:
    """``count`` open invoices of C1, one every other day up to ``newest``, oldest first
    (I1 the oldest), each of its own odd amount so no two groups sum alike by design."""
    return [
        invoice(n + 1, f"{97 + 31 * n + (n * n) % 17}.{(13 + 7 * n) % 100:02d}",
                issued=newest - timedelta(days=2 * (count - 1 - n)))
        for n in range(count)
    ]  # fmt: skip


def amount_of(invoices: list[dict[str, object]], ids: range) -> str:
    return str(sum(Decimal(str(invoices[n - 1]["amount_open"])) for n in ids))


def assert_suggested_as_oldest_items(count: int, paid: range) -> None:
    """A "PAYMENT" of items ``paid`` of ``count`` open ones is suggested as exactly those,
    by `oldest_open_items`."""
    invoices = open_items(count)
    result = match([payment("P1", amount_of(invoices, paid), reference="PAYMENT")], invoices)
    found = rows(result)
    assert set(found) == {("P1", f"I{n}") for n in paid}
    assert all("oldest_open_items" in row["rules"] for row in found.values())
    assert {row["status"] for row in found.values()} == {"suggested"}


def test_a_payer_with_forty_open_items_paying_its_five_oldest_is_matched_to_those() -> None:
    assert_suggested_as_oldest_items(40, range(1, 6))


def test_a_payer_whose_twenty_oldest_items_stay_open_pays_the_run_after_them() -> None:
    # Twenty items no payment placed (picked without a reference, a statement whose bank
    # line named no payer) lie before the run of eight this payment settles.
    assert_suggested_as_oldest_items(60, range(21, 29))


def test_max_oldest_items_zero_turns_the_oldest_items_off() -> None:
    # Five of forty: beyond the subset-sum's pools, so nothing else finds them.
    invoices = open_items(40)
    result = match(
        [payment("P1", amount_of(invoices, range(1, 6)), reference="PAYMENT")],
        invoices,
        cfg=MatchConfig(max_oldest_items=0),
    )
    assert result.height == 0


def test_a_statement_of_dozens_of_oldest_items_is_matched_whole() -> None:
    invoices = open_items(40)
    result = match(
        [payment("P1", amount_of(invoices, range(1, 31)), reference="STATEMENT")], invoices
    )
    assert set(rows(result)) == {("P1", f"I{n}") for n in range(1, 31)}


def paying(invoices: list[dict[str, object]], items: tuple[int, ...]) -> pl.DataFrame:
    paid = sum(Decimal(amount_of(invoices, range(n, n + 1))) for n in items)
    return match([payment("P1", str(paid), reference="PAYMENT")], invoices)


def test_a_payment_that_leaves_one_item_open_inside_its_run_is_matched_to_the_rest() -> None:
    # The five oldest but the third (on hold, in dispute): one item left open inside the run.
    invoices = open_items(40)
    result = paying(invoices, (1, 2, 4, 5))
    assert set(rows(result)) == {("P1", f"I{n}") for n in (1, 2, 4, 5)}
    assert all("oldest_open_items" in rules for rules in result["rules"].to_list())


@pytest.mark.parametrize("open_before", [0, 1, 20, 30])
def test_a_run_after_items_left_open_may_leave_one_open_inside_it_too(open_before: int) -> None:
    # Items no payment placed lie before the run, and one among its items: the run of
    # seven after them, less its third, is what this payment settles.
    invoices = open_items(60)
    run = range(open_before + 1, open_before + 8)
    items = tuple(n for n in run if n != open_before + 3)
    result = paying(invoices, items)
    assert set(rows(result)) == {("P1", f"I{n}") for n in items}
    assert all("oldest_open_items" in rules for rules in result["rules"].to_list())


def test_a_run_leaving_one_open_inside_it_pays_whichever_item_the_amount_leaves() -> None:
    # Two items of one amount inside the run: leaving either open sums alike, so the run
    # leaves the later one (its older twin paid first, as a clerk applies cash).
    invoices = open_items(40)
    invoices[3]["amount_open"] = invoices[1]["amount_open"]  # I4 of I2's amount
    result = paying(invoices, (1, 2, 3, 5, 6))
    assert set(rows(result)) == {("P1", f"I{n}") for n in (1, 2, 3, 5, 6)}
    assert all("oldest_open_items" in rules for rules in result["rules"].to_list())


def test_a_payment_that_skips_two_items_inside_the_oldest_is_not_forced_onto_them() -> None:
    # The six oldest but the second and the fourth: no run of the open items, whole or but
    # one item, sums to it, and no other rule may read it as the oldest items. The deeper
    # later subset round finds the four by their sum, as any group, for review. (Until
    # 94daa72 it found nothing here: a book whose first subset round settled nothing
    # skipped the later round, which a book where another group settles first runs.)
    invoices = open_items(40)
    result = paying(invoices, (1, 3, 5, 6))
    assert not any("oldest_open_items" in rules for rules in result["rules"].to_list())
    assert set(rows(result)) == {("P1", f"I{n}") for n in (1, 3, 5, 6)}
    assert all("subset_sum" in rules for rules in result["rules"].to_list())
    assert set(result["status"]) == {"suggested"}


def test_what_a_payment_is_matched_to_does_not_hang_on_another_groups_settling_first() -> None:
    # The same payment, alone and beside one whose two invoices the first subset round
    # settles: the later round runs in both books, so the first payment's group is the same.
    invoices = open_items(40)
    paid = sum(Decimal(amount_of(invoices, range(n, n + 1))) for n in (1, 3, 5, 6))
    pair = sum(Decimal(amount_of(invoices, range(n, n + 1))) for n in (38, 40))
    alone = match([payment("P1", str(paid), reference="PAYMENT")], invoices)
    beside = match(
        [
            payment("P1", str(paid), reference="PAYMENT"),
            payment("P2", str(pair), reference="PAYMENT"),
        ],
        invoices,
    )
    assert set(rows(beside)) == set(rows(alone)) | {("P2", "I38"), ("P2", "I40")}


def test_the_oldest_items_are_only_those_issued_by_the_payment_date() -> None:
    # I4 is issued 52 days before ISSUED: a payment of I1 to I4 made the day before cannot
    # be paying it, however well the sum fits.
    invoices = open_items(30)
    paid = amount_of(invoices, range(1, 5))
    result = match([payment("P1", paid, paid=ISSUED - timedelta(days=20))], invoices)
    assert set(rows(result)) == {("P1", f"I{n}") for n in range(1, 5)}
    result = match([payment("P1", paid, paid=ISSUED - timedelta(days=53))], invoices)
    assert result.height == 0


@pytest.mark.parametrize(
    ("p2_day", "cfg", "p2_pays"),
    [
        # P2, a month after P1, pays the oldest items P1 left.
        (35, None, range(6, 10)),
        # P2, a month before P1, has the amount of the items after P1's: with no item left
        # open allowed and one round, it was not paying what P1 left, so it stays unmatched.
        (-25, MatchConfig(subset_rounds=1, max_oldest_skipped=0), range(0)),
    ],
)
def test_a_later_payment_pays_the_oldest_items_the_earlier_one_left(
    p2_day: int, cfg: MatchConfig | None, p2_pays: range
) -> None:
    invoices = open_items(40)
    result = match(
        [
            payment("P1", amount_of(invoices, range(1, 6)), paid=ISSUED + timedelta(days=10)),
            payment(
                "P2", amount_of(invoices, range(6, 10)), paid=ISSUED + timedelta(days=10 + p2_day)
            ),
        ],
        invoices,
        cfg=cfg,
    )
    assert set(rows(result)) == {("P1", f"I{n}") for n in range(1, 6)} | {
        ("P2", f"I{n}") for n in p2_pays
    }


def test_an_earlier_payment_for_an_old_lookalike_keeps_it_from_a_later_statement() -> None:
    # I2 and I5 carry the same amount. P1, before the statement, pays I2 alone; the
    # statement P2 pays I1, I3, I4 and I5 (what is left oldest-first), which is also the
    # amount of the three oldest with I2. Thirty open items: the subset-sum's pools (the
    # most recent) do not reach these, so the oldest items decide alone.
    invoices = open_items(30)
    invoices[4]["amount_open"] = invoices[1]["amount_open"]
    result = match(
        [
            payment("P1", amount_of(invoices, range(2, 3)), paid=ISSUED - timedelta(days=1)),
            payment(
                "P2",
                str(sum(Decimal(amount_of(invoices, range(n, n + 1))) for n in (1, 3, 4, 5))),
                paid=ISSUED + timedelta(days=10),
            ),
        ],
        invoices,
    )
    assert set(rows(result)) == {("P1", "I2")} | {("P2", f"I{n}") for n in (1, 3, 4, 5)}


@pytest.mark.parametrize(
    ("near", "issued_before"),
    [("998.00", 0), ("1000.40", 260)],
    ids=["unexplained", "rounded_outside_the_window"],
)
def test_a_weak_near_amount_waits_for_every_exact_group(near: str, issued_before: int) -> None:
    # 1,000.00 with no reference: 2.00 off a 998.00 invoice, which nothing explains, or
    # 1,000.40 rounded down but issued 260 days before (outside the date window); or
    # exactly five invoices that only the deeper later subset round searches (other
    # items lie between them, so they are no run of oldest items either).
    def day(n: int) -> date:
        return ISSUED + timedelta(days=n)

    group = ["212.40", "187.35", "205.19", "195.06", "200.00"]
    between = ["77.77", "88.88", "66.66", "55.55"]
    invoices = [invoice(1, near)]
    for i, amount in enumerate(group):
        invoices.append(invoice(len(invoices) + 1, amount, issued=day(issued_before)))
        if i < len(between):
            invoices.append(invoice(len(invoices) + 1, between[i], issued=day(issued_before)))
    found = set(rows(match([payment("P1", "1000.00", paid=day(issued_before + 20))], invoices)))
    assert found == {("P1", f"I{n}") for n in (2, 4, 6, 8, 10)}


@pytest.mark.parametrize("part_paid_after", [True, False])
def test_a_balance_a_later_part_payment_leaves_is_in_no_earlier_group(
    part_paid_after: bool,
) -> None:
    # P1 (day 20, no reference) is 27.00 + 229.54 + 411.36 + 429.00, and 429.00 is what
    # P2's 998.12 leaves of I4's 1,427.12. Made on day 60, P2 had not paid yet on P1's
    # day, so P1 cannot have settled that balance; made on day 10, it had.
    def day(n: int) -> date:
        return ISSUED + timedelta(days=n)

    invoices = [invoice(1, "27.00"), invoice(2, "229.54"), invoice(3, "411.36")]
    payments = [
        payment("P1", "1096.90", paid=day(20)),
        payment("P2", "998.12", reference="INV-0000004", paid=day(60 if part_paid_after else 10)),
    ]
    found = set(rows(match(payments, [*invoices, invoice(4, "1427.12")])))
    group = {("P1", "I1"), ("P1", "I2"), ("P1", "I3"), ("P1", "I4")}
    assert ("P2", "I4") in found
    assert found.isdisjoint(group) if part_paid_after else group <= found


def test_a_balance_the_payer_short_paid_is_left_out_of_its_oldest_items() -> None:
    # P1 names I3 and pays half of it: the rest is disputed, and the statement P2 pays
    # the oldest items but that balance (I1, I2, I4, I5), further back than the few
    # oldest items a payment may leave open at the start of its run.
    invoices = open_items(40)
    half = Decimal(amount_of(invoices, range(3, 4))) / 2
    rest = sum(Decimal(amount_of(invoices, range(n, n + 1))) for n in (1, 2, 4, 5))
    result = match(
        [
            payment("P1", str(half), reference="INV-0000003", paid=ISSUED - timedelta(days=20)),
            payment("P2", str(rest), reference="PAYMENT", paid=ISSUED + timedelta(days=10)),
        ],
        invoices,
    )
    found = rows(result)
    assert set(found) == {("P1", "I3")} | {("P2", f"I{n}") for n in (1, 2, 4, 5)}
    assert all("oldest_open_items" in found[("P2", f"I{n}")]["rules"] for n in (1, 2, 4, 5))


def test_a_payer_paying_its_statements_month_after_month_pays_the_next_oldest_each_time() -> None:
    # Four payments, a month apart, each the next oldest items: more than the subset
    # rounds, so each must be found after the groups of the earlier ones.
    invoices = open_items(40)
    chunks = [range(1, 6), range(6, 10), range(10, 16), range(16, 19)]
    result = match(
        [
            payment(f"P{m}", amount_of(invoices, chunk), paid=ISSUED + timedelta(days=30 * m))
            for m, chunk in enumerate(chunks, start=1)
        ],
        invoices,
    )
    assert set(rows(result)) == {
        (f"P{m}", f"I{n}") for m, chunk in enumerate(chunks, start=1) for n in chunk
    }


def test_a_payment_leaving_the_oldest_item_open_pays_the_next_ones() -> None:
    # I1 is disputed, or on hold: the payables run leaves it and pays the next five.
    assert_suggested_as_oldest_items(30, range(2, 7))


def test_statements_after_one_whose_bank_line_is_missing_still_pay_their_oldest_items() -> None:
    # Three monthly statements: I1 to I3, I4 to I8, I9 to I12. The first one's payment
    # never reaches the bank feed, so its items stay open; the next two pay what follows.
    invoices = open_items(30)
    chunks = {2: range(4, 9), 3: range(9, 13)}
    result = match(
        [
            payment("P2", amount_of(invoices, chunks[2]), reference="STATEMENT FEB",
                    paid=ISSUED + timedelta(days=30)),
            payment("P3", amount_of(invoices, chunks[3]), reference="STATEMENT MAR",
                    paid=ISSUED + timedelta(days=60)),
        ],
        invoices,
    )  # fmt: skip
    assert set(rows(result)) == {(f"P{m}", f"I{n}") for m, chunk in chunks.items() for n in chunk}


def test_a_run_of_the_oldest_items_is_preferred_to_one_that_leaves_an_item_open() -> None:
    # I6 carries I1's amount, so I1 to I5 and I2 to I6 sum alike: the run that leaves
    # nothing open is the one a payer paying oldest-first pays.
    invoices = open_items(30)
    invoices[5]["amount_open"] = invoices[0]["amount_open"]
    result = match([payment("P1", amount_of(invoices, range(1, 6)), reference="PAYMENT")], invoices)
    assert set(rows(result)) == {("P1", f"I{n}") for n in range(1, 6)}


def test_the_last_instalment_of_an_old_invoice_pays_its_balance_beyond_the_searched_leftovers() -> (
    None
):
    # P1 names I1 and pays 600.00 of 1,000.00; P2, months later and naming nothing, pays
    # the 400.00 left. Five newer invoices (no sum of which is 400.00) are all the subset
    # search sees of this payer under a cap of three leftovers a side: the balance is
    # met all the same, as the last instalment of I1.
    def day(n: int) -> date:
        return ISSUED + timedelta(days=n)

    newer = ["1234.56", "2345.67", "3456.78", "4567.89", "5678.91"]
    invoices = [
        invoice(1, "1000.00"),
        *(invoice(n, amount, issued=day(30 * n)) for n, amount in enumerate(newer, 2)),
    ]
    payments = [
        payment("P1", "600.00", reference="INV-0000001", paid=day(10)),
        payment("P2", "400.00", paid=day(200)),
    ]
    for cfg in (MatchConfig(max_leftovers_per_counterparty=3), MatchConfig()):
        found = rows(match(payments, invoices, cfg=cfg))
        assert set(found) == {("P1", "I1"), ("P2", "I1")}
        assert "remaining_balance" in found[("P2", "I1")]["rules"]
        assert found[("P2", "I1")]["allocated_amount"] == Decimal("400.00")


def test_an_unidentified_payer_naming_a_partly_paid_invoice_pays_its_balance() -> None:
    # C1 pays 42.61 of I1's 91.69; a bank line from nobody the book knows, long after
    # the invoice's date window, names I1 and pays the 49.08 left. One cent more is no
    # balance of I1's, and nothing else says the line is for it.
    reference = "INV-0551710 thanks"
    invoices = [{**invoice(1, "91.69"), "number": "INV-0551710"}]
    first = payment("P1", "42.61", reference="INV-0551710", paid=ISSUED + timedelta(days=10))
    late = ISSUED + timedelta(days=300)
    found = rows(
        match([first, payment("P2", "49.08", cp=None, reference=reference, paid=late)], invoices)
    )
    assert set(found) == {("P1", "I1"), ("P2", "I1")}
    rules = set(found[("P2", "I1")]["rules"])
    assert {"reference_in_text", "counterparty_unknown", "remaining_balance"} <= rules
    off = rows(
        match([first, payment("P2", "49.09", cp=None, reference=reference, paid=late)], invoices)
    )
    assert set(off) == {("P1", "I1")}
