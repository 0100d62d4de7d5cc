"""Master record linkage: normalisation rules, each evidence rule, and the one-to-one link."""

from __future__ import annotations

import math
from collections.abc import Mapping

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from record_builders import HARPER_ROW

from matcher import normalise as n
from matcher.masters import KASHFLOW_COLUMNS, SAGE100_COLUMNS, MasterConfig, link_masters

# Normalisation ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Müller Trading Ltd.", "muller trading"),
        ("MULLER TRADING LIMITED", "muller trading"),
        ("  Harper   &  Sons plc ", "harper and sons"),
        ("Harper and Sons PLC", "harper and sons"),
        ("Café Zoë & Co", "cafe zoe"),
        ("Ørsted Foods Ltd", "orsted foods"),
        ("The Oak Company Limited", "oak"),
        ("Ltd", "ltd"),
        ("Harper Eng Ltd", "harper engineering"),
        ("S/S Coffee Tbl 60cm", "stainless coffee table 60cm"),
        (None, ""),
    ],
)
def test_name_normalisation_drops_case_punctuation_accents_and_legal_suffixes(
    raw: str | None, expected: str
) -> None:
    assert n.normalise_name(raw) == expected


@pytest.mark.parametrize(
    "phone", ["+44 (0)1632 960123", "01632 960123", "0044 1632-960123", "(01632) 960 123"]
)
def test_phone_numbers_in_any_format_give_the_national_number(phone: str) -> None:
    assert n.normalise_phone(phone) == "1632960123"


def test_postcode_tax_email_and_code_normalisation() -> None:
    assert n.normalise_postcode("ls1 4ab") == n.normalise_postcode("LS14AB") == "LS14AB"
    assert n.postcode_district("LS1 4AB") == "LS1"
    assert n.normalise_tax_number("GB 123 4567 89") == n.normalise_tax_number("123456789")
    assert n.normalise_email(" Accounts@Harper.CO.UK ") == "accounts@harper.co.uk"
    assert n.email_domain("accounts@harper.co.uk") == "harper.co.uk"
    assert n.normalise_code("oak-tbl-0012") == n.normalise_code("OAKTBL0012")
    assert n.normalise_address("12 High St.") == "12 high street"


_NORMALISERS = [
    n.normalise_name,
    n.normalise_email,
    n.normalise_phone,
    n.normalise_postcode,
    n.postcode_district,
    n.normalise_tax_number,
    n.normalise_code,
    n.normalise_address,
    n.clean_text,
    n.fold_accents,
]


@given(st.text(max_size=40), st.sampled_from(_NORMALISERS))
def test_normalisation_is_idempotent(text: str, normaliser: object) -> None:
    assert callable(normaliser)
    once = normaliser(text)
    assert normaliser(once) == once


@given(st.text(alphabet="abcdefghij KLMNOP&.-'", max_size=30))
def test_name_normalisation_ignores_case_and_suffix(name: str) -> None:
    name = f"Harper {name}"
    assert n.normalise_name(name.upper() + " Ltd") == n.normalise_name(name.lower() + " Limited")


def test_normalised_series_maps_each_value_and_keeps_nulls_as_empty() -> None:
    series = pl.Series("name", ["Harper Ltd", None, "Harper Ltd", "Oak PLC"])
    assert n.normalised(series, "normalise_name").to_list() == ["harper", "", "harper", "oak"]


# Evidence rules -----------------------------------------------------------------------------

_BASE = HARPER_ROW


def _link(left: Mapping[str, str | None], right: Mapping[str, str | None]) -> pl.DataFrame:
    config = MasterConfig(suggest_threshold=0.0, max_block_pairs=10)
    return link_masters(pl.DataFrame([left]), pl.DataFrame([right]), config)


def _score(left: Mapping[str, str | None], right: Mapping[str, str | None]) -> float:
    links = _link(left, right)
    return float(links["score"][0]) if links.height else 0.0


