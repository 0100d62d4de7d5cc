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


def cash_receipt(new_object: NewObject, customer_no: str, check_no: str) -> tuple[Any, str]:
    """A cash receipt of check `check_no` from customer 01-`customer_no` on the next
    deposit, dated 2 November 2026, keyed and ready for the invoices it pays; and that
    deposit's number."""
    receipt = new_object("AR_CashReceipts_bus")
    status, deposit_no = receipt.nGetNextDepositNo("")
    assert status == 1
    for column, value in (
        ("DepositNo$", deposit_no),
        ("ARDivisionNo$", "01"),
        ("CustomerNo$", customer_no),
        ("CheckNo$", check_no),
    ):
        assert receipt.nSetKeyValue(column, value) == 1
    assert receipt.nSetKey() == 2
    assert receipt.nSetValue("DepositDate$", "20261102") == 1
    return receipt, deposit_no
