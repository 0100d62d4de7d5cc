"""Phone, VAT and tax number normalisation: every way one number is written gives one
key, whatever the default region, and normalising twice is normalising once."""

from __future__ import annotations

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from matcher import normalise as n
from matcher.masters import MasterConfig, link_masters

REGIONS = st.sampled_from(["US", "CA", "GB", "DE", "FR", "AU", "IE"])
HOME_REGIONS = st.sampled_from(["US", "CA", "GB"])


@st.composite
def north_american_numbers(draw: st.DrawFn) -> str:
    """Ten digits of the North American plan: area code, exchange, line."""
    area = draw(st.from_regex(r"\A[2-9][0-8][0-9]\Z"))
    exchange = draw(st.from_regex(r"\A[2-9][0-9]{2}\Z"))
    line = draw(st.from_regex(r"\A[0-9]{4}\Z"))
    return area + exchange + line


@st.composite
def uk_numbers(draw: st.DrawFn) -> str:
    """A UK geographic number as dialled at home: 0, then ten digits."""
    return "0" + draw(st.from_regex(r"\A[12][0-9]{9}\Z"))


def north_american_styles(digits: str) -> list[str]:
    a, e, line = digits[:3], digits[3:6], digits[6:]
    return [
        digits,
        f"({a}) {e}-{line}",
        f"+1 {a} {e} {line}",
        f"{a}.{e}.{line} x12",
        f"1-{a}-{e}-{line}",
        f"+1 ({a}) {e}-{line} ext. 204",
        f"001 {a} {e} {line}",
    ]


def uk_styles(dialled: str) -> list[str]:
    national = dialled[1:]
    return [
        dialled,
        f"+44 {national[:4]} {national[4:]}",
        f"+44 (0){national[:4]} {national[4:]}",
        f"0044 {national[:4]}-{national[4:]}",
        f"({dialled[:5]}) {dialled[5:8]} {dialled[8:]}",
        f"{dialled[:5]}-{dialled[5:]}",
    ]


@pytest.mark.parametrize(
    "phone", ["(555) 123-4567", "+1 555 123 4567", "555.123.4567 x12", "5551234567"]
)
@pytest.mark.parametrize("region", ["US", "CA", "GB"])
def test_north_american_numbers_give_their_ten_digits(phone: str, region: str) -> None:
    assert n.normalise_phone(phone, region) == "5551234567"


def test_numbers_of_other_countries_keep_their_country_code() -> None:
    assert n.normalise_phone("+33 1 23 45 67 89") == "+33123456789"
    assert n.normalise_phone("0033 1 23 45 67 89") == "+33123456789"
    assert n.normalise_phone("01 23 45 67 89", "FR") == "123456789"


@given(north_american_numbers(), HOME_REGIONS)
def test_north_american_format_variants_normalise_equal(digits: str, region: str) -> None:
    keys = {n.normalise_phone(style, region) for style in north_american_styles(digits)}
    assert keys == {digits}


@given(uk_numbers(), HOME_REGIONS)
def test_uk_format_variants_normalise_equal(dialled: str, region: str) -> None:
    keys = {n.normalise_phone(style, region) for style in uk_styles(dialled)}
    assert keys == {dialled[1:]}


@given(st.text(max_size=30), REGIONS)
def test_phone_normalisation_is_idempotent_in_any_region(text: str, region: str) -> None:
    once = n.normalise_phone(text, region)
    assert n.normalise_phone(once, region) == once


@given(st.from_regex(r"\A[+(]?[0-9 ().+-]{0,20}(x[0-9]{1,4})?\Z"), REGIONS)
def test_phone_like_text_is_idempotent_in_any_region(text: str, region: str) -> None:
    once = n.normalise_phone(text, region)
    assert n.normalise_phone(once, region) == once


