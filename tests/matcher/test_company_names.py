"""Company names: legal-form words say what kind of entity, not which; t/a names split."""

from __future__ import annotations

import polars as pl
import pytest

from matcher.masters import link_masters
from matcher.masters.company_names import CompanyName, company_name


@pytest.mark.parametrize(
    "written",
    [
        "Harper Joinery",
        "Harper Joinery Ltd",
        "HARPER JOINERY LIMITED",
        "Harper Joinery Ltd.",
        "Harper Joinery Inc.",
        "Harper Joinery LLC",
        "Harper Joinery L.L.C.",
        "Harper Joinery Corp.",
        "Harper Joinery Corporation",
        "Harper Joinery PLC",
        "Harper Joinery P.L.C.",
        "Harper Joinery & Co",
        "Harper Joinery & Co. Ltd",
        "Harper Joinery GmbH",
        "Harper Joinery GmbH & Co. KG",
        "The Harper Joinery Company Limited",
    ],
)
def test_legal_forms_are_not_part_of_the_name(written: str) -> None:
    assert company_name(written).full == "harper joinery"


def test_a_legal_form_inside_the_name_goes_too_but_the_qualifier_stays() -> None:
    assert company_name("Harper Ltd (North)").full == "harper north"
    assert company_name("Harper Joinery (North) Ltd").full == "harper joinery north"


def test_a_legal_form_alone_is_kept_rather_than_leave_nothing() -> None:
    assert company_name("Ltd").full == "ltd"
    assert company_name(None) == CompanyName("")


@pytest.mark.parametrize(
    "written",
    [
        "John Smith t/a Smith Plumbing",
        "John Smith T/A Smith Plumbing",
        "John Smith t/as Smith Plumbing Ltd",
        "John Smith trading as Smith Plumbing",
        "John Smith Trading As Smith Plumbing",
        "John Smith dba Smith Plumbing",
        "John Smith d/b/a Smith Plumbing",
    ],
)
def test_trading_as_names_give_owner_and_trading_name(written: str) -> None:
    name = company_name(written)
    assert (name.owner, name.trading) == ("john smith", "smith plumbing")
    assert name.full == "john smith smith plumbing"
    assert name.forms() == ("john smith smith plumbing", "john smith", "smith plumbing")


def test_trading_is_an_ordinary_word_when_not_followed_by_as() -> None:
    name = company_name("Harper Trading Ltd")
    assert name == CompanyName("harper trading")


def test_a_trading_as_name_links_by_its_trading_name_or_its_owner() -> None:
    left = pl.DataFrame(
        [
            {"id": "K1", "name": "John Smith t/a Smith Plumbing", "postcode": "LS1 4AB"},
            {
                "id": "K2",
                "name": "Mary Jones trading as Bright Star Cleaning",
                "postcode": "M1 2CD",
            },
        ]
    )
    right = pl.DataFrame(
        [
            {"id": "S1", "name": "SMITH PLUMBING LTD", "postcode": "LS14AB"},
            {"id": "S2", "name": "Mary Jones", "postcode": "M1 2CD"},
            {"id": "S3", "name": "Quarry Foods Ltd", "postcode": "BS8 1TH"},
        ]
    )
    links = link_masters(left, right).sort("left_id")
    assert links.select("left_id", "right_id").rows() == [("K1", "S1"), ("K2", "S2")]
    assert links["evidence"][0].startswith("name 1.0")
