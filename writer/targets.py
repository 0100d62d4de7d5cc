"""The systems the applier writes to, behind one small protocol: `write` a record and
return its key there (to KashFlow also a product's stock level and a Sage 100 order's
status, shown on the quote of the same number), and `find` a record
after an uncertain outcome (KashFlow: by code, number or the payment's reference; Sage
100: by key over ODBC, a receipt by customer and check, a supplier payment by bank, check
number and vendor), so nothing is written twice.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Mapping
from typing import Any, Protocol

import canonical
from canonical import CanonicalRecord, NotFound, ValidationFailed
from connectors.kashflow import KashFlowClient
from connectors.sage100 import Sage100Reader, Sage100Writer, keys

NativeFields = Mapping[str, str] | None
"""Target columns the rules add beyond the canonical record (`WriteIntent.native_fields`)."""


class Target(Protocol):
    """One system the applier writes to."""

    system: str
    retries_itself: bool
    """True when the connector already retries transient errors under the shared policy
    (KashFlow's client does): the applier then calls once, and never multiplies retries."""

    def write(
        self, operation: str, record: CanonicalRecord, native_fields: NativeFields = None
    ) -> str:
        """Creates, updates or deletes `record` (with the target columns `native_fields`
        sets beyond it); returns its key in this system."""
        ...

    def find(self, operation: str, record: CanonicalRecord) -> str | None:
        """The key of `record` in this system when an earlier attempt wrote it, else None."""
        ...


def _refused(system: str, operation: str, record: CanonicalRecord) -> ValidationFailed:
    return ValidationFailed(
        f"{system} takes no {operation} of {record.entity} from the writer",
        system=system, entity=record.entity, key=record.key, field="entity",
    )  # fmt: skip


class KashFlowTarget:
    """Writes through the KashFlow client, which paces under the rate limit."""

    system = "kashflow"
    retries_itself = True

    def __init__(self, client: KashFlowClient) -> None:
        self.client = client

    def _resource(self, record: CanonicalRecord) -> Any:
        resources: dict[type[CanonicalRecord], Any] = {
            canonical.Customer: self.client.customers,
            canonical.Supplier: self.client.suppliers,
            canonical.Product: self.client.products,
            canonical.SalesInvoice: self.client.invoices,
            canonical.PurchaseInvoice: self.client.purchases,
        }
        return resources.get(type(record))

    def write(
        self, operation: str, record: CanonicalRecord, native_fields: NativeFields = None
    ) -> str:
        if native_fields:  # no flow enriches what it writes to KashFlow: never drop silently
            raise ValidationFailed(
                f"KashFlow takes no columns beyond the record ({', '.join(native_fields)})",
                system=self.system, entity=record.entity, key=record.key,
                field=next(iter(native_fields)),
            )  # fmt: skip
        if isinstance(record, canonical.StockLevel) and operation == "update":
            # KashFlow keeps one stock quantity per product, on the product's nominal.
            products = self.client.products
            products.update_record(
                products.read(record.product_key), {"QuantityInStock": record.quantity_on_hand}
            )
            return record.key
        if isinstance(record, canonical.OrderStatus):
            # KashFlow has no sales orders: the status files the quote of the same number
            # under a category (create and update alike; filing again changes nothing).
            self.client.quotes.show_order_status(record)
            return record.key
        if isinstance(record, canonical.Payment) and operation == "create":
            made = self.client.payments.record(record)
            return ",".join(p.key for p in made) or record.key
        resource = self._resource(record)
        if resource is None:
            raise _refused(self.system, operation, record)
        if operation == "create":
            created: CanonicalRecord = resource.create_record(record)
            return created.key
        if operation == "update":
            updated: CanonicalRecord = resource.update_record(record)
            return updated.key
        with contextlib.suppress(NotFound):  # deleted already: the effect we want
            resource.delete(record.key)
        return record.key

    def find(self, operation: str, record: CanonicalRecord) -> str | None:
        if isinstance(record, canonical.Payment):
            made = self.client.payments.of_matching(record)
            return ",".join(p.key for p in made) if made else None
        resource = self._resource(record)
        if resource is None or operation != "create":
            return None  # updates and deletes are safe to repeat
        found = resource.find(record.key)
        return None if found is None else record.key

    def close(self) -> None:
        self.client.close()


SearchByKey = Callable[[Sage100Reader, CanonicalRecord], str | None]


def _one(reader: Sage100Reader, sql: str, *params: str) -> dict[str, Any] | None:
    return next(iter(reader.rows(sql, params)), None)


def _find_party(
    table: str,
    columns: tuple[str, str],
    split: Callable[[str], tuple[str, str]],
    join: Callable[[str, str], str],
) -> SearchByKey:
    """The search of a customer or vendor: by its division and number."""

    def search(reader: Sage100Reader, record: CanonicalRecord) -> str | None:
        division, number = split(record.key)
        row = _one(
            reader, f"SELECT {columns[1]} FROM {table} WHERE {columns[0]} = ? AND {columns[1]} = ?",
            division, number,
        )  # fmt: skip
        return None if row is None else join(division, number)

    return search


def _find_product(reader: Sage100Reader, record: CanonicalRecord) -> str | None:
    code = keys.item_code_for(record.key)
    row = _one(reader, "SELECT ItemCode FROM CI_Item WHERE ItemCode = ?", code)
    return None if row is None else code


def _find_sales_invoice(reader: Sage100Reader, record: CanonicalRecord) -> str | None:
    number = keys.ar_invoice_no_for(record.key)
    row = _one(reader, "SELECT InvoiceNo FROM AR_InvoiceHistoryHeader WHERE InvoiceNo = ?", number)
    return None if row is None else number


def _find_purchase_invoice(reader: Sage100Reader, record: CanonicalRecord) -> str | None:
    assert isinstance(record, canonical.PurchaseInvoice)
    division, vendor_no = keys.vendor_no_for(record.supplier_key)
    invoice_no = keys.ap_invoice_no_for(record.key.rpartition("|")[2])
    row = _one(
        reader,
        "SELECT InvoiceNo FROM AP_InvoiceHeader WHERE APDivisionNo = ? AND VendorNo = ?"
        " AND InvoiceNo = ?",
        division, vendor_no, invoice_no,
    )  # fmt: skip
    return None if row is None else keys.ap_invoice_key(division, vendor_no, invoice_no)


def _find_receipt(reader: Sage100Reader, record: CanonicalRecord) -> str | None:
    """A receipt is numbered by Sage (its deposit), so it is found by customer and check."""
    assert isinstance(record, canonical.Payment)
    if not record.counterparty_key:
        return None
    division, customer_no = keys.customer_no_for(record.counterparty_key)
    check_no = (record.reference or record.key)[:10]
    row = _one(
        reader,
        "SELECT DepositNo FROM AR_CashReceiptsHistory WHERE ARDivisionNo = ?"
        " AND CustomerNo = ? AND CheckNo = ?",
        division, customer_no, check_no,
    )  # fmt: skip
    if row is None:
        return None
    return keys.receipt_key(str(row["DepositNo"]), division, customer_no, check_no)


def _find_check(reader: Sage100Reader, record: CanonicalRecord) -> str | None:
    """A supplier payment is a check under its reference's number: found by bank, number
    and vendor (a check of that number to another vendor is not ours; writing it is
    refused as a duplicate)."""
    assert isinstance(record, canonical.Payment)
    if not record.counterparty_key:
        return None
    division, vendor_no = keys.vendor_no_for(record.counterparty_key)
    bank = record.bank_account if record.bank_account and len(record.bank_account) == 1 else "A"
    check_no = keys.check_no_for(record.reference or record.key)
    row = _one(
        reader,
        "SELECT CheckSeqNo FROM AP_CheckHistoryHeader WHERE BankCode = ? AND CheckNo = ?"
        " AND APDivisionNo = ? AND VendorNo = ?",
        bank, check_no, division, vendor_no,
    )  # fmt: skip
    return None if row is None else keys.check_key(bank, check_no, str(row["CheckSeqNo"]))


def _find_payment(reader: Sage100Reader, record: CanonicalRecord) -> str | None:
    assert isinstance(record, canonical.Payment)
    search = _find_check if record.kind == "supplier_payment" else _find_receipt
    return search(reader, record)


SAGE100_SEARCHES: dict[type[CanonicalRecord], SearchByKey] = {
    canonical.Customer: _find_party(
        "AR_Customer", ("ARDivisionNo", "CustomerNo"), keys.customer_no_for, keys.customer_key
    ),
    canonical.Supplier: _find_party(
        "AP_Vendor", ("APDivisionNo", "VendorNo"), keys.vendor_no_for, keys.vendor_key
    ),
    canonical.Product: _find_product,
    canonical.SalesInvoice: _find_sales_invoice,
    canonical.PurchaseInvoice: _find_purchase_invoice,
    canonical.Payment: _find_payment,
}
"""How each kind of record is searched for in Sage 100 after an uncertain outcome."""


def _negated(line: canonical.DocumentLine) -> canonical.DocumentLine:
    return line.model_copy(
        update={"unit_price": -line.unit_price, "net_amount": -line.net_amount,
                "tax_amount": -line.tax_amount}
    )  # fmt: skip


def stream_entity(system: str, entity: str, payload: Mapping[str, Any]) -> str:
    """The change-capture stream that reads a written record back: Sage 100's supplier
    payments (A/P checks) have a stream of their own beside the cash receipts."""
    if (system, entity, payload.get("kind")) == ("sage100", "payment", "supplier_payment"):
        return "supplier_payment"
    return entity


class Sage100Target:
    """Writes through the Business Object Interface; searches over ODBC."""

    system = "sage100"
    retries_itself = False

    def __init__(self, writer: Sage100Writer, reader: Sage100Reader) -> None:
        self.writer = writer
        self.reader = reader

    def write(
        self, operation: str, record: CanonicalRecord, native_fields: NativeFields = None
    ) -> str:
        if operation == "delete":
            if not isinstance(record, canonical.Customer):
                raise _refused(self.system, operation, record)
            self.writer.delete_customer(record.key)
            return record.key
        if (
            isinstance(record, canonical.SalesInvoice)
            and native_fields
            and "ApplyToInvoiceNo" in native_fields
        ):
            return self._write_memo(record, native_fields)
        return self.writer.write(record, native_fields or {})

    def _write_memo(self, memo: canonical.SalesInvoice, native_fields: Mapping[str, str]) -> str:
        """A credit or debit memo under its own number. The record holds it as A/R history
        does (a credit memo's amounts negative); data entry takes a credit as positive
        amounts, the InvoiceType saying which way they go."""
        if native_fields.get("InvoiceType") == "CM":
            lines = tuple(_negated(line) for line in memo.lines)
            memo = memo.model_copy(
                update={"lines": lines, "net_amount": -memo.net_amount,
                        "tax_amount": -memo.tax_amount, "gross_amount": -memo.gross_amount}
            )  # fmt: skip
        return self.writer.write(memo, native_fields, number=keys.ar_invoice_no_for(memo.key))

    def find(self, operation: str, record: CanonicalRecord) -> str | None:
        search = SAGE100_SEARCHES.get(type(record))
        if search is None or operation == "delete":
            return None
        return search(self.reader, record)

    def close(self) -> None:
        self.writer.session.close()
        self.reader.close()
