"""The matcher's input frames, built from canonical records: one function per frame, each
frame's schema a named constant. Defaults (currency, amount paid, quantities) are the
canonical records' own, never re-invented here; nothing in this module reads the ledger.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import timedelta
from decimal import Decimal

import polars as pl

import canonical
from canonical import decimal_text
from ledger import IdentityLink
from matcher.normalise import clean_text, normalise_reference

Links = dict[tuple[str, str], str]
"""(system, key) -> the one id both systems' records of a linked pair share."""

Invoice = canonical.SalesInvoice | canonical.PurchaseInvoice
Party = canonical.Customer | canonical.Supplier


def shared_ids(links: Iterable[IdentityLink]) -> Links:
    """(system, key) -> one id for both systems' records of each linked pair."""
    ids: Links = {}
    for link in links:
        shared = f"kashflow:{link.kashflow_key}"
        ids[("kashflow", link.kashflow_key)] = shared
        ids[("sage100", link.sage100_key)] = shared
    return ids


def party_id(system: str, key: str | None, links: Links) -> str | None:
    """The counterparty's shared id when linked, else ``system:key``."""
    if key is None:
        return None
    return links.get((system, key), f"{system}:{key}")


# Masters: the `link_masters` contract --------------------------------------------------

PARTY_COLUMNS = ("name", "email", "phone", "address", "city", "postcode", "country", "tax_number")
PARTY_SCHEMA = pl.Schema(dict.fromkeys(("id", *PARTY_COLUMNS, "code"), pl.String()))
"""Customers and suppliers: the address lines joined into ``address``; ``code`` is the
canonical ``party_number`` (Sage 100 "ACME0019" of key "01-ACME0019", the KashFlow
code), or the key when a record has none."""
PRODUCT_SCHEMA = pl.Schema(dict.fromkeys(("id", "code", "name"), pl.String()))
"""Products: ``code`` is the key."""


def party_frame(parties: Iterable[Party]) -> pl.DataFrame:
    """Customers or suppliers of one system in `PARTY_SCHEMA`."""
    rows = [
        {
            "id": party.key,
            "name": party.name,
            "email": party.email,
            "phone": party.phone,
            "address": " ".join(party.address_lines) or None,
            "city": party.city,
            "postcode": party.postcode,
            "country": party.country,
            "tax_number": party.tax_number,
            "code": party.party_number or party.key,
        }
        for party in parties
    ]
    return pl.DataFrame(rows, schema=PARTY_SCHEMA)


def product_frame(products: Iterable[canonical.Product]) -> pl.DataFrame:
    """Products of one system in `PRODUCT_SCHEMA`."""
    rows = [{"id": p.key, "code": p.key, "name": p.name} for p in products]
    return pl.DataFrame(rows, schema=PRODUCT_SCHEMA)


# Payments and invoices: the `match_payments` contract ----------------------------------

PAYMENT_SCHEMA = pl.Schema(
    {
        "payment_id": pl.String(),
        "system": pl.String(),
        "counterparty_id": pl.String(),
        "amount": pl.Decimal(38, 2),
        "unallocated": pl.Decimal(38, 2),
        "currency": pl.String(),
        "date": pl.Date(),
        "reference": pl.String(),
        "linked_to": pl.String(),
    }
)
"""`matcher.payments.PAYMENT_COLUMNS` plus ``system``, ``unallocated`` (what the payment
has not allocated in its own system) and ``linked_to`` (the shared id of a linked pair)."""

INVOICE_SCHEMA = pl.Schema(
    {
        "invoice_id": pl.String(),
        "system": pl.String(),
        "counterparty_id": pl.String(),
        "number": pl.String(),
        "amount_open": pl.Decimal(38, 2),
        "currency": pl.String(),
        "issue_date": pl.Date(),
        "due_date": pl.Date(),
    }
)
"""`matcher.payments.INVOICE_COLUMNS` plus ``system``; ``number`` is the invoice's key."""

DEFAULT_TERMS = timedelta(days=30)
"""Due date of an invoice that has none: this long after its issue."""


def payment_frame(
    payments: Iterable[canonical.Payment], parties: Links, payment_links: Links
) -> pl.DataFrame:
    """Payments of both systems in `PAYMENT_SCHEMA`; ids are ``system:key``."""
    rows = []
    for payment in payments:
        allocated = sum((a.amount for a in payment.allocations), Decimal(0))
        rows.append(
            {
                "payment_id": f"{payment.system}:{payment.key}",
                "system": payment.system,
                "counterparty_id": party_id(payment.system, payment.counterparty_key, parties),
                "amount": payment.amount,
                "unallocated": payment.amount - allocated,
                "currency": payment.currency,
                "date": payment.payment_date,
                "reference": payment.reference,
                "linked_to": payment_links.get((payment.system, payment.key)),
            }
        )
    return pl.DataFrame(rows, schema=PAYMENT_SCHEMA)