# VAT and tax numbers --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "key"),
    [
        ("GB 123 4567 89", "123456789"),
        ("gb123456789", "123456789"),
        ("VAT: GB 123 456 789", "123456789"),
        ("XI 123 4567 89", "123456789"),
        ("ATU 1234 5678", "U12345678"),
        ("NL 1234.56.789.B01", "123456789B01"),
        ("EL 123456789", "123456789"),
        ("de 123 456 789", "123456789"),
        ("12-3456789", "123456789"),
        ("EIN 12-3456789", "123456789"),
        ("123-45-6789", "123456789"),
        ("N/A", ""),
        ("exempt", ""),
    ],
)
def test_tax_numbers_lose_separators_labels_and_country_prefix(written: str, key: str) -> None:
    assert n.normalise_tax_number(written) == key


def _spaced(text: str, every: int) -> str:
    return " ".join(text[i : i + every] for i in range(0, len(text), every))


VAT_NATIONAL_PARTS = {
    "GB": r"[0-9]{9}",
    "XI": r"[0-9]{9}",
    "DE": r"[0-9]{9}",
    "EL": r"[0-9]{9}",
    "FR": r"[0-9]{11}",
    "AT": r"U[0-9]{8}",
    "IE": r"[0-9]{7}[A-W]",
    "NL": r"[0-9]{9}B[0-9]{2}",
}
"""Each country's VAT number after its prefix (the shapes, not the check digits)."""


@st.composite
def vat_numbers(draw: st.DrawFn) -> tuple[str, str]:
    country = draw(st.sampled_from(sorted(VAT_NATIONAL_PARTS)))
    return country, draw(st.from_regex(rf"\A{VAT_NATIONAL_PARTS[country]}\Z"))


@given(vat_numbers())
def test_vat_number_format_variants_normalise_equal(vat: tuple[str, str]) -> None:
    country, national = vat
    written = [
        country + national,
        f"{country} {_spaced(national, 3)}",
        f"{country.lower()}-{national.lower()}",
        f"VAT {country}{national}",
        national,
        f"{country}.{_spaced(national, 4)}",
    ]
    assert {n.normalise_tax_number(w) for w in written} == {national}


@given(st.from_regex(r"\A[0-9]{9}\Z"))
def test_us_ein_format_variants_normalise_equal(digits: str) -> None:
    written = [digits, f"{digits[:2]}-{digits[2:]}", f"EIN {digits[:2]}-{digits[2:]}",
               f"TIN: {digits[:3]}-{digits[3:5]}-{digits[5:]}"]  # fmt: skip
    assert {n.normalise_tax_number(w) for w in written} == {digits}


@given(st.text(max_size=30))
def test_tax_number_normalisation_is_idempotent(text: str) -> None:
    once = n.normalise_tax_number(text)
    assert n.normalise_tax_number(once) == once


@given(st.from_regex(r"\A[A-Za-z]{0,4}[ :-]?[A-Z0-9 .-]{0,16}\Z"))
def test_tax_like_text_is_idempotent(text: str) -> None:
    once = n.normalise_tax_number(text)
    assert n.normalise_tax_number(once) == once


# In the master linker ------------------------------------------------------------------


def test_north_american_phones_are_evidence_for_a_link() -> None:
    """Two records alike but for a name typo link on phone only when the phone formats
    are understood as one number."""
    left = pl.DataFrame({"id": ["K1", "K2"], "name": ["Mapleton Supply", "Birchwood Tools"],
                         "phone": ["+1 (416) 555-0199", "+1 212 555 0123"]})  # fmt: skip
    right = pl.DataFrame({"id": ["S1", "S2"], "name": ["Mapelton Suply", "Birchwod Tools"],
                          "phone": ["416.555.0199 x3", "(212) 555-0123"]})  # fmt: skip
    links = link_masters(left, right, MasterConfig(phone_region="CA", suggest_threshold=0.0))
    pairs = {(row["left_id"], row["right_id"]) for row in links.iter_rows(named=True)}
    assert pairs == {("K1", "S1"), ("K2", "S2")}
    assert all("phone=" in evidence for evidence in links["evidence"])
