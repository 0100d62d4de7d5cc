"""G/L detail of a posted A/R or A/P document: balanced GL_DetailPosting rows written in
the document's own transaction, one journal register per document. What stops a posting
(an account not on file or inactive, entries out of balance) refuses the whole write.

Sage keeps the control accounts on its division and sales tax tables (AR_Division,
AP_Division, SY_SalesTaxAccount), which the sandbox company does not have; the emulator
takes them from the chart by account number instead (`CONTROL_ACCOUNTS`, its choice).
The source journal codes per document kind are likewise chosen, as Sage's registers name
them: SJ sales journal, CR cash receipts, PJ purchases journal, CD check disbursements.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import TYPE_CHECKING

from sandbox.sage100.boi.documents import _next_number
from sandbox.sage100.boi.objects import _Refused

if TYPE_CHECKING:
    from sandbox.sage100.boi.documents import _DocumentObject, _PostedDocument

CONTROL_ACCOUNTS = {
    "accounts receivable": "1100-00-00",
    "accounts payable": "2100-00-00",
    "sales tax payable": "2200-00-00",
}
"""The formatted GL Account of each control account the emulator posts to (chosen)."""

Entry = tuple[str, Decimal]
"""An AccountKey and a signed amount: a debit if positive, a credit if negative."""


def control_account(document: _DocumentObject, name: str) -> str:
    """The AccountKey of the control account `name`, which must be on file and active."""
    account = CONTROL_ACCOUNTS[name]
    row = document._row("GL_Account", {"Account": account})
    if row is None:
        raise _Refused(f"The {name} account {account} is not on file.")
    return _active_account(document, row["AccountKey"])


def bank_cash_account(document: _DocumentObject, bank_code: str) -> str:
    """The AccountKey of the cash account of bank `bank_code` (GL_Bank), which must be
    active."""
    bank = document._row("GL_Bank", {"BankCode": bank_code})
    if bank is None:
        raise _Refused(f"The BankCode {bank_code} is not on file.")
    account_key = bank["CashAccountKey"] or ""
    if not account_key:
        raise _Refused(f"The BankCode {bank_code} has no CashAccountKey.")
    return _active_account(document, account_key)


def _active_account(document: _DocumentObject, account_key: str) -> str:
    problem = document._account_problem(account_key)
    if problem:
        raise _Refused(problem)
    return account_key


def post_to_gl(document: _PostedDocument, comment: str, entries: Iterable[Entry]) -> None:
    """Writes `entries`, netted per account in first-seen order and zeros left out, as one
    journal register of the document's journal, dated its posting date; refused if they do
    not balance or one names no account."""
    journal = document.JOURNAL
    net: dict[str, Decimal] = {}
    for account_key, amount in entries:
        if not account_key:
            side = "debit" if amount > 0 else "credit"
            raise _Refused(
                f"{comment}: a {side} of {abs(amount):.2f} has no GL account to post to."
            )
        net[account_key] = net.get(account_key, Decimal(0)) + amount
    if sum(net.values(), Decimal(0)) != 0:
        raise _Refused(f"The G/L posting of {comment} is out of balance.")
    register = _next_number(
        document.db,
        f"SELECT JournalRegisterNo FROM GL_DetailPosting WHERE SourceJournal = '{journal}'",
        6,
        set(),
    )
    rows = [(key, amount) for key, amount in net.items() if amount]
    for seq, (account_key, amount) in enumerate(rows, start=1):
        document._put(
            "GL_DetailPosting",
            {
                "AccountKey": account_key,
                "PostingDate": document._buffer.values[document.POSTING_DATE],
                "SourceJournal": journal,
                "JournalRegisterNo": register,
                "SequenceNo": f"{seq:06d}",
                "DebitAmount": str(max(amount, Decimal(0))),
                "CreditAmount": str(max(-amount, Decimal(0))),
                "PostingComment": comment[:30],
                "SourceModule": document.MODULE,
            },
        )
