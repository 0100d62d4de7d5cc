"""Writes canonical records into Sage 100, one business object per kind of record.

`OBJECTS` is the declarative table: for each kind, its business object, its key
columns, how its header and lines map, and whether Sage hands out its number. One
sequence serves them all: `nSetKeyValue` per key column, `nSetKey`, `nSetValue` per
header column, each line through `oLines.nAddLine`/`nSetValue`/`nWrite`, then `nWrite`.
A call returning 0 raises the typed error of `connectors.sage100.errors`; -1 is a
warning, kept in `Sage100Writer.warnings`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar

import canonical
from connectors.sage100 import keys, mapping
from connectors.sage100.calls import OK, BusinessObjectCall
from connectors.sage100.mapping import Lookups

if TYPE_CHECKING:
    from connectors.sage100.boi import BOISession

Columns = dict[str, Any]
HeaderAndLines = tuple[Columns, list[Columns]]


class Keyed(Protocol):
    @property
    def key(self) -> str: ...


W = TypeVar("W", bound=Keyed)


@dataclass(frozen=True)
class StockAdjustment:
    """A signed change of one item's quantity in one warehouse (`IM_Transaction_bus`)."""

    product_key: str
    warehouse: str
    quantity: Decimal
    on: date

    @property
    def item_code(self) -> str:
        return keys.item_code_for(self.product_key)

    @property
    def key(self) -> str:
        return keys.stock_key(self.item_code, self.warehouse)


@dataclass(frozen=True)
class BusinessObjectTable(Generic[W]):
    """How one kind of record is written: a row of `OBJECTS`."""

    bus_object: str
    entity: str
    key_columns: Callable[[W], dict[str, str]]
    """The key columns in the order Sage sets them (a number Sage hands out is "")."""
    sage_key: Callable[[W, Mapping[str, str]], str]
    """The Sage-side canonical key of the record written under those key columns."""
    fields: Callable[[W, Lookups], HeaderAndLines]
    numbered_by: tuple[str, str] | None = None
    """(key column, method): when the record's own number is not all digits, Sage
    hands one out (`nGetNextInvoiceNo`, `nGetNextDepositNo`, ...)."""
    accepts: Callable[[W], bool] = lambda record: True
    """Which records of its canonical type it writes (payments: receipts or checks)."""


def _header_only(
    fields: Callable[[W, Lookups], Columns],
) -> Callable[[W, Lookups], HeaderAndLines]:
    return lambda record, lookups: (fields(record, lookups), [])


def _gl_account_fields(account: canonical.GLAccount, lookups: Lookups) -> HeaderAndLines:
    return mapping.gl_account_fields(account), []


# Key columns and the Sage key they make, per business object --------------------------
def _customer_columns(customer: canonical.Customer) -> dict[str, str]:
    division, customer_no = keys.customer_no_for(customer.key)
    return {"ARDivisionNo": division, "CustomerNo": customer_no}


def _customer_key(_: canonical.Customer, k: Mapping[str, str]) -> str:
    return keys.customer_key(k["ARDivisionNo"], k["CustomerNo"])


def _vendor_columns(supplier: canonical.Supplier) -> dict[str, str]:
    division, vendor_no = keys.vendor_no_for(supplier.key)
    return {"APDivisionNo": division, "VendorNo": vendor_no}


def _vendor_key(_: canonical.Supplier, k: Mapping[str, str]) -> str:
    return keys.vendor_key(k["APDivisionNo"], k["VendorNo"])


def _ap_invoice_columns(invoice: canonical.PurchaseInvoice) -> dict[str, str]:
    division, vendor_no = keys.vendor_no_for(invoice.supplier_key)
    invoice_no = keys.ap_invoice_no_for(invoice.key.rpartition("|")[2])
    return {"APDivisionNo": division, "VendorNo": vendor_no, "InvoiceNo": invoice_no}


def _ap_invoice_key(_: canonical.PurchaseInvoice, k: Mapping[str, str]) -> str:
    return keys.ap_invoice_key(k["APDivisionNo"], k["VendorNo"], k["InvoiceNo"])


