"""Writes to Sage 100 through the Business Object Interface, with the real call pattern.

`BOISession` is the seam: an open, authenticated Sage session that hands out business
objects (`AR_Customer_bus`, `AR_Invoice_bus`, ...) already bound to their task.
`ScriptSession` makes one from any `ProvideX.Script` object it is given (the SY_Session
handshake); `ComBOISession` is that over COM with pywin32 (a Windows host with Sage 100
installed; pywin32 is imported only there). Other backends, such as the sandbox
emulator, are plugged in by the application shell. `Sage100Writer` maps canonical
records to BOI calls: `nSetKeyValue`/`nSetKey`, `nSetValue` (string and date
columns take `$`, dates are "YYYYMMDD"), lines through `oLines.nAddLine`/`nSetValue`/
`nWrite`, then `nWrite`. A call returning 0 raises the typed error of
`connectors.sage100.errors` with the object, key, field and `sLastErrorMsg`; -1 is a
warning, kept in `Sage100Writer.warnings`.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable
from datetime import date
from decimal import Decimal
from typing import Any, Protocol

from canonical import (
    CanonicalRecord,
    Customer,
    GLAccount,
    JournalEntry,
    Payment,
    Product,
    PurchaseInvoice,
    SalesInvoice,
    Supplier,
    ValidationFailed,
)
from connectors.sage100 import keys, mapping
from connectors.sage100.errors import SageConnectionLost, field_named, refusal
from connectors.sage100.mapping import Lookups

OK, WARNING, ERROR = 1, -1, 0

TASKS: dict[str, tuple[str, str]] = {
    "AR_Customer_bus": ("AR_Customer_ui", "A/R"),
    "AR_Invoice_bus": ("AR_Invoice_ui", "A/R"),
    "AR_CashReceipts_bus": ("AR_CashReceipts_ui", "A/R"),
    "AP_Vendor_bus": ("AP_Vendor_ui", "A/P"),
    "AP_Invoice_bus": ("AP_Invoice_ui", "A/P"),
    "CI_ItemCode_bus": ("CI_ItemCode_ui", "C/I"),
    "IM_Transaction_bus": ("IM_Transaction_ui", "I/M"),
    "GL_Account_bus": ("GL_Account_ui", "G/L"),
    "GL_GeneralJournal_bus": ("GL_GeneralJournal_ui", "G/L"),
}
"""Business object -> (the UI task it runs under, its module), for nSetProgram."""


class BusinessObject(Protocol):
    """The surface of a Sage business object that Ledgerbridge calls."""

    sLastErrorMsg: str

    def nSetKeyValue(self, column: str, value: Any) -> int: ...
    def nSetKey(self, *key: Any) -> int: ...
    def nSetValue(self, column: str, value: Any) -> int: ...
    def nWrite(self) -> int: ...
    def nDelete(self) -> int: ...
    def nClear(self) -> int: ...


class BOISession(Protocol):
    """An authenticated Sage 100 session (user, company, date set) for one company."""

    connection_errors: tuple[type[BaseException], ...]
    """What a call raises when the Sage host is gone (COM errors, the emulator's loss)."""

    def open_object(self, name: str) -> Any:
        """A business object of `name`, its module and program set."""
        ...

    def close(self) -> None: ...


def _boi_date(value: date) -> str:
    return value.strftime("%Y%m%d")


class ScriptSession:
    """A `BOISession` over a given `ProvideX.Script` object: the SY_Session handshake
    (user, company), then per object its module, date and task. `connection_errors` are
    what the script's calls raise when the Sage host is gone."""

    def __init__(
        self,
        script: Any,
        user: str,
        password: str,
        company: str,
        today: date,
        *,
        connection_errors: tuple[type[BaseException], ...] = (),
    ) -> None:
        self.connection_errors = connection_errors
        self._script = script
        self._session = script.NewObject("SY_Session")
        self._today = today
        for call, args in (
            ("nSetUser", (user, password)),
            ("nSetCompany", (company,)),
        ):
            if getattr(self._session, call)(*args) == ERROR:
                raise SageConnectionLost(
                    f"SY_Session.{call} failed: {self._session.sLastErrorMsg}",
                    bus_object="SY_Session",
                    system="sage100",
                    remote_message=self._session.sLastErrorMsg,
                )

    def open_object(self, name: str) -> Any:
        task, module = TASKS[name]
        self._session.nSetDate(module, _boi_date(self._today))
        self._session.nSetModule(module)
        task_id = self._session.nLookupTask(task)
        if not task_id or self._session.nSetProgram(task_id) == ERROR:
            raise SageConnectionLost(
                f"SY_Session cannot run task {task}: {self._session.sLastErrorMsg}",
                bus_object="SY_Session",
                system="sage100",
                remote_message=self._session.sLastErrorMsg,
            )
        return self._script.NewObject(name, self._session)

    def close(self) -> None:
        cleanup = getattr(self._session, "nCleanup", None)
        if cleanup is not None:
            cleanup()


class ComBOISession(ScriptSession):
    """`CreateObject("ProvideX.Script")` over COM on the Windows host running Sage 100."""

    def __init__(self, home_path: str, user: str, password: str, company: str) -> None:
        if sys.platform != "win32":
            raise RuntimeError("the COM BOI backend runs only on Windows with Sage 100 installed")
        import pywintypes
        import win32com.client

        script = win32com.client.Dispatch("ProvideX.Script")
        script.Init(home_path)
        super().__init__(
            script,
            user,
            password,
            company,
            date.today(),
            connection_errors=(pywintypes.com_error,),
        )


class _Call:
    """One business object being driven for one record: every call checked."""

    def __init__(
        self, session: BOISession, name: str, *, entity: str, key: str, warnings: list[str]
    ) -> None:
        self.session = session
        self.name = name
        self.entity = entity
        self.key = key
        self.warnings = warnings
        self.columns: list[str] = []
        self.obj = self._guard("NewObject", lambda: session.open_object(name))

    def _guard(self, call: str, action: Callable[[], Any]) -> Any:
        try:
            return action()
        except self.session.connection_errors as exc:
            raise SageConnectionLost(
                f"{self.name}.{call} failed: the Sage host did not answer",
                bus_object=self.name,
                system="sage100",
                entity=self.entity,
                key=self.key,
                remote_message=str(exc),
            ) from None

    def check(self, call: str, result: Any, target: Any, field: str | None = None) -> Any:
        status = result[0] if isinstance(result, tuple) else result
        if status == ERROR:
            message = str(target.sLastErrorMsg)
            self._guard("nClear", self.obj.nClear)
            raise refusal(
                message,
                bus_object=self.name,
                entity=self.entity,
                key=self.key,
                field=field or field_named(message, self.columns),
                call=call,
            )
        if status == WARNING:
            self.warnings.append(f"{self.name} {self.key}: {target.sLastErrorMsg}")
        return result

    def key_value(self, column: str, value: str) -> None:
        self.columns.append(column)
        self.check(
            "nSetKeyValue",
            self._guard("nSetKeyValue", lambda: self.obj.nSetKeyValue(column + "$", value)),
            self.obj,
            column,
        )

    def set_key(self, *key: Any) -> int:
        result = self._guard("nSetKey", lambda: self.obj.nSetKey(*key))
        self.check("nSetKey", result, self.obj)
        return int(result)

    def values(self, fields: dict[str, Any], target: Any = None) -> None:
        target = target if target is not None else self.obj
        for column, value in fields.items():
            self.columns.append(column)
            boi_name, boi_value = _boi_value(column, value)
            result = self._guard("nSetValue", _bound(target.nSetValue, boi_name, boi_value))
            self.check("nSetValue", result, target, column)

    def lines(self, lines: Iterable[dict[str, Any]]) -> None:
        for fields in lines:
            lines_object = self.obj.oLines
            self.check(
                "oLines.nAddLine", self._guard("nAddLine", lines_object.nAddLine), lines_object
            )
            self.values(fields, lines_object)
            self.check("oLines.nWrite", self._guard("nWrite", lines_object.nWrite), lines_object)

    def write(self) -> None:
        self.check("nWrite", self._guard("nWrite", self.obj.nWrite), self.obj)

    def next_number(self, method: str) -> str:
        result = self._guard(method, lambda: getattr(self.obj, method)(""))
        self.check(method, result, self.obj)
        if isinstance(result, tuple):
            return str(result[1])
        raise SageConnectionLost(
            f"{self.name}.{method} gave no number back",
            bus_object=self.name,
            system="sage100",
            entity=self.entity,
            key=self.key,
        )


def _bound(method: Callable[..., Any], *args: Any) -> Callable[[], Any]:
    return lambda: method(*args)


def _boi_value(column: str, value: Any) -> tuple[str, Any]:
    """The BOI column name and value: `$` and text for strings and dates, numbers bare."""
    if isinstance(value, bool):
        raise TypeError(f"{column}: Sage has no boolean columns")
    if isinstance(value, date):
        return column + "$", _boi_date(value)
    if isinstance(value, Decimal | int | float):
        return column, str(value) if isinstance(value, Decimal) else value
    return column + "$", "" if value is None else str(value)


class Sage100Writer:
    """Writes canonical records into Sage 100 through a `BOISession`."""

    def __init__(self, session: BOISession, lookups: Lookups) -> None:
        self.session = session
        self.lookups = lookups
        self.warnings: list[str] = []

    def _call(self, name: str, entity: str, key: str) -> _Call:
        return _Call(self.session, name, entity=entity, key=key, warnings=self.warnings)

    def write(self, record: CanonicalRecord) -> str:
        """Creates or updates `record`; returns its Sage-side canonical key."""
        if isinstance(record, Customer):
            return self.write_customer(record)
        if isinstance(record, Supplier):
            return self.write_supplier(record)
        if isinstance(record, Product):
            return self.write_product(record)
        if isinstance(record, GLAccount):
            return self.write_gl_account(record)
        if isinstance(record, SalesInvoice):
            return self.write_sales_invoice(record)
        if isinstance(record, PurchaseInvoice):
            return self.write_purchase_invoice(record)
        if isinstance(record, Payment):
            return self.write_receipt(record)
        if isinstance(record, JournalEntry):
            return self.write_journal_entry(record)
        raise ValidationFailed(
            f"Sage 100 takes no writes of {record.entity}",
            system="sage100",
            entity=record.entity,
            key=record.key,
        )

    def write_customer(self, customer: Customer) -> str:
        division, customer_no = keys.customer_no_for(customer.key)
        key = keys.customer_key(division, customer_no)
        call = self._call("AR_Customer_bus", "customer", key)
        call.key_value("ARDivisionNo", division)
        call.key_value("CustomerNo", customer_no)
        call.set_key()
        call.values(mapping.customer_fields(customer, self.lookups))
        call.write()
        return key

    def write_supplier(self, supplier: Supplier) -> str:
        division, vendor_no = keys.vendor_no_for(supplier.key)
        key = keys.vendor_key(division, vendor_no)
        call = self._call("AP_Vendor_bus", "supplier", key)
        call.key_value("APDivisionNo", division)
        call.key_value("VendorNo", vendor_no)
        call.set_key()
        call.values(mapping.supplier_fields(supplier, self.lookups))
        call.write()
        return key

    def write_product(self, product: Product) -> str:
        item_code = keys.item_code_for(product.key)
        call = self._call("CI_ItemCode_bus", "product", item_code)
        call.key_value("ItemCode", item_code)
        call.set_key()
        call.values(mapping.product_fields(product, self.lookups))
        call.write()
        return item_code

    def write_gl_account(self, account: GLAccount) -> str:
        formatted = keys.account_for(account.key)
        call = self._call("GL_Account_bus", "gl_account", formatted)
        call.key_value("Account", formatted)
        call.set_key()
        call.values(mapping.gl_account_fields(account))
        call.write()
        return formatted

    def write_sales_invoice(self, invoice: SalesInvoice, *, number: str | None = None) -> str:
        """Posts `invoice` under its own number (zero-filled) or, when that will not fit,
        the next number Sage hands out."""
        header, lines = mapping.sales_invoice_fields(invoice, self.lookups)
        invoice_no = number or keys.ar_invoice_no_for(invoice.key)
        call = self._call("AR_Invoice_bus", "sales_invoice", invoice_no)
        if not invoice_no.isdigit():
            invoice_no = call.next_number("nGetNextInvoiceNo")
            call.key = invoice_no
        call.key_value("InvoiceNo", invoice_no)
        call.set_key()
        call.values({"ARDivisionNo": header.pop("ARDivisionNo")})
        call.values(header)
        call.lines(lines)
        call.write()
        return invoice_no

    def write_purchase_invoice(self, invoice: PurchaseInvoice) -> str:
        division, vendor_no = keys.vendor_no_for(invoice.supplier_key)
        invoice_no = keys.ap_invoice_no_for(invoice.key.rpartition("|")[2])
        key = keys.ap_invoice_key(division, vendor_no, invoice_no)
        header, lines = mapping.purchase_invoice_fields(invoice, self.lookups)
        call = self._call("AP_Invoice_bus", "purchase_invoice", key)
        call.key_value("APDivisionNo", division)
        call.key_value("VendorNo", vendor_no)
        call.key_value("InvoiceNo", invoice_no)
        call.set_key()
        call.values(header)
        call.lines(lines)
        call.write()
        return key

    def write_receipt(self, payment: Payment) -> str:
        """Posts a customer receipt applied to the invoices of its allocations."""
        if payment.kind != "receipt" or not payment.counterparty_key:
            raise ValidationFailed(
                "only customer receipts are written to Sage 100 cash receipts",
                system="sage100",
                entity="payment",
                key=payment.key,
                field="kind",
            )
        division, customer_no = keys.customer_no_for(payment.counterparty_key)
        check_no = (payment.reference or payment.key)[:10]
        call = self._call("AR_CashReceipts_bus", "payment", payment.key)
        deposit_no = call.next_number("nGetNextDepositNo")
        call.key = keys.receipt_key(deposit_no, division, customer_no, check_no)
        call.key_value("DepositNo", deposit_no)
        call.key_value("ARDivisionNo", division)
        call.key_value("CustomerNo", customer_no)
        call.key_value("CheckNo", check_no)
        call.set_key()
        bank = (
            payment.bank_account if payment.bank_account and len(payment.bank_account) == 1 else "A"
        )
        call.values(
            {
                "BankCode": bank,
                "DepositDate": payment.payment_date,
                "PaymentType": mapping.payment_type_for(payment.method),
            }
        )
        call.lines(
            {
                "InvoiceNo": keys.ar_invoice_no_for(allocation.invoice_key),
                "CashAmountApplied": allocation.amount,
            }
            for allocation in payment.allocations
        )
        call.write()
        return call.key

    def write_journal_entry(self, entry: JournalEntry) -> str:
        call = self._call("GL_GeneralJournal_bus", "journal_entry", entry.key)
        entry_no = call.next_number("nGetNextEntryNo")
        call.key = keys.journal_key("GJ", entry_no)
        call.key_value("EntryNo", entry_no)
        call.set_key()
        call.values({"PostingDate": entry.posting_date, "Comment": entry.description[:30]})
        call.lines(
            {
                "AccountKey": self.lookups.account_key(
                    line.account, entity="journal_entry", key=entry.key, field="lines.account"
                ),
                "DebitAmount": line.debit,
                "CreditAmount": line.credit,
                "PostingComment": line.description[:30],
            }
            for line in entry.lines
        )
        call.write()
        return call.key

    def adjust_stock(self, product_key: str, warehouse: str, quantity: Decimal, on: date) -> None:
        """An inventory adjustment of `quantity` (signed) for one item in one warehouse."""
        item_code = keys.item_code_for(product_key)
        call = self._call("IM_Transaction_bus", "stock_level", keys.stock_key(item_code, warehouse))
        entry_no = call.next_number("nGetNextEntryNo")
        call.key_value("EntryNo", entry_no)
        call.set_key()
        call.values({"TransactionDate": on})
        call.lines(
            [{"ItemCode": item_code, "WarehouseCode": warehouse, "TransactionQty": quantity}]
        )
        call.write()

    def delete_customer(self, key: str) -> None:
        division, customer_no = keys.customer_no_for(key)
        call = self._call("AR_Customer_bus", "customer", key)
        call.key_value("ARDivisionNo", division)
        call.key_value("CustomerNo", customer_no)
        if call.set_key() != 1:
            call.obj.nClear()
            return
        call.check("nDelete", call._guard("nDelete", call.obj.nDelete), call.obj)
