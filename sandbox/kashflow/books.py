"""The sandbox's bookkeeping: what each KashFlow call does to the stored records.

Creating an invoice checks its customer and nominal codes and derives its totals;
a payment line settles the invoice (paid total, due amount, status, paid date); a bulk
payment is a set of payment lines made at once. Routes in `app.py` only translate HTTP.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

from sandbox.kashflow import balances, quotes
from sandbox.kashflow import documents as docs
from sandbox.kashflow.store import Store
from sandbox.kashflow.wire import Body, Invalid

PAYMENT_METHODS = (
    (1, "BACS"),
    (2, "Cheque"),
    (3, "Card"),
    (4, "Cash"),
    (5, "Direct Debit"),
)
PAYMENT_METHOD_IDS = {number for number, _ in PAYMENT_METHODS}

# resource -> (store name, summary fields)
SORT_FIELDS: dict[str, dict[str, str | None]] = {
    "customers": {
        "code": None, "name": "Name", "totalpaidamount": "TotalPaidAmount",
        "outstandingbalance": "OutstandingBalance",
    },
    "suppliers": {"code": None, "name": "Name", "outstandingbalance": "OutstandingBalance"},
    "invoices": {
        "number": None, "customerref": "CustomerReference", "customername": "CustomerName",
        "invoicedate": "IssuedDate", "paymentduedate": "DueDate", "grossamount": "GrossAmount",
        "netamount": "NetAmount", "status": "Status",
    },
    "purchases": {
        "number": None, "supplierreference": "SupplierReference", "suppliername": "SupplierName",
        "purchasedate": "IssuedDate", "paymentduedate": "DueDate", "grossamount": "GrossAmount",
        "netamount": "NetAmount", "status": "Status", "paiddate": "PaidDate",
    },
    "quotes": {"number": None, "customername": "CustomerName", "date": "IssuedDate"},
    "nominals": {"id": None, "code": "Code", "name": "Name"},
    "invoice_bulk_payments": {"number": None, "date": "Date"},
    "purchase_bulk_payments": {"number": None, "date": "Date"},
    "bankaccounts": {"id": None},
}  # fmt: skip


class NotFoundError(Exception):
    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(message)


class Books:
    def __init__(self, store: Store, today: Callable[[], date] = date.today) -> None:
        self.store = store
        self.today = today

    def now(self) -> datetime:
        return datetime.now().replace(microsecond=0)

    def require(self, resource: str, key: str, what: str) -> dict[str, Any]:
        """The stored record, or KashFlow's 404: "{what} {key} was not found."."""
        record = self.store.get(resource, key)
        if record is None:
            raise NotFoundError(f"{what} {key} was not found.")
        return record

    @staticmethod
    def _merged(existing: dict[str, Any], body: Body) -> Body:
        """A PUT changes the fields it names and keeps the others."""
        folded: dict[str, Any] = {k.lower(): v for k, v in existing.items()}
        folded.update({str(k).lower(): v for k, v in body.raw.items()})
        return Body(folded)

    # -- customers and suppliers ---------------------------------------------------------
    def put_party(
        self, resource: str, body: Body, code: str | None, existing: dict[str, Any] | None
    ) -> dict[str, Any]:
        what = "Customer" if resource == "customers" else "Supplier"
        if existing is None:
            code = body.text("Code") or self._new_code(resource, body)
            if len(code) > 20:
                raise Invalid("Code", "is longer than 20 characters")
            if self.store.get(resource, code) is not None:
                raise Invalid("Code", f"{what} with code {code} already exists.", "DuplicateCode")
        else:
            body = self._merged(existing, body)
            new_code = body.text("Code") or code
            if new_code != code:
                raise Invalid("Code", "cannot be changed.")
        assert code is not None
        build = docs.customer if resource == "customers" else docs.supplier
        record = build(body, code, self.now(), existing)
        if existing is None:
            record["Id"] = self.store.next_id(resource)
        fields = docs.CUSTOMER_SUMMARY if resource == "customers" else docs.SUPPLIER_SUMMARY
        self.store.put(resource, code, record, docs.summary(record, fields))
        return record

    def _new_code(self, resource: str, body: Body) -> str:
        name = body.text("Name") or ""
        letters = "".join(c for c in name.upper() if "A" <= c <= "Z")[:3].ljust(3, "X")
        return f"{letters}{self.store.next_id(f'{resource}-code'):02d}"

    def delete_party(self, resource: str, code: str) -> None:
        self.require(resource, code, "Customer" if resource == "customers" else "Supplier")
        documents = "invoices" if resource == "customers" else "purchases"
        field = "CustomerCode" if resource == "customers" else "SupplierCode"
        if self.store.count(documents, (field, code)):
            raise Invalid("Code", f"{code} has {documents} and cannot be deleted.", "InUse")
        self.store.delete(resource, code)

    # -- nominals ---------------------------------------------------------------------------
    def put_nominal(self, body: Body, existing: dict[str, Any] | None) -> dict[str, Any]:
        if existing is not None:
            body = self._merged(existing, body)
            record_id = int(existing["Id"])
        else:
            record_id = self.store.next_id("nominals")
        record = docs.nominal(body, record_id, existing)
        clash = self.store.find("nominals", "Code", record["Code"])
        if clash is not None and clash["Id"] != record_id:
            raise Invalid("Code", f"Nominal code {record['Code']} already exists.", "DuplicateCode")
        if record["IsProduct"]:
            clash = self.store.find("nominals", "ProductCode", record["ProductCode"])
            if clash is not None and clash["Id"] != record_id:
                raise Invalid("ProductCode", f"Product {record['ProductCode']} already exists.")
        self.store.put("nominals", str(record_id), record, record)
        return record

    def nominal_codes(self) -> set[int]:
        return {int(n["Code"]) for n in self.store.records("nominals")}

    def bank_accounts(self) -> dict[int, dict[str, Any]]:
        return {int(a["Id"]): a for a in self.store.records("bankaccounts")}

    # -- invoices, purchases, quotes -------------------------------------------------------
    def put_document(
        self, resource: str, body: Body, number: int | None, existing: dict[str, Any] | None
    ) -> dict[str, Any]:
        sales = resource in ("invoices", "quotes")
        if existing is not None:
            body = self._merged(existing, body)
        else:
            number = docs.read_int(body, "Number", low=1)
            if number is not None and self.store.get(resource, str(number)) is not None:
                raise Invalid("Number", f"Number {number} already exists.", "DuplicateNumber")
            if number is None:
                number = self._next_number(resource)
        party_field = "CustomerCode" if sales else "SupplierCode"
        party_code = body.text(party_field) or ""
        if not party_code:
            raise Invalid(party_field, "is required")
        party = self.store.get("customers" if sales else "suppliers", party_code)
        if party is None:
            what = "customer" if sales else "supplier"
            raise Invalid(party_field, f"no {what} has code {party_code}")
        issued = docs.read_date(body, "IssuedDate", required=True)
        assert issued is not None and number is not None
        due = docs.read_date(body, "DueDate")
        if due is None and resource != "quotes":
            due = issued + timedelta(days=int(party["PaymentTerms"]["Days"]))
        if due is not None and due < issued:
            raise Invalid("DueDate", "is before IssuedDate")
        lines = docs.line_items(body, self.nominal_codes())
        if not lines:
            raise Invalid("LineItems", "at least one line item is required")
        for line_id, line in enumerate(lines, start=self.store.reserve_ids("lines", len(lines))):
            line["Id"] = line_id
        record: dict[str, Any] = {
            "Id": existing["Id"] if existing else self.store.next_id(resource),
            "Number": number,
            "IssuedDate": issued,
            "DueDate": due,
            "Currency": docs.currency(body.child("Currency"), party["Currency"]["Code"]),
            "LineItems": lines,
            **docs.totals(lines),
            "PaymentLines": existing.get("PaymentLines", []) if existing else [],
            "Permalink": f"https://app.kashflow.com/{resource}/{number}",
            "IsArchived": docs.read_bool(body, "IsArchived"),
            "ProjectNumber": docs.read_int(body, "ProjectNumber"),
        }
        if sales:
            record.update(
                {
                    "CustomerId": party["Id"],
                    "CustomerCode": party_code,
                    "CustomerName": party["Name"],
                    "CustomerReference": docs.read_text(body, "CustomerReference", 100),
                    "Address": party["Addresses"][0] if party.get("Addresses") else None,
                }
            )
        else:
            record.update(
                {
                    "SupplierId": party["Id"],
                    "SupplierCode": party_code,
                    "SupplierName": party["Name"],
                    "SupplierReference": docs.read_text(body, "SupplierReference", 100),
                }
            )
        if resource == "quotes":
            record.pop("PaymentLines")
            record["Status"] = "NA"
            record["Category"] = quotes.category_of(self.store, body)
        else:
            docs.settle(record, self.today())
        self.save_document(resource, record)
        return record

    def save_document(self, resource: str, record: dict[str, Any]) -> None:
        """Stores the document and, in the same transaction, moves its party's balances
        by what the document's change moves them (against the stored version)."""
        fields = {
            "invoices": docs.INVOICE_SUMMARY,
            "purchases": docs.PURCHASE_SUMMARY,
            "quotes": docs.QUOTE_SUMMARY,
        }[resource]
        key = str(record["Number"])
        before = self.store.get(resource, key) if resource in balances.PARTIES else None
        change = balances.change_of(resource, before, record)
        self.store.write(
            [
                (resource, key, record, docs.document_summary(record, fields)),
                *balances.party_rows(self.store, resource, change),
            ]
        )

    def _next_number(self, resource: str) -> int:
        while True:
            number = self.store.next_id(f"{resource}-number", 1)
            if self.store.get(resource, str(number)) is None:
                return number

    def convert_quotes(
        self, numbers: Any, convert_from: str, retain: bool | None
    ) -> list[dict[str, Any]]:
        """Invoices made from quotes, all or none: each quote's customer, currency and
        lines, issued today. The quotes are deleted after, unless `retain` (absent: the
        settings decide) keeps them, filed under the settings' converted category."""
        if convert_from.lower() != "quote":
            raise Invalid("convertfrom", f"{convert_from!r} does not convert into invoices")
        if not isinstance(numbers, list) or not numbers:
            raise Invalid("Numbers", "the body is a list of quote numbers")
        invalid = [
            n
            for n in numbers
            if isinstance(n, bool)
            or not isinstance(n, int)
            or self.store.get("quotes", str(n)) is None
        ]
        if invalid:
            raise Invalid(
                "Numbers", f"these quote numbers are not valid: {', '.join(map(str, invalid))}",
                "InvalidQuotes",
            )  # fmt: skip
        keep = retain if retain is not None else not quotes.SETTINGS["QuoteDelete"]
        converted = []
        for number in dict.fromkeys(numbers):
            quote = self.require("quotes", str(number), "Quote")
            issued = f"{self.today().isoformat()} 12:00:00"
            invoice = self.put_document("invoices", quotes.invoice_body(quote, issued), None, None)
            if keep:
                filed = int(quotes.SETTINGS["QuoteConvertedCategory"])
                if filed:
                    quote["Category"] = self.store.get(quotes.CATEGORIES, str(filed))
                    self.save_document("quotes", quote)
            else:
                self.store.delete("quotes", str(number))
            converted.append({"InvoiceNumber": invoice["Number"], "QuoteNumber": number})
        return converted

    def delete_document(self, resource: str, number: int) -> None:
        document = self.require(resource, str(number), resource[:-1].capitalize())
        change = balances.change_of(resource, document, None)
        self.store.write(
            balances.party_rows(self.store, resource, change), [(resource, str(number))]
        )

    # -- payments ---------------------------------------------------------------------------
    def add_payment(self, resource: str, number: int, body: Body) -> dict[str, Any]:
        document = self.require(resource, str(number), resource[:-1].capitalize())
        line = docs.payment_line(
            body, self.store.next_id("payment-lines"), self.bank_accounts(), PAYMENT_METHOD_IDS
        )
        document.setdefault("PaymentLines", []).append(line)
        docs.settle(document, self.today())
        self.save_document(resource, document)
        return line

    def delete_payment(self, resource: str, number: int, line_id: int) -> None:
        document = self.require(resource, str(number), resource[:-1].capitalize())
        lines = document.get("PaymentLines") or []
        kept = [line for line in lines if int(line["Id"]) != line_id]
        if len(kept) == len(lines):
            raise NotFoundError(f"Payment {line_id} was not found.")
        document["PaymentLines"] = kept
        docs.settle(document, self.today())
        self.save_document(resource, document)

    def add_bulk_payment(self, resource: str, body: Body) -> dict[str, Any]:
        kind = "invoice_bulk_payments" if resource == "invoices" else "purchase_bulk_payments"
        items = body.children("PaymentItems", limit=docs.MAX_PAYMENT_ITEMS)
        if not items:
            raise Invalid("PaymentItems", "at least one payment item is required")
        paid_on = docs.read_date(body, "Date", required=True)
        documents = []
        held: dict[int, dict[str, Any]] = {}  # two items paying one document add to one copy
        for item in items:
            object_number = docs.read_int(item, "ObjectNumber", required=True)
            assert object_number is not None
            document = held.get(object_number) or self.store.get(resource, str(object_number))
            if document is None:
                raise Invalid(item.where("ObjectNumber"), f"no {resource[:-1]} {object_number}")
            docs.read_positive_amount(item, "Amount")
            held[object_number] = document
            documents.append((item, document))
        number = self.store.next_id(kind)
        record_items = []
        account_id = None
        for item, document in documents:
            line_body = Body(
                {
                    "Amount": item.get("Amount"),
                    "Date": body.get("Date"),
                    "AccountId": body.get("AccountId"),
                    "Method": body.get("Method"),
                    "Note": body.get("Comment"),
                    "Reference": item.get("Reference") or body.get("Reference"),
                }
            )
            line = docs.payment_line(
                line_body,
                self.store.next_id("payment-lines"),
                self.bank_accounts(),
                PAYMENT_METHOD_IDS,
            )
            line["BulkPaymentNumber"] = number
            account_id = line["AccountId"]
            document.setdefault("PaymentLines", []).append(line)
            docs.settle(document, self.today())
            self.save_document(resource, document)
            sales = resource == "invoices"
            record_items.append(
                {
                    "Id": line["Id"],
                    "Amount": line["Amount"],
                    "ContactName": document["CustomerName" if sales else "SupplierName"],
                    "ContactReference": document[
                        "CustomerReference" if sales else "SupplierReference"
                    ],
                    "ObjectIssuedDate": document["IssuedDate"],
                    "ObjectNumber": document["Number"],
                    "PaidDate": paid_on,
                }
            )
        record = {
            "Number": number,
            "Date": paid_on,
            "Comment": docs.read_text(body, "Comment", 500),
            "AccountId": account_id,
            "Method": docs.read_int(body, "Method") or 1,
            "Reconciled": False,
            "ExportDetails": None,
            "PaymentItems": record_items,
        }
        self.store.put(kind, str(number), record, record)
        return record