def _the_one_column(_: Keyed, k: Mapping[str, str]) -> str:
    """The Sage key of an object keyed by one column (ItemCode, Account, InvoiceNo)."""
    [value] = k.values()
    return value


def _receipt_columns(payment: canonical.Payment) -> dict[str, str]:
    if payment.kind != "receipt" or not payment.counterparty_key:
        raise canonical.ValidationFailed(
            "only customer receipts are written to Sage 100 cash receipts",
            system="sage100",
            entity="payment",
            key=payment.key,
            field="kind",
        )
    division, customer_no = keys.customer_no_for(payment.counterparty_key)
    check_no = (payment.reference or payment.key)[:10]
    return {
        "DepositNo": "",
        "ARDivisionNo": division,
        "CustomerNo": customer_no,
        "CheckNo": check_no,
    }


def _receipt_key(_: canonical.Payment, k: Mapping[str, str]) -> str:
    return keys.receipt_key(k["DepositNo"], k["ARDivisionNo"], k["CustomerNo"], k["CheckNo"])


def _receipt_fields(payment: canonical.Payment, lookups: Lookups) -> HeaderAndLines:
    """A customer receipt applied to the invoices of its allocations."""
    bank = payment.bank_account if payment.bank_account and len(payment.bank_account) == 1 else "A"
    header = {
        "BankCode": bank,
        "DepositDate": payment.payment_date,
        "PaymentType": mapping.payment_type_for(payment.method),
    }
    lines = [
        {
            "InvoiceNo": keys.ar_invoice_no_for(allocation.invoice_key),
            "CashAmountApplied": allocation.amount,
        }
        for allocation in payment.allocations
    ]
    return header, lines


CHECK_SEQ_NO = "000000"
"""The CheckSeqNo of a check posted once (AP_ManualCheck_bus numbers no reissues)."""


def _is_supplier_payment(payment: canonical.Payment) -> bool:
    return payment.kind == "supplier_payment"


def _check_columns(payment: canonical.Payment) -> dict[str, str]:
    """A supplier payment is a manual check from its bank under its reference's number."""
    bank = payment.bank_account if payment.bank_account and len(payment.bank_account) == 1 else "A"
    return {"BankCode": bank, "CheckNo": keys.check_no_for(payment.reference or payment.key)}


def _check_key(_: canonical.Payment, k: Mapping[str, str]) -> str:
    return keys.check_key(k["BankCode"], k["CheckNo"], CHECK_SEQ_NO)


def _check_fields(payment: canonical.Payment, lookups: Lookups) -> HeaderAndLines:
    """The vendor paid and the A/P invoices of its allocations (all the vendor's)."""
    if not payment.counterparty_key:
        raise canonical.ValidationFailed(
            "a supplier payment names the vendor it pays",
            system="sage100", entity="payment", key=payment.key, field="counterparty_key",
        )  # fmt: skip
    division, vendor_no = keys.vendor_no_for(payment.counterparty_key)
    header = {
        "APDivisionNo": division,
        "VendorNo": vendor_no,
        "CheckDate": payment.payment_date,
        "CheckComment": (payment.reference or payment.key)[:30],
    }
    lines = []
    for allocation in payment.allocations:
        invoice_division, invoice_vendor, invoice_no = keys.split_ap_invoice_key(
            allocation.invoice_key
        )
        if (invoice_division, invoice_vendor) != (division, vendor_no):
            raise canonical.ValidationFailed(
                f"A/P invoice {allocation.invoice_key} is not vendor"
                f" {division}-{vendor_no}'s: one check pays one vendor",
                system="sage100", entity="payment", key=payment.key,
                field="allocations.invoice_key",
            )  # fmt: skip
        lines.append({"InvoiceNo": invoice_no, "AmountPaid": allocation.amount})
    return header, lines


def _journal_fields(entry: canonical.JournalEntry, lookups: Lookups) -> HeaderAndLines:
    header = {"PostingDate": entry.posting_date, "Comment": entry.description[:30]}
    lines = [
        {
            "AccountKey": lookups.account_key(
                line.account, entity="journal_entry", key=entry.key, field="lines.account"
            ),
            "DebitAmount": line.debit,
            "CreditAmount": line.credit,
            "PostingComment": line.description[:30],
        }
        for line in entry.lines
    ]
    return header, lines


