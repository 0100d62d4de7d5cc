"""How Sage 100 formats its keys, and the canonical keys Ledgerbridge gives Sage records.

Canonical keys of records read from Sage 100:

| entity            | canonical key                         | example                  |
|-------------------|---------------------------------------|--------------------------|
| customer          | ARDivisionNo-CustomerNo               | `01-ACME0001`            |
| supplier          | APDivisionNo-VendorNo                 | `01-BRI0003`             |
| product           | ItemCode                              | `TAB-00001`              |
| stock_level       | ItemCode|WarehouseCode                 | `TAB-00001|000`          |
| gl_account        | Account (formatted)                   | `4000-00-00`             |
| sales_invoice     | InvoiceNo (7, zero-filled)            | `0010001`                |
| (its CM/DM memo)  | InvoiceNo less zero fill-version      | `10001-3`                |
| purchase_invoice  | APDivisionNo-VendorNo|InvoiceNo        | `01-BRI0003|5001`        |
| (its AD adjustment) | ...|InvoiceNo-version                 | `01-BRI0003|5001-2`      |
| payment (receipt) | DepositNo|ARDivisionNo-CustomerNo|CheckNo | `00042|01-ACME0001|CHK1` |
| payment (supplier) | CHECK|BankCode|CheckNo|CheckSeqNo     | `CHECK|A|P5001|000000`   |
| journal_entry     | SourceJournal-JournalRegisterNo       | `GJ-000012`              |
| order_status      | SalesOrderNo (7, zero-filled)         | `0000001`                |

Receipts and supplier payments are both canonical payments of one ledger stream; a
supplier payment's key starts `CHECK|` (a receipt's DepositNo is digits), so the key sets
of the two change readers never overlap (`is_check_key`). The prefix is our choice.

Keys from elsewhere (the generator, KashFlow) map into Sage formats deterministically:
upper case, only letters, digits and `-`, cut to the column width (a key that would not
fit is cut and given a short hash so two long keys never collide).
"""

from __future__ import annotations

import hashlib
import re

DEFAULT_DIVISION = "01"
"""Sage zero-fills division numbers to two digits; the sandbox company has one division."""

CUSTOMER_NO_WIDTH = 20
VENDOR_NO_WIDTH = 7
ITEM_CODE_WIDTH = 30
AR_INVOICE_NO_WIDTH = 7
AP_INVOICE_NO_WIDTH = 10
ACCOUNT_KEY_WIDTH = 9
SALES_ORDER_NO_WIDTH = 7

_NOT_KEY_TEXT = re.compile(r"[^A-Z0-9\-]")


def _fit(text: str, width: int) -> str:
    cleaned = _NOT_KEY_TEXT.sub("", text.upper())
    if not cleaned:
        raise ValueError(f"{text!r} has no letters or digits to make a Sage key from")
    if len(cleaned) <= width:
        return cleaned
    digest = hashlib.sha1(cleaned.encode()).hexdigest()[:4].upper()
    return cleaned[: width - 4] + digest


def division_no(value: str | int) -> str:
    """ARDivisionNo/APDivisionNo: two digits, zero-filled ("1" -> "01")."""
    text = str(value).strip()
    if not text.isdigit() or len(text) > 2:
        raise ValueError(f"a division number is one or two digits, not {value!r}")
    return text.zfill(2)


def zero_filled(value: str, width: int) -> str:
    """Sage's numbering for invoice and order numbers: digits are zero-filled to the width."""
    text = value.strip().upper()
    if text.isdigit() and len(text) <= width:
        return text.zfill(width)
    return _fit(text, width)


def split_party_key(key: str) -> tuple[str, str]:
    """ "01-ACME0001" -> ("01", "ACME0001"); a key without a division gets the default one."""
    division, sep, number = key.partition("-")
    if sep and division.isdigit() and len(division) <= 2 and number:
        return division_no(division), number
    return DEFAULT_DIVISION, key


def customer_key(division: str, customer_no: str) -> str:
    return f"{division_no(division)}-{customer_no}"


def customer_no_for(key: str) -> tuple[str, str]:
    """(ARDivisionNo, CustomerNo) for a canonical customer key from any system."""
    division, number = split_party_key(key)
    return division, _fit(number, CUSTOMER_NO_WIDTH)


def vendor_key(division: str, vendor_no: str) -> str:
    return f"{division_no(division)}-{vendor_no}"


def vendor_no_for(key: str) -> tuple[str, str]:
    """(APDivisionNo, VendorNo) for a canonical supplier key from any system."""
    division, number = split_party_key(key)
    return division, _fit(number, VENDOR_NO_WIDTH)