def _weight(left: Mapping[str, str | None], right: Mapping[str, str | None]) -> float:
    """The pair's match weight (log2 odds): unlike the probability, it never saturates,
    so evidence on top of strong evidence still shows."""
    links = _link(left, right)
    return float(links["match_weight"][0]) if links.height else -math.inf


def _right(**changes: str | None) -> dict[str, str | None]:
    return {**_BASE, "id": "R1", **changes}


@pytest.mark.parametrize(
    ("field", "agree", "differ"),
    [
        ("tax_number", "GB 123 456 789", "GB987654321"),
        ("email", "ACCOUNTS@harperjoinery.co.uk", "sales@elsewhere.co.uk"),
        ("phone", "+44 1632 960123", "07700 900999"),
        ("postcode", "ls14ab", "BS8 1TH"),
        ("address", "12 High St", "99 Quarry Lane"),
        ("city", "LEEDS", "Bristol"),
    ],
)
def test_each_field_that_agrees_raises_the_score_and_each_that_differs_lowers_it(
    field: str, agree: str, differ: str
) -> None:
    missing = _weight(_BASE, _right(**{field: None}))
    assert (
        _weight(_BASE, _right(**{field: agree}))
        > missing
        > _weight(_BASE, _right(**{field: differ}))
    )


def test_same_email_domain_is_weaker_than_the_same_address() -> None:
    same = _weight(_BASE, _right(phone=None, tax_number=None))
    domain = _weight(_BASE, _right(phone=None, tax_number=None, email="info@harperjoinery.co.uk"))
    free = _weight(_BASE, _right(phone=None, tax_number=None, email="harper@gmail.com"))
    assert same > domain > free


def test_name_similarity_drives_the_score() -> None:
    bare = {"postcode": None, "phone": None, "email": None, "tax_number": None, "address": None}
    typo = _score(_BASE, _right(name="Harpr Joinery Limited", **bare))
    other = _score(_BASE, _right(name="Quarry Plumbing Ltd", **bare))
    assert typo > 0.5 > other


def test_different_numbers_in_names_count_against_a_link() -> None:
    left = {"id": "A", "name": "Oak Dining Table 180cm"}
    assert _score(left, {"id": "B", "name": "OAK DINING TBL 180CM"}) > 0.5
    assert _score(left, {"id": "B", "name": "Oak Dining Table 160cm"}) < 0.1


def test_item_codes_compared_loosely() -> None:
    left = {"id": "OAKDT-180C-00012", "code": "OAKDT-180C-00012", "name": "Oak Dining Table"}
    right = {"id": "oakdt180c00012", "code": "oakdt180c00012", "name": "OAK DINING TBL"}
    other = {"id": "X9", "code": "X9", "name": "OAK DINING TBL"}
    assert _weight(left, right) > _weight(left, other)


# Linking ------------------------------------------------------------------------------------


def test_identical_records_link_automatically_with_evidence() -> None:
    links = link_masters(pl.DataFrame([_BASE]), pl.DataFrame([_right()]))
    assert links.select("left_id", "right_id", "status").row(0) == ("L1", "R1", "auto")
    assert "tax=" in links["evidence"][0]


def test_a_clear_winner_is_auto_despite_weaker_rivals() -> None:
    rivals = [
        {"id": "R0", "name": "Harper Joinery North Ltd", "city": "York"},
        {"id": "R1", "name": "HARPER JOINERY LIMITED", "email": "ACCOUNTS@harperjoinery.co.uk",
         "postcode": "LS14AB", "tax_number": "123456789"},
        {"id": "R2", "name": "Harper Joiners", "city": "Bath"},
    ]  # fmt: skip
    links = link_masters(pl.DataFrame([_BASE]), pl.DataFrame(rivals))
    assert links.select("right_id", "status").rows() == [("R1", "auto")]
    assert links["margin"][0] > 0.5


