"""Money and quantities inside Ledgerbridge: `Decimal`, never float, with a canonical text form.

The canonical text of a decimal drops trailing zeros ("46.0000" and "46" are the same
amount), so content hashes do not depend on how a source system formats numbers.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Annotated

from pydantic import BeforeValidator, PlainSerializer

CENT = Decimal("0.01")


def to_decimal(value: object) -> Decimal:
    """Reads a number without passing through binary floating point."""
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, bool):
        raise ValueError("a boolean is not an amount")
    elif isinstance(value, int | float | str):
        try:
            result = Decimal(str(value).strip())
        except InvalidOperation:
            raise ValueError(f"not a number: {value!r}") from None
    else:
        raise ValueError(f"not a number: {value!r}")
    if not result.is_finite():
        raise ValueError(f"not a finite number: {value!r}")
    return result


def decimal_text(value: Decimal) -> str:
    """The canonical text of a decimal: no exponent, no trailing zeros, no negative zero."""
    if value == 0:
        return "0"
    text = format(value.normalize(), "f")
    return text


def round_money(value: Decimal, places: Decimal = CENT) -> Decimal:
    """Rounds half up, as invoices and VAT returns do."""
    return value.quantize(places, rounding="ROUND_HALF_UP")


Amount = Annotated[
    Decimal,
    BeforeValidator(to_decimal),
    PlainSerializer(decimal_text, return_type=str, when_used="json"),
]
"""A money amount or quantity: exact decimal, serialised as canonical text in JSON."""
