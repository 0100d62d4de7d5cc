"""How the sandbox company numbers what it holds: one division, codes as the generator
gives them (upper case, within the column's width in `schema.sql`), document numbers
zero-filled as Sage zero-fills them, GL accounts in the company's `9999-99-99` mask.

The emulator knows these on its own; a connector that reads the company must find them
in the rows, not here.
"""

from __future__ import annotations

import re

from sandbox.sage100.company import columns_of

DIVISION = "01"
"""ARDivisionNo and APDivisionNo: the sandbox company has one division, zero-filled."""

HEADER_SEQ_NO = "000000"
"""AR_InvoiceHistoryHeader.HeaderSeqNo of an invoice posted once (no re-posting)."""

_CODE = re.compile(r"[A-Z0-9\-]+")
_ACCOUNT = re.compile(r"\d{4}-\d{2}-\d{2}")


def width(table: str, column: str) -> int:
    """The varchar width of a sandbox column, as `schema.sql` declares it."""
    for declared in columns_of(table):
        if declared.name == column and declared.width is not None:
            return declared.width
    raise KeyError(f"{table}.{column} is not a sized column of the Sage 100 sandbox")


def code(key: str, table: str, column: str) -> str:
    """A customer, vendor or item code for a generator key: the key itself, upper case,
    which must be letters, digits and `-` and fit the column."""
    text = key.strip().upper()
    limit = width(table, column)
    if not _CODE.fullmatch(text) or len(text) > limit:
        raise ValueError(
            f"{table}.{column}: {key!r} is not a code of up to {limit} letters, digits or '-'"
        )
    return text


def document_no(key: str, table: str, column: str) -> str:
    """An invoice or order number: digits zero-filled to the column width ("10001" ->
    "0010001" for a seven-character InvoiceNo); other numbers as codes."""
    text = key.strip()
    limit = width(table, column)
    if text.isdigit() and len(text) <= limit:
        return text.zfill(limit)
    return code(text, table, column)


def account(main_code: str) -> str:
    """The formatted GL Account of a main account code ("4000" -> "4000-00-00")."""
    text = main_code.strip()
    if _ACCOUNT.fullmatch(text):
        return text
    if text.isdigit() and len(text) <= 4:
        return f"{text.zfill(4)}-00-00"
    raise ValueError(f"GL_Account.Account: {main_code!r} is not a main account code")