def _stock_fields(adjustment: StockAdjustment, lookups: Lookups) -> HeaderAndLines:
    line = {
        "ItemCode": adjustment.item_code,
        "WarehouseCode": adjustment.warehouse,
        "TransactionQty": adjustment.quantity,
    }
    return {"TransactionDate": adjustment.on}, [line]


# Business object, entity, key columns, Sage key, header and lines; then, for objects Sage
# numbers, the key column and the method that hands the number out.
CUSTOMERS = BusinessObjectTable[canonical.Customer](
    "AR_Customer_bus", "customer", _customer_columns, _customer_key,
    _header_only(mapping.customer_fields),
)  # fmt: skip
SUPPLIERS = BusinessObjectTable[canonical.Supplier](
    "AP_Vendor_bus", "supplier", _vendor_columns, _vendor_key,
    _header_only(mapping.supplier_fields),
)  # fmt: skip
PRODUCTS = BusinessObjectTable[canonical.Product](
    "CI_ItemCode_bus", "product", lambda p: {"ItemCode": keys.item_code_for(p.key)},
    _the_one_column, _header_only(mapping.product_fields),
)  # fmt: skip
GL_ACCOUNTS = BusinessObjectTable[canonical.GLAccount](
    "GL_Account_bus", "gl_account", lambda a: {"Account": keys.account_for(a.key)},
    _the_one_column, _gl_account_fields,
)  # fmt: skip
SALES_INVOICES = BusinessObjectTable[canonical.SalesInvoice](
    "AR_Invoice_bus", "sales_invoice", lambda i: {"InvoiceNo": keys.ar_invoice_no_for(i.key)},
    _the_one_column, mapping.sales_invoice_fields, ("InvoiceNo", "nGetNextInvoiceNo"),
)  # fmt: skip
PURCHASE_INVOICES = BusinessObjectTable[canonical.PurchaseInvoice](
    "AP_Invoice_bus", "purchase_invoice", _ap_invoice_columns, _ap_invoice_key,
    mapping.purchase_invoice_fields,
)  # fmt: skip
CASH_RECEIPTS = BusinessObjectTable[canonical.Payment](
    "AR_CashReceipts_bus", "payment", _receipt_columns, _receipt_key, _receipt_fields,
    ("DepositNo", "nGetNextDepositNo"),
)  # fmt: skip
SUPPLIER_PAYMENTS = BusinessObjectTable[canonical.Payment](
    "AP_ManualCheck_bus", "payment", _check_columns, _check_key, _check_fields,
    accepts=_is_supplier_payment,
)  # fmt: skip
JOURNAL_ENTRIES = BusinessObjectTable[canonical.JournalEntry](
    "GL_GeneralJournal_bus", "journal_entry", lambda _: {"EntryNo": ""},
    lambda _, k: keys.journal_key("GJ", k["EntryNo"]), _journal_fields,
    ("EntryNo", "nGetNextEntryNo"),
)  # fmt: skip
STOCK_ADJUSTMENTS = BusinessObjectTable[StockAdjustment](
    "IM_Transaction_bus", "stock_level", lambda _: {"EntryNo": ""},
    lambda adjustment, _: adjustment.key, _stock_fields, ("EntryNo", "nGetNextEntryNo"),
)  # fmt: skip

OBJECTS: tuple[tuple[type[canonical.CanonicalRecord], BusinessObjectTable[Any]], ...] = (
    (canonical.Customer, CUSTOMERS),
    (canonical.Supplier, SUPPLIERS),
    (canonical.Product, PRODUCTS),
    (canonical.GLAccount, GL_ACCOUNTS),
    (canonical.SalesInvoice, SALES_INVOICES),
    (canonical.PurchaseInvoice, PURCHASE_INVOICES),
    (canonical.Payment, SUPPLIER_PAYMENTS),
    (canonical.Payment, CASH_RECEIPTS),
    (canonical.JournalEntry, JOURNAL_ENTRIES),
)
"""Which business object writes which canonical record (stock adjustments apart)."""


