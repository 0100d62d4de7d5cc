"""The writer's rules: shipped defaults that load, a user file that overrides them key by
key, and a broken file refused in one line naming the file, the key and what is wrong."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from canonical import Customer
from ledgerbridge.config import load_settings
from writer.rules import RulesError, fit_record, load_rules


def _user_rules(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "rules.toml"
    path.write_text(text)
    return path


def test_the_shipped_defaults_load() -> None:
    rules = load_rules()
    assert rules.masters.customer.owner("credit_limit") == "sage100"
    assert rules.masters.customer.owner("name") == "kashflow"
    assert rules.masters.supplier.flowing("sage100")[-1] == "active"
    assert "tax_number" not in rules.masters.supplier.flowing("sage100")
    assert rules.lookups.nominals["4000"] == "4000-00-00"
    assert rules.lookups.tax_class(Decimal("20.00")) == "TX"
    assert rules.lookups.payment_methods["BACS"].bank_code == "A"
    assert rules.aggregation.sales_invoices == "each"


def test_a_user_file_overrides_only_what_it_names(tmp_path: Path) -> None:
    path = _user_rules(
        tmp_path,
        '[masters.customer]\nsystem_of_record = "sage100"\n'
        '[lookups.nominals]\n"4000" = "4000-01-00"\n'
        '[aggregation]\nsales_invoices = "daily_journal"\n',
    )
    rules = load_rules(path)
    assert rules.masters.customer.owner("name") == "sage100"
    assert rules.masters.customer.owner("credit_limit") == "sage100"
    assert rules.lookups.nominals["4000"] == "4000-01-00"
    assert rules.lookups.nominals["4010"] == "4010-00-00", "other lookups kept"
    assert rules.aggregation.sales_invoices == "daily_journal"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "[masters.customer.fields]\nnmae = 'both'\n",
            "masters.customer.fields.nmae: Input should be",
        ),
        (
            "[routing]\napproval_treshold = 10\n",
            "routing.approval_treshold: not a rule (mistyped?)",
        ),
        (
            "[normalise]\ntoo_long = 3\n",
            "normalise.too_long: Input should be 'truncate' or 'reject'",
        ),
        (
            '[lookups.nominals]\n"4000" = "Sales"\n',
            "lookups.nominals.4000: 'Sales' is not a Sage 100 G/L account",
        ),
        (
            '[lookups.nominals]\n"Sales" = "4000-00-00"\n',
            "lookups.nominals.Sales: 'Sales' is not a KashFlow nominal code",
        ),
        (
            '[lookups.tax_classes]\n"twenty" = "TX"\n',
            "lookups.tax_classes.twenty: Input should be a valid decimal",
        ),
        (
            '[lookups.payment_methods.BACS]\nbank_code = "AB"\n',
            "lookups.payment_methods.BACS.bank_code: String should have at most 1 character",
        ),
        (
            '[masters.product]\nsystem_of_record = "shopify"\n',
            "masters.product.system_of_record: Input should be 'kashflow' or 'sage100',"
            " not 'shopify'",
        ),
        ("[routing\n", "not valid TOML"),
    ],
)
def test_a_broken_rules_file_is_refused_in_one_line_naming_file_and_key(
    tmp_path: Path, text: str, expected: str
) -> None:
    path = _user_rules(tmp_path, text)
    with pytest.raises(RulesError) as refused:
        load_rules(path)
    message = str(refused.value)
    assert message.startswith(f"{path}: ")
    assert expected in message
    assert "\n" not in message


def test_the_rules_file_is_a_setting(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _user_rules(tmp_path, "")
    monkeypatch.setenv("LEDGERBRIDGE_RULES_FILE", str(path))
    assert load_settings().rules_file == path


def test_fitting_normalises_and_cuts_with_a_warning_never_silently() -> None:
    rules = load_rules()
    customer = Customer(
        system="sage100",
        key="01-LONG",
        name="A" * 60,
        phone="01632  960123",
        country="United Kingdom",
        address_lines=("1 High St", "  ", "Floor 2", "Suite 9"),
    )
    fitted = fit_record(customer, "sage100", rules)
    assert fitted.record.name == "A" * 50
    assert fitted.record.phone == "+44 1632 960123"
    assert fitted.record.country == "GB"
    assert fitted.record.address_lines == ("1 High St", "Floor 2", "Suite 9")
    assert fitted.warnings == (
        f"customer 01-LONG: name {'A' * 60!r} cut to 50 characters for"
        f" AR_Customer.CustomerName: {'A' * 50!r}",
    )
    on_kashflow = fit_record(customer.model_copy(update={"system": "kashflow"}), "kashflow", rules)
    assert on_kashflow.record.address_lines == ("1 High St", "Floor 2, Suite 9")
    assert on_kashflow.record.name == "A" * 60 and not on_kashflow.warnings

    strict = rules.model_copy(
        update={"normalise": rules.normalise.model_copy(update={"too_long": "reject"})}
    )
    assert fit_record(customer, "sage100", strict).problems
