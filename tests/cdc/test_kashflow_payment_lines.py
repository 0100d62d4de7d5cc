"""Which payments a KashFlow document's payment lines key, as the poller reads them when
it decides what is gone: a line it cannot key made no payment, so it has none to delete,
and lines it cannot read at all key nothing (the poller dead-letters the document and
deletes none of its payments)."""

from __future__ import annotations

from typing import Any

import pytest

from cdc.kashflow import _payment_keys


def document(lines: Any) -> dict[str, Any]:
    return {"Number": 10044, "PaymentLines": lines}


def test_every_line_with_an_id_is_keyed() -> None:
    lines = [{"Id": 501}, {"Id": "502"}, {"Id": 503.0}]
    assert _payment_keys(document(lines), "receipt") == {"R501", "R502", "R503"}
    assert _payment_keys(document(lines), "supplier_payment") == {"P501", "P502", "P503"}


def test_a_line_without_a_usable_id_keys_nothing() -> None:
    lines = [{"Id": 501}, {"Amount": "5.00"}, {"Id": "five"}, {"Id": None}, {"Id": True}]
    assert _payment_keys(document(lines), "receipt") == {"R501"}


@pytest.mark.parametrize("lines", [1.0, "R501", {"Id": 501}, [1.0], [[{"Id": 501}]]])
def test_payment_lines_that_cannot_be_read_key_nothing(lines: Any) -> None:
    assert _payment_keys(document(lines), "receipt") == set()


def test_no_document_and_no_lines_key_nothing() -> None:
    assert _payment_keys(None, "receipt") == set()
    assert _payment_keys(document(None), "receipt") == set()
    assert _payment_keys(document([]), "receipt") == set()
