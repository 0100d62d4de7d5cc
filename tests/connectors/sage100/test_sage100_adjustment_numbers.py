"""The InvoiceNo of an adjustment: from the invoice's number and the source version, within
the width of its InvoiceNo (A/R seven, A/P ten), never all digits, one per version."""

from __future__ import annotations

from connectors.sage100 import keys


def test_an_adjustment_number_is_the_invoices_and_the_version_within_its_width() -> None:
    assert keys.ar_adjustment_no("0010001", 3) == "10001-3"
    assert keys.ap_adjustment_no("5001", 2) == "5001-2"
    assert keys.ap_adjustment_no("SUP-077", 12) == "SUP-077-12"
    long_ap = keys.ap_adjustment_no("INV-123456", 2)
    long_ar = keys.ar_adjustment_no("1234567", 10)
    assert (len(long_ap), len(long_ar)) == (keys.AP_INVOICE_NO_WIDTH, keys.AR_INVOICE_NO_WIDTH)
    assert long_ap.startswith("A") and long_ar.startswith("A")
    assert not long_ap.isdigit() and not long_ar.isdigit()
    assert long_ap == keys.ap_adjustment_no("INV-123456", 2), "the same number every time"
    assert long_ap != keys.ap_adjustment_no("INV-123456", 3), "another version, another number"