def counterparty_key(invoice: Invoice) -> str:
    """The customer of a sales invoice, the supplier of a purchase invoice."""
    return (
        invoice.customer_key
        if isinstance(invoice, canonical.SalesInvoice)
        else invoice.supplier_key
    )


def invoice_frame(invoices: Iterable[Invoice], parties: Links) -> pl.DataFrame:
    """Invoices of both systems in `INVOICE_SCHEMA`, with what is still open on each."""
    rows = [
        {
            "invoice_id": f"{invoice.system}:{invoice.key}",
            "system": invoice.system,
            "counterparty_id": party_id(invoice.system, counterparty_key(invoice), parties),
            "number": invoice.key,
            "amount_open": invoice.amount_open,
            "currency": invoice.currency,
            "issue_date": invoice.issue_date,
            "due_date": invoice.due_date or invoice.issue_date + DEFAULT_TERMS,
        }
        for invoice in invoices
    ]
    return pl.DataFrame(rows, schema=INVOICE_SCHEMA)


# Transactions: the `score_transactions` contract --------------------------------------

TRANSACTION_SCHEMA = pl.Schema(
    {
        "transaction_id": pl.String(),
        "counterparty_id": pl.String(),
        "number": pl.String(),
        "date": pl.Date(),
        "due_date": pl.Date(),
        "net_amount": pl.Float64(),
        "tax_amount": pl.Float64(),
        "tax_rate": pl.Float64(),
        "gross_amount": pl.Float64(),
        "line_count": pl.Int64(),
        "min_quantity": pl.Float64(),
        "nominal_code": pl.String(),
    }
)


def transaction_frame(invoices: Iterable[Invoice]) -> pl.DataFrame:
    """Invoices of one system in `TRANSACTION_SCHEMA`.

    The number is the invoice's key for sales invoices and, for purchase invoices, the
    supplier's own number (the reference) when there is one. The tax rate is the lines'
    rate weighted by their net amounts, so net x rate is the VAT the lines' rates give
    (none without lines, or when the net is zero). The nominal is the account of the line
    with the largest net amount (none without lines or accounts).
    """
    rows = []
    for invoice in invoices:
        lines = invoice.lines
        net = invoice.net_amount
        line_vat = sum((line.net_amount * line.tax_rate for line in lines), Decimal(0))
        number = invoice.key
        if isinstance(invoice, canonical.PurchaseInvoice) and invoice.reference:
            number = invoice.reference
        rows.append(
            {
                "transaction_id": invoice.key,
                "counterparty_id": counterparty_key(invoice),
                "number": number,
                "date": invoice.issue_date,
                "due_date": invoice.due_date,
                "net_amount": float(net),
                "tax_amount": float(invoice.tax_amount),
                "tax_rate": float(line_vat / net) if lines and net else None,
                "gross_amount": float(invoice.gross_amount),
                "line_count": len(lines) or 1,
                "min_quantity": min(float(line.quantity) for line in lines) if lines else None,
                "nominal_code": max(lines, key=lambda line: abs(line.net_amount)).gl_account
                if lines
                else None,
            }
        )
    return pl.DataFrame(rows, schema=TRANSACTION_SCHEMA)


# GL suggestions: the `GLSuggester` contract -------------------------------------------

GL_LINE_SCHEMA = pl.Schema(
    {
        "id": pl.String(),
        "description": pl.String(),
        "counterparty": pl.String(),
        "amount": pl.Float64(),
        "nominal_code": pl.String(),
        "gl_account": pl.String(),
    }
)
PENDING_LINE_SCHEMA = pl.Schema(
    {**GL_LINE_SCHEMA, "purchase_key": pl.String(), "line_no": pl.Int64(), "net": pl.Decimal(38, 2)}
)
"""`GL_LINE_SCHEMA` plus the line's purchase key, line number and exact net amount."""


def nominal_map(
    kashflow_accounts: Iterable[canonical.GLAccount],
    sage100_accounts: Iterable[canonical.GLAccount],
) -> dict[str, str]:
    """KashFlow nominal code -> Sage 100 GL account, for accounts both charts hold.

    A nominal maps to the Sage account whose main segment is its code ("7500" ->
    "7500-00-00") when exactly one is, else to the one Sage account of the same name.
    """
    by_main: dict[str, list[str]] = {}
    by_name: dict[str, list[str]] = {}
    for account in sage100_accounts:
        by_main.setdefault(account.key.split("-", 1)[0], []).append(account.key)
        by_name.setdefault(clean_text(account.name), []).append(account.key)
    mapping: dict[str, str] = {}
    for account in kashflow_accounts:
        same_code = by_main.get(account.key, [])
        same_name = by_name.get(clean_text(account.name), [])
        if len(same_code) == 1:
            mapping[account.key] = same_code[0]
        elif len(same_name) == 1:
            mapping[account.key] = same_name[0]
    return mapping


