"""A Sage 100 value that is not what its column holds (text in an amount, a date that is no
date) refuses its own record, naming the column, and the reader goes on with the rest:
read over real ODBC from a company file edited behind the sandbox's back."""

from __future__ import annotations

import sqlite3
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from canonical import ValidationFailed
from connectors.sage100 import Sage100Reader
from connectors.sage100.mapping import UnreadableColumn, day, number, whole
from connectors.sage100.odbc import SourceRecord, stamp_of


def set_column(company_db: Path, table: str, column: str, value: Any, where: str) -> None:
    with sqlite3.connect(company_db) as sage:
        changed = sage.execute(f"UPDATE {table} SET {column} = ? WHERE {where}", [value])
        assert changed.rowcount >= 1


def sourced(reader: Sage100Reader, entity: str) -> dict[str, SourceRecord]:
    return {one.key: one for one in reader.read_sourced(entity)}


def set_customer_column(
    reader: Sage100Reader, company_db: Path, column: str, value: Any, *, last: bool = False
) -> tuple[str, str, str]:
    """Sets `column` of the first (or last) customer by key: its key, division and number."""
    keys = sorted(sourced(reader, "customer"))
    key = keys[-1] if last else keys[0]
    division, number_ = key.split("-", 1)
    set_column(
        company_db, "AR_Customer", column, value,
        f"ARDivisionNo = '{division}' AND CustomerNo = '{number_}'",
    )  # fmt: skip
    return key, division, number_


def test_text_in_an_amount_refuses_that_customer_by_column(
    reader: Sage100Reader, company_db: Path
) -> None:
    before = sourced(reader, "customer")
    key, _, _ = set_customer_column(reader, company_db, "CreditLimit", "lots")
    after = sourced(reader, "customer")
    assert after.keys() == before.keys()
    refused = after[key]
    assert refused.record is None and refused.error is not None
    assert refused.error.field == "raw.CreditLimit"
    assert str(refused.error) == (
        f"sage100/customer/{key} field raw.CreditLimit: CreditLimit is 'lots', not a number"
    )
    assert all(one.record is not None for k, one in after.items() if k != key)


def test_a_bad_line_amount_names_the_line_of_the_invoice(
    reader: Sage100Reader, company_db: Path
) -> None:
    with sqlite3.connect(company_db) as sage:
        invoice_no, lines = sage.execute(
            "SELECT InvoiceNo, count(*) FROM AR_InvoiceHistoryDetail"
            " GROUP BY InvoiceNo, HeaderSeqNo HAVING count(*) > 1 ORDER BY InvoiceNo LIMIT 1"
        ).fetchone()
        last = sage.execute(
            "SELECT max(DetailSeqNo) FROM AR_InvoiceHistoryDetail WHERE InvoiceNo = ?",
            [invoice_no],
        ).fetchone()[0]
    set_column(
        company_db, "AR_InvoiceHistoryDetail", "TaxAmt", "1,20",
        f"InvoiceNo = '{invoice_no}' AND DetailSeqNo = '{last}'",
    )  # fmt: skip
    refused = sourced(reader, "sales_invoice")[invoice_no]
    assert refused.error is not None
    assert refused.error.field == f"raw.AR_InvoiceHistoryDetail.{lines - 1}.TaxAmt"
    assert "TaxAmt is '1,20', not a number" in str(refused.error)


def test_a_date_that_is_no_date_arrives_empty_and_the_record_is_kept(
    reader: Sage100Reader, company_db: Path
) -> None:
    """The SQLite ODBC driver reads a DATE column that holds no date as NULL (as a driver
    typing its columns would never hand over text): the record is read, as never stamped."""
    key, division, number_ = set_customer_column(
        reader, company_db, "DateUpdated", "9999-99-99", last=True
    )
    kept = sourced(reader, "customer")[key]
    assert kept.record is not None and kept.updated_at is None
    stamps = reader.stamps_since("customer", datetime(2000, 1, 1))
    assert (division, number_) not in stamps and stamps