def item_code_for(key: str) -> str:
    return _fit(key, ITEM_CODE_WIDTH)


def stock_key(item_code: str, warehouse_code: str) -> str:
    return f"{item_code}|{warehouse_code}"


def split_stock_key(key: str) -> tuple[str, str]:
    item, _, warehouse = key.rpartition("|")
    return item, warehouse


def ar_invoice_no_for(key: str) -> str:
    """AR InvoiceNo: seven characters, numbers zero-filled ("10001" -> "0010001")."""
    return zero_filled(key, AR_INVOICE_NO_WIDTH)


def ar_adjustment_no(invoice_no: str, version: int) -> str:
    """The InvoiceNo of the credit or debit memo that adjusts A/R invoice `invoice_no` to
    version `version` of its source: the invoice's number without its zero fill, "-" and
    the version ("0010001", 3 -> "10001-3"). Where that passes the seven characters of
    InvoiceNo, "A" and six hex digits of a hash of both: never all digits, so never a
    number Sage hands out."""
    return _adjustment_no(invoice_no, version, AR_INVOICE_NO_WIDTH)


def ap_adjustment_no(invoice_no: str, version: int) -> str:
    """The InvoiceNo of the adjustment (InvoiceType AD) that adjusts A/P invoice
    `invoice_no` to version `version` of its source, as `ar_adjustment_no` builds it within
    A/P's ten characters ("5001", 2 -> "5001-2")."""
    return _adjustment_no(invoice_no, version, AP_INVOICE_NO_WIDTH)


def _adjustment_no(invoice_no: str, version: int, width: int) -> str:
    number = f"{invoice_no.lstrip('0') or '0'}-{version}"
    if len(number) <= width:
        return number
    digest = hashlib.sha1(f"{invoice_no}:{version}".encode()).hexdigest()[: width - 1].upper()
    return f"A{digest}"


def ap_invoice_key(division: str, vendor_no: str, invoice_no: str) -> str:
    return f"{vendor_key(division, vendor_no)}|{invoice_no}"


def split_ap_invoice_key(key: str) -> tuple[str, str, str]:
    """ "01-BRI0003|5001" -> ("01", "BRI0003", "5001")."""
    party, sep, invoice_no = key.rpartition("|")
    if not sep:
        raise ValueError(f"an AP invoice key is VENDORKEY|INVOICENO, not {key!r}")
    division, vendor_no = vendor_no_for(party)
    return division, vendor_no, ap_invoice_no_for(invoice_no)


def ap_invoice_no_for(value: str) -> str:
    """AP InvoiceNo is the vendor's own number: up to ten characters, not zero-filled."""
    text = value.strip().upper()
    if text and len(text) <= AP_INVOICE_NO_WIDTH:
        return text
    return _fit(text, AP_INVOICE_NO_WIDTH)


def sales_order_no_for(key: str) -> str:
    return zero_filled(key, SALES_ORDER_NO_WIDTH)


def account_for(code: str) -> str:
    """The formatted GL Account for a main account code: "4000" -> "4000-00-00"."""
    text = code.strip()
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        return text
    if text.isdigit() and len(text) <= 4:
        return f"{text.zfill(4)}-00-00"
    raise ValueError(f"{code!r} is neither a main account code nor a formatted Account")


def receipt_key(deposit_no: str, division: str, customer_no: str, check_no: str) -> str:
    return f"{deposit_no}|{customer_key(division, customer_no)}|{check_no}"


def journal_key(source_journal: str, register_no: str) -> str:
    return f"{source_journal}-{register_no}"


CHECK_PREFIX = "CHECK|"
CHECK_NO_WIDTH = 10


def check_key(bank_code: str, check_no: str, check_seq_no: str) -> str:
    """An A/P check (AP_CheckHistoryHeader): `CHECK|A|P5001|000000`."""
    return f"{CHECK_PREFIX}{bank_code}|{check_no}|{check_seq_no}"


def split_check_key(key: str) -> tuple[str, str, str]:
    """ "CHECK|A|P5001|000000" -> ("A", "P5001", "000000")."""
    bank_code, check_no, seq_no = key.removeprefix(CHECK_PREFIX).split("|")
    return bank_code, check_no, seq_no


def is_check_key(key: str) -> bool:
    return key.startswith(CHECK_PREFIX)


def check_no_for(reference: str) -> str:
    """The CheckNo a payment from another system is written under: its reference, upper
    case, cut to ten characters (hashed when longer, so two never collide)."""
    return _fit(reference, CHECK_NO_WIDTH)
