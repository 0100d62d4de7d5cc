"""The shipped rules against the sandbox company: every G/L account and terms code the
defaults name is on file in the seeded Sage 100 company (read over ODBC), so a default
cannot drift to an account the chart lacks and dead-letter every invoice that uses it."""

from __future__ import annotations

from connectors.sage100 import Sage100Reader
from writer.rules import load_rules


def test_every_account_the_shipped_rules_name_is_in_the_seeded_chart(
    reader: Sage100Reader,
) -> None:
    chart = {
        row["Account"]: row["Status"]
        for row in reader.rows("SELECT Account, Status FROM GL_Account")
    }
    named = load_rules().sage100_accounts()
    assert len(named) > 20
    missing = {key: account for key, account in named.items() if account not in chart}
    assert missing == {}
    inactive = {key: account for key, account in named.items() if chart[account] != "A"}
    assert inactive == {}


def test_every_terms_code_the_shipped_rules_name_is_on_file(reader: Sage100Reader) -> None:
    on_file = {
        row["TermsCode"]: int(row["DaysBeforeDue"])
        for row in reader.rows("SELECT TermsCode, DaysBeforeDue FROM AR_TermsCode")
    }
    named = load_rules().lookups.terms_codes
    assert {code: on_file.get(code) for code in named.values()} == {
        code: days for days, code in named.items()
    }