class Sage100Writer:
    """Writes canonical records into Sage 100 through a `BOISession`."""

    def __init__(self, session: BOISession, lookups: Lookups) -> None:
        self.session = session
        self.lookups = lookups
        self.warnings: list[str] = []

    def _call(self, name: str, entity: str, key: str) -> BusinessObjectCall:
        return BusinessObjectCall(
            self.session, name, entity=entity, key=key, warnings=self.warnings
        )

    def write(
        self,
        record: canonical.CanonicalRecord,
        extra: Mapping[str, Any] | None = None,
        number: str | None = None,
    ) -> str:
        """Creates or updates `record`, with `extra` header columns no canonical field
        carries (a salesperson, ...), under `number` when given (kept as it is, letters
        and all); returns its Sage-side canonical key."""
        for kind, table in OBJECTS:
            if isinstance(record, kind) and table.accepts(record):
                return self._write(table, record, number, extra)
        raise canonical.ValidationFailed(
            f"Sage 100 takes no writes of {record.entity}",
            system="sage100",
            entity=record.entity,
            key=record.key,
        )

    def _write(
        self,
        table: BusinessObjectTable[W],
        record: W,
        number: str | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> str:
        """The one BOI sequence; mapping errors surface before any call is made."""
        columns = table.key_columns(record)
        header, lines = table.fields(record, self.lookups)
        header = {**header, **(extra or {})}
        if table.numbered_by is not None and number:
            columns[table.numbered_by[0]] = number
        numberless = table.numbered_by is not None and not columns[table.numbered_by[0]]
        key = record.key if numberless else table.sage_key(record, columns)
        call = self._call(table.bus_object, table.entity, key)
        if table.numbered_by is not None:
            column, method = table.numbered_by
            if not number and not columns[column].isdigit():
                columns[column] = call.next_number(method)
                call.key = table.sage_key(record, columns)
        for column, value in columns.items():
            call.key_value(column, value)
        call.set_key()
        call.values(header)
        if lines:
            call.lines(lines)
        call.write()
        return call.key

    def write_customer(self, customer: canonical.Customer) -> str:
        return self._write(CUSTOMERS, customer)

    def write_supplier(self, supplier: canonical.Supplier) -> str:
        return self._write(SUPPLIERS, supplier)

    def write_product(self, product: canonical.Product) -> str:
        return self._write(PRODUCTS, product)

    def write_gl_account(self, account: canonical.GLAccount) -> str:
        return self._write(GL_ACCOUNTS, account)

    def write_sales_invoice(
        self, invoice: canonical.SalesInvoice, *, number: str | None = None
    ) -> str:
        """Posts `invoice` under `number` when given, else under its own number
        (zero-filled) or, when that is not all digits, the next number Sage hands out."""
        return self._write(SALES_INVOICES, invoice, number)

    def write_purchase_invoice(self, invoice: canonical.PurchaseInvoice) -> str:
        return self._write(PURCHASE_INVOICES, invoice)

    def write_receipt(self, payment: canonical.Payment) -> str:
        """Posts a customer receipt applied to the invoices of its allocations."""
        return self._write(CASH_RECEIPTS, payment)

    def write_supplier_payment(self, payment: canonical.Payment) -> str:
        """Posts a supplier payment as a manual check (AP_ManualCheck_bus) applied to the
        A/P invoices of its allocations."""
        return self._write(SUPPLIER_PAYMENTS, payment)

    def write_journal_entry(self, entry: canonical.JournalEntry) -> str:
        return self._write(JOURNAL_ENTRIES, entry)

    def adjust_stock(self, product_key: str, warehouse: str, quantity: Decimal, on: date) -> None:
        """An inventory adjustment of `quantity` (signed) for one item in one warehouse."""
        self._write(STOCK_ADJUSTMENTS, StockAdjustment(product_key, warehouse, quantity, on))

    def delete_customer(self, key: str) -> None:
        division, customer_no = keys.customer_no_for(key)
        call = self._call(CUSTOMERS.bus_object, CUSTOMERS.entity, key)
        call.key_value("ARDivisionNo", division)
        call.key_value("CustomerNo", customer_no)
        if call.set_key() != OK:
            call.obj.nClear()
            return
        call.delete()
