"""The pieces the pages are made of: money, dates and durations as finance reads them, and
the front page's SVG chart (well-formed, one bar segment per system and age bucket, heights
in proportion to the amounts)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from api.services.unmatched import UnmatchedTotal
from api.ui.charts import age_chart
from api.ui.formatting import code_spans, day, duration, moment, money

SVG = "{http://www.w3.org/2000/svg}"


def test_money_shows_its_currency_and_two_decimals() -> None:
    assert money(Decimal("1234.5"), "GBP") == "£1,234.50"
    assert money(Decimal("-12"), "usd") == "-$12.00"
    assert money("1000", "CHF") == "1,000.00 CHF"
    assert money(None, "GBP") == ""


def test_dates_and_times_read_one_way() -> None:
    assert day(date(2026, 11, 3)) == "03 Nov 2026"
    assert day("2026-11-03") == "03 Nov 2026"
    assert moment(datetime(2026, 11, 3, 9, 5, tzinfo=UTC)) == "03 Nov 2026 09:05 UTC"
    assert [duration(s) for s in (5, 600, 3 * 3600 + 300, 3 * 86400)] == [
        "5 s", "10 min", "3 h 5 min", "3 days",
    ]  # fmt: skip


def test_backticks_become_code_and_nothing_else_is_markup() -> None:
    assert str(code_spans("run `ledgerbridge reconcile` <now>")) == (
        "run <code>ledgerbridge reconcile</code> &lt;now&gt;"
    )


def total(system: str, bucket: str, amount: str) -> UnmatchedTotal:
    return UnmatchedTotal(
        currency="GBP",
        system=system,
        age_bucket=bucket,  # type: ignore[arg-type]
        items=1,
        amount_open=Decimal(amount),
    )


def test_the_chart_stacks_systems_per_age_bucket_in_proportion() -> None:
    totals = [
        total("kashflow", "0-30", "100"), total("sage100", "0-30", "300"),
        total("kashflow", "90+", "50"),
        UnmatchedTotal(currency="USD", system="kashflow", age_bucket="0-30", items=1,
                       amount_open=Decimal("999")),
    ]  # fmt: skip
    svg = ET.fromstring(str(age_chart(totals, "GBP")))
    bars = {
        rect.findtext(f"{SVG}title"): float(rect.get("height", 0))
        for rect in svg.iter(f"{SVG}rect")
        if rect.find(f"{SVG}title") is not None
    }
    assert set(bars) == {
        "kashflow, 0-30 days: £100.00 in 1 items",
        "sage100, 0-30 days: £300.00 in 1 items",
        "kashflow, 90+ days: £50.00 in 1 items",
    }
    heights = list(bars.values())
    assert heights[1] == pytest.approx(3 * heights[0], abs=0.1)
    assert heights[2] * 2 == pytest.approx(heights[0], abs=0.1)
    labels = [t.text for t in svg.iter(f"{SVG}text")]
    assert "£400.00" in labels and "0-30 days" in labels and "sage100" in labels


def test_a_chart_with_nothing_open_draws_no_bars() -> None:
    svg = ET.fromstring(str(age_chart([], "GBP")))
    assert [r for r in svg.iter(f"{SVG}rect") if r.find(f"{SVG}title") is not None] == []
