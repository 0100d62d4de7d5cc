"""Typed KashFlow resources: customers, suppliers, invoices, purchases, quotes,
nominals (GL accounts and products), bank accounts, payment methods, payments and
bulk payments.

Each resource lists summaries (iterators over every page), reads full records by key,
and writes. Creates are idempotent: after an uncertain outcome (connection lost, 5xx)
the record is looked up by our own key before it is posted again, so a retry never
makes a duplicate.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar
from urllib.parse import quote

from canonical import (
    CanonicalRecord,
    ConnectionLost,
    Customer,
    GLAccount,
    NotFound,
    Payment,
    Product,
    PurchaseInvoice,
    SalesInvoice,
    Supplier,
    ValidationFailed,
)
from connectors.kashflow import mapping
from connectors.kashflow.errors import SYSTEM, ServerError

if TYPE_CHECKING:
    from connectors.kashflow.client import KashFlowClient

log = logging.getLogger("connectors.kashflow")

R = TypeVar("R", bound=CanonicalRecord)
Raw = dict[str, Any]

LIST_PAGE = 100
"""What public KashFlow clients ask for; KashFlow documents no maximum."""
SCAN_PAGE = 500
"""Large pages for change scans (the sandbox's cap; lower it if KashFlow refuses)."""


class RawResource:
    """A KashFlow list/record path with no canonical type (quotes, nominals, ...)."""

    path: ClassVar[str]
    entity: ClassVar[str]
    key_field: ClassVar[str]

    def __init__(self, client: KashFlowClient) -> None:
        self.client = client

    def _record_path(self, key: str | int) -> str:
        return f"{self.path}/{quote(str(key), safe='')}"

    def key_of(self, raw: Mapping[str, Any]) -> str:
        return str(mapping.field(raw, self.key_field))

    def list(
        self,
        *,
        perpage: int = LIST_PAGE,
        sortby: str | None = None,
        order: str = "Asc",
        **filters: Any,
    ) -> Iterator[Raw]:
        """Every summary, page after page (`LineItems`, `PaymentLines` are null here)."""
        params: dict[str, Any] = {"order": order, **filters}
        if sortby:
            params["sortby"] = sortby
        return self.client.paginate(self.path, params, perpage=perpage, entity=self.entity)

    def get(self, key: str | int) -> Raw:
        """The full record."""
        return dict(
            self.client.request("GET", self._record_path(key), entity=self.entity, key=str(key))
        )

    def find(self, key: str | int) -> Raw | None:
        try:
            return self.get(key)
        except NotFound:
            return None

    def create(self, body: Mapping[str, Any]) -> Raw:
        """A plain POST (not idempotent; see `create_record` for the safe form)."""
        return dict(self.client.request("POST", self.path, json=dict(body), entity=self.entity))

    def update(self, key: str | int, body: Mapping[str, Any]) -> Raw:
        return dict(
            self.client.request(
                "PUT", self._record_path(key), json=dict(body), entity=self.entity, key=str(key)
            )
        )

    def delete(self, key: str | int) -> None:
        self.client.request("DELETE", self._record_path(key), entity=self.entity, key=str(key))

    def create_once(
        self, body: Mapping[str, Any], key: str, lookup: Callable[[], Raw | None]
    ) -> Raw:
        """POSTs `body`; after an uncertain outcome looks the record up by `key` first."""
        attempt = 0
        while True:
            try:
                return dict(
                    self.client.request(
                        "POST", self.path, json=dict(body), entity=self.entity, key=key
                    )
                )
            except (ConnectionLost, ServerError) as uncertain:
                if attempt >= self.client.retry.max_retries:
                    raise
                found = lookup()
                if found is not None:
                    log.info(
                        "kashflow create found after uncertain outcome",
                        extra={"system": SYSTEM, "entity": self.entity, "key": key},
                    )
                    return found
                if isinstance(uncertain, ServerError) and (
                    uncertain.status not in self.client.retry.statuses
                ):
                    raise
                self.client.back_off(uncertain, attempt, "POST", self.path)
                attempt += 1
            except ValidationFailed:
                if attempt == 0:
                    raise
                found = lookup()  # a racing earlier attempt may have landed after all
                if found is None:
                    raise
                return found


class Resource(RawResource, Generic[R]):
    """A resource with a canonical record type."""

    def to_record(self, raw: Mapping[str, Any]) -> R:
        raise NotImplementedError

    def body_of(self, record: R) -> Raw:
        raise NotImplementedError

    def read(self, key: str) -> R:
        return self.to_record(self.get(key))

    def records(self, *, perpage: int = SCAN_PAGE) -> Iterator[R]:
        """Every record in full: one list pass, then one read per record."""
        for summary in self.list(perpage=perpage):
            yield self.read(self.key_of(summary))

    def create_record(self, record: R) -> R:
        """Creates `record` under its own key, exactly once in effect."""
        body = self.body_of(record)
        raw = self.create_once(body, record.key, lambda: self.find(record.key))
        return self.to_record(raw)

    def update_record(self, record: R) -> R:
        return self.to_record(self.update(record.key, self.body_of(record)))


class Customers(Resource[Customer]):
    path = "/customers"
    entity = "customer"
    key_field = "Code"

    def to_record(self, raw: Mapping[str, Any]) -> Customer:
        return mapping.to_customer(raw)

    def body_of(self, record: Customer) -> Raw:
        return mapping.customer_body(record)


class Suppliers(Resource[Supplier]):
    path = "/suppliers"
    entity = "supplier"
    key_field = "Code"

    def to_record(self, raw: Mapping[str, Any]) -> Supplier:
        return mapping.to_supplier(raw)

    def body_of(self, record: Supplier) -> Raw:
        return mapping.supplier_body(record)


D = TypeVar("D", SalesInvoice, PurchaseInvoice)


class Documents(Resource[D]):
    """Invoices or purchases: records keyed by `Number`, with payment lines."""

    key_field = "Number"
    kind: ClassVar[str]

    def payment_lines(self, number: str | int) -> list[Raw]:
        lines = self.client.request(
            "GET", f"{self._record_path(number)}/payments", entity=self.entity, key=str(number)
        )
        return [dict(line) for line in lines or []]

    def add_payment_line(self, number: str | int, body: Mapping[str, Any]) -> Raw:
        """`POST /{invoices|purchases}/{Number}/payments` (not idempotent; see
        `Payments.record`)."""
        return dict(
            self.client.request(
                "POST",
                f"{self._record_path(number)}/payments",
                json=dict(body),
                entity="payment",
                key=str(number),
            )
        )

    def delete_payment_line(self, number: str | int, line_id: int) -> None:
        self.client.request(
            "DELETE",
            f"{self._record_path(number)}/payments/{line_id}",
            entity="payment",
            key=str(line_id),
        )


class Invoices(Documents[SalesInvoice]):
    path = "/invoices"
    entity = "sales_invoice"
    kind = "receipt"

    def to_record(self, raw: Mapping[str, Any]) -> SalesInvoice:
        return mapping.to_sales_invoice(raw)

    def body_of(self, record: SalesInvoice) -> Raw:
        return mapping.sales_invoice_body(record)


class Purchases(Documents[PurchaseInvoice]):
    path = "/purchases"
    entity = "purchase_invoice"
    kind = "supplier_payment"

    def to_record(self, raw: Mapping[str, Any]) -> PurchaseInvoice:
        return mapping.to_purchase_invoice(raw)

    def body_of(self, record: PurchaseInvoice) -> Raw:
        return mapping.purchase_invoice_body(record)


class Quotes(RawResource):
    path = "/quotes"
    entity = "quote"
    key_field = "Number"


class Nominals(RawResource):
    """`/nominals/{id}`: the chart of accounts; products are nominals with `IsProduct`."""

    path = "/nominals"
    entity = "nominal"
    key_field = "Id"

    def by_code(self) -> dict[int, Raw]:
        return {int(mapping.field(n, "Code")): n for n in self.list(perpage=SCAN_PAGE)}


class GLAccounts(Resource[GLAccount]):
    """The nominals that are accounts (not products), keyed by nominal code."""

    path = "/nominals"
    entity = "gl_account"
    key_field = "Code"

    def list(self, **options: Any) -> Iterator[Raw]:
        return (n for n in super().list(**options) if not mapping.field(n, "IsProduct"))

    def find(self, key: str | int) -> Raw | None:
        return next((n for n in self.list(perpage=SCAN_PAGE) if self.key_of(n) == str(key)), None)

    def get(self, key: str | int) -> Raw:
        found = self.find(key)
        if found is None:
            raise NotFound("no such nominal code", system=SYSTEM, entity=self.entity, key=str(key))
        return found

    def records(self, *, perpage: int = SCAN_PAGE) -> Iterator[GLAccount]:
        return (self.to_record(n) for n in self.list(perpage=perpage))

    def to_record(self, raw: Mapping[str, Any]) -> GLAccount:
        return mapping.to_gl_account(raw)

    def body_of(self, record: GLAccount) -> Raw:
        return mapping.gl_account_body(record)

    def update_record(self, record: GLAccount) -> GLAccount:
        existing = self.get(record.key)
        path = f"/nominals/{mapping.field(existing, 'Id')}"
        raw = self.client.request("PUT", path, json=self.body_of(record), entity=self.entity)
        return self.to_record(raw)


class Products(Resource[Product]):
    """The nominals flagged `IsProduct`, keyed by their `ProductCode`."""

    path = "/nominals"
    entity = "product"
    key_field = "ProductCode"
    first_code: ClassVar[int] = 90000

    def list(self, **options: Any) -> Iterator[Raw]:
        return (n for n in super().list(**options) if mapping.field(n, "IsProduct"))

    def find(self, key: str | int) -> Raw | None:
        return next((n for n in self.list(perpage=SCAN_PAGE) if self.key_of(n) == str(key)), None)

    def get(self, key: str | int) -> Raw:
        found = self.find(key)
        if found is None:
            raise NotFound("no such product", system=SYSTEM, entity=self.entity, key=str(key))
        return found

    def records(self, *, perpage: int = SCAN_PAGE) -> Iterator[Product]:
        return (self.to_record(n) for n in self.list(perpage=perpage))

    def to_record(self, raw: Mapping[str, Any]) -> Product:
        return mapping.to_product(raw)

    def body_of(self, record: Product) -> Raw:
        codes = [int(mapping.field(n, "Code")) for n in RawResource.list(self, perpage=SCAN_PAGE)]
        code = max([c for c in codes if c >= self.first_code], default=self.first_code - 1) + 1
        return mapping.product_body(record, code)

    def update_record(self, record: Product) -> Product:
        existing = self.get(record.key)
        body = mapping.product_body(record, int(mapping.field(existing, "Code")))
        path = f"/nominals/{mapping.field(existing, 'Id')}"
        return self.to_record(self.client.request("PUT", path, json=body, entity=self.entity))


class BankAccounts(RawResource):
    path = "/bankaccounts"
    entity = "bank_account"
    key_field = "Id"


class BulkPayments(RawResource):
    """`/invoices/bulk/payments` or `/purchases/bulk/payments`."""

    entity = "bulk_payment"
    key_field = "Number"

    def __init__(self, client: KashFlowClient, documents: str) -> None:
        super().__init__(client)
        self.path = f"/{documents}/bulk/payments"  # type: ignore[misc]


class Payments:
    """Receipts and supplier payments, which KashFlow keeps as payment lines on the
    invoice or purchase they pay: one allocation is one payment line
    (`POST /invoices/{Number}/payments`), several are one bulk payment."""

    entity = "payment"

    def __init__(self, client: KashFlowClient) -> None:
        self.client = client
        self._vocabulary: mapping.PaymentVocabulary | None = None

    def vocabulary(self) -> mapping.PaymentVocabulary:
        if self._vocabulary is None:
            methods = self.client.request("GET", "/paymentmethods/invoice", entity="payment_method")
            accounts = list(self.client.bank_accounts.list())
            self._vocabulary = mapping.PaymentVocabulary(list(methods or []), accounts)
        return self._vocabulary

    def _documents(self, kind: str) -> Invoices | Purchases:
        return self.client.invoices if kind == "receipt" else self.client.purchases

    def of_document(self, kind: str, number: str | int) -> list[Payment]:
        raw = self._documents(kind).get(number)
        return mapping.payments_of(raw, kind, self.vocabulary())

    def record(self, payment: Payment) -> list[Payment]:
        """Records `payment` exactly once in effect; returns the KashFlow payments made
        (their keys are KashFlow's payment line ids)."""
        if not payment.allocations:
            raise ValidationFailed(
                "KashFlow payments are made against invoices or purchases: no allocation",
                system=SYSTEM, entity=self.entity, key=payment.key, field="allocations",
            )  # fmt: skip
        documents = self._documents(payment.kind)
        vocabulary = self.vocabulary()
        if len(payment.allocations) == 1:
            allocation = payment.allocations[0]
            number = allocation.invoice_key
            body = mapping.payment_line_body(payment, allocation, vocabulary)
            poster = _PaymentLinePoster(documents, number)
            poster.create_once(body, payment.key, lambda: poster.matching_line(body))
            return self.of_matching(payment)
        bulk = BulkPayments(self.client, documents.path.strip("/"))
        body = mapping.bulk_payment_body(payment, vocabulary)
        bulk.create_once(body, payment.key, lambda: self._matching_bulk(bulk, body))
        return self.of_matching(payment)

    def of_matching(self, payment: Payment) -> list[Payment]:
        """The KashFlow payments carrying `payment`'s reference, date and amounts."""
        found = []
        for allocation in payment.allocations:
            for made in self.of_document(payment.kind, allocation.invoice_key):
                if (
                    made.reference == payment.reference
                    and made.payment_date == payment.payment_date
                    and made.amount == allocation.amount
                ):
                    found.append(made)
        return found

    @staticmethod
    def _matching_bulk(bulk: BulkPayments, body: Mapping[str, Any]) -> Raw | None:
        wanted = sorted((str(i["ObjectNumber"]), i["Amount"]) for i in body["PaymentItems"])
        for record in bulk.list(perpage=50, order="Desc"):
            items = mapping.field(bulk.get(bulk.key_of(record)), "PaymentItems") or []
            got = sorted(
                (str(mapping.field(i, "ObjectNumber")), mapping.amount(i, "Amount")) for i in items
            )
            if (
                mapping.text(record, "Comment") == body["Comment"]
                and mapping.parse_date(mapping.field(record, "Date"))
                == mapping.parse_date(body["Date"])
                and got == wanted
            ):
                return dict(record)
        return None


class _PaymentLinePoster(RawResource):
    entity = "payment"
    key_field = "Id"

    def __init__(self, documents: Invoices | Purchases, number: str) -> None:
        super().__init__(documents.client)
        self.documents = documents
        self.number = number
        self.path = f"{documents._record_path(number)}/payments"  # type: ignore[misc]

    def matching_line(self, body: Mapping[str, Any]) -> Raw | None:
        for line in self.documents.payment_lines(self.number):
            if (
                mapping.text(line, "Reference") == body.get("Reference")
                and mapping.amount(line, "Amount") == body["Amount"]
                and mapping.parse_date(mapping.field(line, "Date"))
                == mapping.parse_date(body["Date"])
            ):
                return line
        return None
