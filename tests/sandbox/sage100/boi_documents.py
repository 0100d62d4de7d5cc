"""Documents entered through the BOI emulator the way a script enters them, for the
sandbox's Sage 100 tests."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

NewObject = Callable[[str], Any]


def ap_invoice(
    new_object: NewObject, vendor_no: str, invoice_no: str, kind: str = "IN", applied_to: str = ""
) -> Any:
    """An A/P invoice of vendor 01-`vendor_no` dated 2 November 2026, keyed and ready for
    its lines; of `kind` (AD, an adjustment) and applied to `applied_to` when given."""
    invoice = new_object("AP_Invoice_bus")
    for column, value in (("VendorNo$", vendor_no), ("InvoiceNo$", invoice_no)):
        assert invoice.nSetKeyValue(column, value) == 1
    assert invoice.nSetKey() == 2
    if kind != "IN" or applied_to:
        assert invoice.nSetValue("InvoiceType$", kind) == 1
        assert invoice.nSetValue("ApplyToInvoiceNo$", applied_to) == 1
    assert invoice.nSetValue("InvoiceDate$", "20261102") == 1
    return invoice