def test_a_date_that_is_no_date_does_not_hide_the_newest_stamp(
    reader: Sage100Reader, company_db: Path
) -> None:
    """MAX over the column would be the text that is no date (it sorts after every date),
    and the first poll of the entity would fail naming no record: the newest stamp is the
    newest one that reads, the record without one is read as never stamped."""
    set_customer_column(reader, company_db, "DateUpdated", "9999-99-99", last=True)
    stamps = reader.stamps_since("customer", datetime(2000, 1, 1))
    assert reader.newest_stamp("customer") == max(stamps.values())


def test_a_stamp_time_that_is_no_number_is_refused_by_record_and_column(
    reader: Sage100Reader, company_db: Path
) -> None:
    """TimeUpdated is text (varchar(8), decimal hours): what it holds arrives as it is. The
    record is refused when read; the stamps refuse to pass over it (a poll could never see
    it change), naming it."""
    key, _, _ = set_customer_column(reader, company_db, "TimeUpdated", "noon", last=True)
    refused = sourced(reader, "customer")[key]
    assert refused.record is None and refused.error is not None
    assert str(refused.error) == (
        f"sage100/customer/{key} field raw.TimeUpdated: TimeUpdated is 'noon', not a number"
    )
    with pytest.raises(ValidationFailed) as stopped:
        reader.stamps_since("customer", datetime(2000, 1, 1))
    assert str(stopped.value) == (
        f"sage100/customer/{key} field raw.TimeUpdated: TimeUpdated is 'noon', not a number:"
        " no change to this record can be seen"
    )


def test_a_stamp_in_text_that_is_no_date_is_refused_by_column() -> None:
    with pytest.raises(UnreadableColumn, match=r"^DateUpdated is '2026-13-01', not a date$"):
        stamp_of({"DateUpdated": "2026-13-01", "TimeUpdated": "9.5"})
    with pytest.raises(UnreadableColumn, match=r"^TimeUpdated is 'noon', not a number$"):
        stamp_of({"DateUpdated": "2026-11-02", "TimeUpdated": "noon"})
    assert stamp_of({"DateUpdated": "2026-11-02", "TimeUpdated": " 9.5 "}) == datetime(
        2026, 11, 2, 9, 30
    )


@given(st.one_of(st.text(), st.integers(), st.floats(), st.decimals()))
def test_a_number_column_reads_finite_or_is_refused_by_name(value: object) -> None:
    try:
        read = number({"Amt": value}, "Amt")
    except UnreadableColumn as refused:
        assert refused.column == "Amt" and str(refused).startswith("Amt is ")
    else:
        assert isinstance(read, Decimal) and read.is_finite()


@given(st.text())
def test_a_date_column_reads_or_is_refused_by_name(value: str) -> None:
    try:
        day({"Day": value}, "Day")
    except UnreadableColumn as refused:
        assert refused.column == "Day"


@pytest.mark.parametrize("value", ["", "  ", None])
def test_an_empty_amount_is_zero_as_sage_shows_it(value: object) -> None:
    assert number({"Amt": value}, "Amt") == 0


@pytest.mark.parametrize(("value", "read"), [("3", 3), (" 0004 ", 4), (2.0, 2), (Decimal(7), 7)])
def test_a_line_number_reads_whole(value: object, read: int) -> None:
    assert whole({"DetailSeqNo": value}, "DetailSeqNo") == read


@pytest.mark.parametrize("value", ["", "  ", None, "2.5", "two"])
def test_a_line_number_that_is_missing_or_not_whole_is_refused_by_name(value: object) -> None:
    with pytest.raises(UnreadableColumn, match=r"^DetailSeqNo is .*, not a whole number$"):
        whole({"DetailSeqNo": value}, "DetailSeqNo")