def same_purchases(
    kashflow: Iterable[canonical.PurchaseInvoice],
    sage100: Iterable[canonical.PurchaseInvoice],
    suppliers: Links,
) -> dict[str, canonical.PurchaseInvoice]:
    """KashFlow purchase key -> the Sage 100 purchase invoice of the same purchase.

    Two purchase invoices are the same purchase when their suppliers are linked and
    their references (the supplier's invoice number) agree, or else their invoice
    numbers (the KashFlow key, the number after "|" in a Sage key) agree, or else their
    gross amounts and issue dates agree. Each Sage invoice is the pair of one only.
    """
    index: dict[tuple[str | None, str], canonical.PurchaseInvoice] = {}
    for invoice in sage100:
        party = party_id("sage100", invoice.supplier_key, suppliers)
        for match_key in _purchase_keys(invoice.key.rpartition("|")[2], invoice):
            index.setdefault((party, match_key), invoice)
    pairs: dict[str, canonical.PurchaseInvoice] = {}
    taken: set[str] = set()
    for invoice in kashflow:
        party = party_id("kashflow", invoice.supplier_key, suppliers)
        for match_key in _purchase_keys(invoice.key, invoice):
            found = index.get((party, match_key))
            if found is not None and found.key not in taken:
                pairs[invoice.key] = found
                taken.add(found.key)
                break
    return pairs


def _purchase_keys(number: str, invoice: canonical.PurchaseInvoice) -> list[str]:
    """What identifies a purchase invoice within its supplier, most telling first."""
    keys = []
    reference = normalise_reference(invoice.reference)
    if reference:
        keys.append(f"reference:{reference}")
    keys.append(f"number:{normalise_reference(number)}")
    keys.append(f"amount:{decimal_text(invoice.gross_amount)}@{invoice.issue_date.isoformat()}")
    return keys


def gl_history_frame(
    sage100: Iterable[canonical.PurchaseInvoice],
    pairs: Mapping[str, canonical.PurchaseInvoice],
    kashflow: Mapping[str, canonical.PurchaseInvoice],
    suppliers: Links,
    supplier_names: Mapping[str, str],
) -> pl.DataFrame:
    """Labelled lines in `GL_LINE_SCHEMA`: every Sage 100 purchase line with a GL account.

    Each line's description, net amount and GL account; its supplier's name (the
    KashFlow name when the suppliers are linked, as the lines to suggest for have it);
    and, when the same purchase is in KashFlow (`pairs`), the nominal code of the
    KashFlow line with the same line number.
    """
    kashflow_of = {sage.key: kashflow[key] for key, sage in pairs.items()}
    rows = []
    for invoice in sage100:
        twin = kashflow_of.get(invoice.key)
        twin_lines = {line.line_no: line for line in (twin.lines if twin else ())}
        party = party_id("sage100", invoice.supplier_key, suppliers)
        counterparty = supplier_names.get(party or "", "")
        for line in invoice.lines:
            if not line.gl_account:
                continue
            twin_line = twin_lines.get(line.line_no)
            rows.append(
                {
                    "id": f"{invoice.key}:{line.line_no}",
                    "description": line.description or "",
                    "counterparty": counterparty,
                    "amount": float(line.net_amount),
                    "nominal_code": twin_line.gl_account if twin_line else None,
                    "gl_account": line.gl_account,
                }
            )
    return pl.DataFrame(rows, schema=GL_LINE_SCHEMA)


def pending_line_frame(
    kashflow: Iterable[canonical.PurchaseInvoice], supplier_names: Mapping[str, str]
) -> pl.DataFrame:
    """The lines of the KashFlow purchase invoices given, to suggest accounts for, in
    `PENDING_LINE_SCHEMA`."""
    rows = [
        {
            "id": f"{invoice.key}:{line.line_no}",
            "description": line.description or "",
            "counterparty": supplier_names.get(f"kashflow:{invoice.supplier_key}", ""),
            "amount": float(line.net_amount),
            "nominal_code": line.gl_account,
            "gl_account": None,
            "purchase_key": invoice.key,
            "line_no": line.line_no,
            "net": line.net_amount,
        }
        for invoice in kashflow
        for line in invoice.lines
    ]
    return pl.DataFrame(rows, schema=PENDING_LINE_SCHEMA)


def supplier_names(suppliers: Iterable[canonical.Supplier]) -> dict[str, str]:
    """``system:key`` -> the supplier's name."""
    return {f"{s.system}:{s.key}": s.name for s in suppliers}
