"""Invoices for the planners' tests: lines with their VAT, and sales or purchase invoices
whose net, tax and gross amounts are their lines' (as the canonical model requires)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, TypeVar

from canonical import DocumentLine, PurchaseInvoice, SalesInvoice
from canonical.money import round_money

Invoice = TypeVar("Invoice", SalesInvoice, PurchaseInvoice)


def vat_line(
    line_no: int, description: str, net: str, gl_account: str, rate: str = "20", quantity: int = 1
) -> DocumentLine:
    """`quantity` items sharing `net` equally, with VAT at `rate` percent to the penny."""
    amount = Decimal(net)
    return DocumentLine(
        line_no=line_no,
        description=description,
        quantity=Decimal(quantity),
        unit_price=amount / quantity,
        net_amount=amount,
        tax_rate=Decimal(rate),
        tax_amount=round_money(amount * Decimal(rate) / 100),
        gl_account=gl_account,
    )


def invoice_of(kind: type[Invoice], *lines: DocumentLine, **fields: Any) -> Invoice:
    """An invoice of `lines`, its totals theirs; `fields` are the rest of the record."""
    net = sum((line.net_amount for line in lines), Decimal(0))
    tax = sum((line.tax_amount for line in lines), Decimal(0))
    return kind(lines=lines, net_amount=net, tax_amount=tax, gross_amount=net + tax, **fields)