def test_a_namesake_elsewhere_is_not_linked() -> None:
    namesake = _right(
        email="info@harperjoinery-york.co.uk",
        phone="01904 111222",
        postcode="YO1 7HH",
        address="3 Mill Lane",
        city="York",
        tax_number="GB555666777",
    )
    assert link_masters(pl.DataFrame([_BASE]), pl.DataFrame([namesake])).is_empty()


def test_two_equally_good_candidates_are_never_auto() -> None:
    left = pl.DataFrame([{"id": "L1", "name": "Harper Joinery Ltd"}])
    right = pl.DataFrame(
        [{"id": "R1", "name": "Harper Joinery Ltd"}, {"id": "R2", "name": "Harper Joinery Ltd"}]
    )
    links = link_masters(left, right)
    assert links.height <= 1
    assert "auto" not in links["status"].to_list()


def test_missing_required_columns_are_reported() -> None:
    with pytest.raises(ValueError, match="name"):
        link_masters(pl.DataFrame({"id": ["1"]}), pl.DataFrame({"id": ["2"], "name": ["x"]}))


def test_empty_frames_give_an_empty_result_with_the_contract_columns() -> None:
    empty = pl.DataFrame(schema={"id": pl.Utf8, "name": pl.Utf8})
    links = link_masters(empty, empty)
    assert links.is_empty()
    assert links.columns[:4] == ["left_id", "right_id", "score", "status"]


_names = st.lists(
    st.sampled_from(
        ["Harper Joinery", "Harper Joinery Ltd", "Oak Foods", "Oak Foods PLC", "Vale Print", "Vale"]
    ),
    min_size=1,
    max_size=8,
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_names, _names)
def test_links_are_one_to_one_and_scores_in_unit_interval(
    left: list[str], right: list[str]
) -> None:
    links = link_masters(
        pl.DataFrame({"id": [f"L{i}" for i in range(len(left))], "name": left}),
        pl.DataFrame({"id": [f"R{i}" for i in range(len(right))], "name": right}),
    )
    assert links["left_id"].n_unique() == links.height
    assert links["right_id"].n_unique() == links.height
    assert links["score"].is_between(0.0, 1.0).all()
    assert set(links["status"].to_list()) <= {"auto", "suggested"}


@settings(max_examples=30, deadline=None)
@given(st.lists(st.sampled_from(["Harper Joinery", "Oak Foods Ltd", "Vale Print", "Müller AG"]),
                min_size=1, max_size=4, unique=True))  # fmt: skip
def test_linking_is_symmetric(names: list[str]) -> None:
    left = pl.DataFrame({"id": [f"L{i}" for i in range(len(names))], "name": names})
    right = pl.DataFrame({"id": [f"R{i}" for i in range(len(names))], "name": names[::-1]})
    forward = link_masters(left, right).select("left_id", "right_id", "score")
    backward = link_masters(right, left).select(
        pl.col("right_id").alias("left_id"), pl.col("left_id").alias("right_id"), "score"
    )
    assert forward.sort("left_id").equals(backward.sort("left_id"))
    assert forward.height == len(names)  # each distinct name finds itself


def test_native_columns_rename_to_the_contract() -> None:
    kashflow = pl.DataFrame(
        {"Code": ["HARP01"], "Name": ["Harper Joinery Ltd"], "Email": ["a@harper.co.uk"],
         "Postcode": ["LS1 4AB"], "VatNumber": ["GB123456789"]}
    ).rename(KASHFLOW_COLUMNS, strict=False)  # fmt: skip
    sage = pl.DataFrame(
        {"ARDivisionNo": ["01"], "CustomerNo": ["0000042"], "CustomerName": ["HARPER JOINERY"],
         "EmailAddress": ["A@HARPER.CO.UK"], "ZipCode": ["LS14AB"], "TaxExemptNo": ["123456789"]}
    ).rename(SAGE100_COLUMNS, strict=False)  # fmt: skip
    links = link_masters(kashflow, sage)
    assert links.select("left_id", "right_id", "status").row(0) == ("HARP01", "0000042", "auto")
