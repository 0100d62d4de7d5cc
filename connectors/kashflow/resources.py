"""Typed KashFlow resources: customers, suppliers, invoices, purchases, quotes,
nominals (GL accounts and products), bank accounts, payment methods, payments and
bulk payments.

Each resource is one row of a declarative table (`Endpoint`, `ResourceTable`: path,
key field, mappers to and from canonical records) served by one generic class. A
resource lists summaries (iterators over every page), reads full records by key, and
writes. Creates are idempotent: after an uncertain outcome (connection lost, 5xx) the
record is looked up by our own key before it is posted again, so a retry never makes a
duplicate.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping
from contextlib import suppress
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, TypeVar
from urllib.parse import quote

import canonical
from connectors.kashflow import mapping
from connectors.kashflow.errors import SYSTEM, ServerError

if TYPE_CHECKING:
    from connectors.kashflow.client import KashFlowClient

log = logging.getLogger("connectors.kashflow")

R = TypeVar("R", bound=canonical.CanonicalRecord)
Raw = dict[str, Any]

LIST_PAGE = 100
"""What public KashFlow clients ask for; KashFlow documents no maximum."""
SCAN_PAGE = 500
"""Large pages for change scans (the sandbox's cap; lower it if KashFlow refuses)."""


@dataclass(frozen=True)
class Endpoint:
    """Where a KashFlow list lives and which field keys its records."""

    path: str
    entity: str
    key_field: str


@dataclass(frozen=True)
class ResourceTable(Endpoint, Generic[R]):
    """An endpoint whose records map to a canonical type, and how."""

    to_record: Callable[[Mapping[str, Any]], R]
    body_of: Callable[[R], Raw]
    is_product: bool | None = None
    """For records kept as nominals, the `IsProduct` value that selects them from the
    chart. KashFlow has no path per product or account code, so they are found by
    scanning the chart and written at `/nominals/{Id}` under their nominal `Code`."""
    first_code: int | None = None
    """Where new records' nominal codes start (products); None: the body carries it."""


CUSTOMERS = ResourceTable[canonical.Customer](
    "/customers", "customer", "Code", mapping.to_customer, mapping.customer_body
)
SUPPLIERS = ResourceTable[canonical.Supplier](
    "/suppliers", "supplier", "Code", mapping.to_supplier, mapping.supplier_body
)
INVOICES = ResourceTable[canonical.SalesInvoice](
    "/invoices", "sales_invoice", "Number", mapping.to_sales_invoice, mapping.sales_invoice_body
)
PURCHASES = ResourceTable[canonical.PurchaseInvoice](
    "/purchases",
    "purchase_invoice",
    "Number",
    mapping.to_purchase_invoice,
    mapping.purchase_invoice_body,
)
GL_ACCOUNTS = ResourceTable[canonical.GLAccount](
    "/nominals",
    "gl_account",
    "Code",
    mapping.to_gl_account,
    mapping.gl_account_body,
    is_product=False,
)
PRODUCTS = ResourceTable[canonical.Product](
    "/nominals",
    "product",
    "ProductCode",
    mapping.to_product,
    mapping.product_body,
    is_product=True,
    first_code=90000,
)
QUOTES = Endpoint("/quotes", "quote", "Number")
QUOTE_CATEGORIES = Endpoint("/quotecategories", "quote_category", "Number")
NOMINALS = Endpoint("/nominals", "nominal", "Id")
BANK_ACCOUNTS = Endpoint("/bankaccounts", "bank_account", "Id")


def _telling(raw: Mapping[str, Any]) -> str:
    """What besides its key tells a record, as " (Id 7, Name 'Acme Ltd')", or "" if nothing."""
    told = [
        f"{name} {value!r}" if isinstance(value, str) else f"{name} {value}"
        for name in ("Id", "Name")
        if isinstance(value := mapping.field(raw, name), str | int) and not isinstance(value, bool)
    ]
    return f" ({', '.join(told)})" if told else ""


def bulk_payments(documents: str) -> Endpoint:
    """`/invoices/bulk/payments` or `/purchases/bulk/payments`."""
    return Endpoint(f"/{documents}/bulk/payments", "bulk_payment", "Number")


class RawResource:
    """A KashFlow list/record path with no canonical type (quotes, nominals, ...)."""

    def __init__(self, client: KashFlowClient, endpoint: Endpoint) -> None:
        self.client = client
        self.path = endpoint.path
        self.entity = endpoint.entity
        self.key_field = endpoint.key_field

    def _record_path(self, key: str | int) -> str:
        return f"{self.path}/{quote(str(key), safe='')}"

    def key_of(self, raw: Mapping[str, Any]) -> str:
        """The record's key (its `key_field`) as text. A summary without one (missing,
        blank, or no text or number) is refused naming the field and whatever else tells
        the record (`Id`, `Name`): keyed "None", it would be read as another record."""
        value = mapping.field(raw, self.key_field)
        if isinstance(value, str | int) and not isinstance(value, bool) and str(value).strip():
            return str(value)
        shown = "missing" if value is None else f"{value!r}, not a key"
        raise canonical.ValidationFailed(
            f"{self.key_field} is {shown}{_telling(raw)}: a record without its key cannot be"
            " read, nor told from the others",
            system=SYSTEM,
            entity=self.entity,
            field=f"raw.{self.key_field}",
        )

    def keyed(self, summaries: Iterator[Raw]) -> Iterator[tuple[str, Raw]]:
        """Each of `summaries` that has a key, with it (those without cannot be asked
        for, so a search by key passes them by)."""
        for summary in summaries:
            with suppress(canonical.ValidationFailed):
                yield self.key_of(summary), summary

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
        except canonical.NotFound:
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
        """POSTs `body`; after an uncertain outcome (connection lost, 5xx) looks the record
        up by `key` before posting again, under the client's one retry policy."""
        tries = 0

        def post() -> Raw:
            nonlocal tries
            tries += 1
            if tries > 1:
                found = lookup()
                if found is not None:
                    log.info(
                        "kashflow create found after uncertain outcome",
                        extra={"system": SYSTEM, "entity": self.entity, "key": key},
                    )
                    return found
            try:
                return dict(
                    self.client.request(
                        "POST", self.path, json=dict(body), entity=self.entity, key=key
                    )
                )
            except canonical.ValidationFailed:
                if tries == 1:
                    raise
                found = lookup()  # a racing earlier attempt may have landed after all
                if found is None:
                    raise
                return found
            except ServerError as refused:
                if refused.status in self.client.retry.statuses:
                    raise
                found = lookup()  # a 500 may still have committed the record
                if found is None:
                    raise
                return found

        return self.client.retry.call(
            post,
            may_retry=lambda exc: isinstance(exc, canonical.ConnectionLost | ServerError),
            sleep=self.client._sleep,
            before_retry=lambda exc, attempt, delay: self.client.before_retry(
                exc, attempt, delay, "POST", self.path
            ),
        )


class Resource(RawResource, Generic[R]):
    """A resource with a canonical record type, driven by its `ResourceTable`."""

    def __init__(self, client: KashFlowClient, table: ResourceTable[R]) -> None:
        super().__init__(client, table)
        self.table = table

    def to_record(self, raw: Mapping[str, Any]) -> R:
        return self.table.to_record(raw)

    def body_of(self, record: R) -> Raw:
        return self.table.body_of(record)

    @property
    def _in_chart(self) -> bool:
        """Kept as nominals: found by scanning the chart of accounts, not by path."""
        return self.table.is_product is not None

    def list(self, **options: Any) -> Iterator[Raw]:
        summaries = super().list(**options)
        if not self._in_chart:
            return summaries
        wanted = self.table.is_product
        return (n for n in summaries if bool(mapping.field(n, "IsProduct")) == wanted)

    def find(self, key: str | int) -> Raw | None:
        if not self._in_chart:
            return super().find(key)
        found = self.keyed(self.list(perpage=SCAN_PAGE))
        return next((n for k, n in found if k == str(key)), None)

    def get(self, key: str | int) -> Raw:
        if not self._in_chart:
            return super().get(key)
        found = self.find(key)
        if found is None:
            what = self.entity.replace("_", " ")
            raise canonical.NotFound(
                f"no such {what}", system=SYSTEM, entity=self.entity, key=str(key)
            )
        return found

    def read(self, key: str) -> R:
        return self.to_record(self.get(key))

    def records(self, *, perpage: int = SCAN_PAGE) -> Iterator[R]:
        """Every record in full: one list pass, then one read per record (records kept
        as nominals are complete in the list already)."""
        if self._in_chart:
            yield from (self.to_record(n) for n in self.list(perpage=perpage))
            return
        for summary in self.list(perpage=perpage):
            yield self.read(self.key_of(summary))

    def create_record(self, record: R) -> R:
        """Creates `record` under its own key, exactly once in effect."""
        body = self.body_of(record)
        if self.table.first_code is not None:
            body["Code"] = self._next_nominal_code(self.table.first_code)
        raw = self.create_once(body, record.key, lambda: self.find(record.key))
        return self.to_record(raw)

    def update_record(self, record: R, extra: Mapping[str, Any] | None = None) -> R:
        """Updates `record`, with `extra` fields no canonical field carries (a product's
        `QuantityInStock`, ...)."""
        body = {**self.body_of(record), **(extra or {})}
        if not self._in_chart:
            return self.to_record(self.update(record.key, body))
        existing = self.get(record.key)
        kept = {k: existing[k] for k in KEPT_ON_UPDATE if k in existing and k not in body}
        body = {**kept, **body, "Code": int(mapping.field(existing, "Code"))}
        path = f"/nominals/{mapping.field(existing, 'Id')}"
        return self.to_record(self.client.request("PUT", path, json=body, entity=self.entity))

    def _next_nominal_code(self, first: int) -> int:
        chart = RawResource.list(self, perpage=SCAN_PAGE)
        codes = [int(mapping.field(n, "Code")) for n in chart]
        return max([c for c in codes if c >= first], default=first - 1) + 1


KEPT_ON_UPDATE = ("QuantityInStock", "StockWarningQuantity")
"""A product's stock fields, which no canonical field carries: an update (a PUT of the
whole nominal) sends them back as they are, unless it sets them."""


D = TypeVar("D", canonical.SalesInvoice, canonical.PurchaseInvoice)


class Documents(Resource[D]):
    """Invoices or purchases: records keyed by `Number`, with payment lines."""

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


class Quotes(RawResource):
    """Quotes, the categories they are filed under, and their conversion into invoices."""

    def __init__(self, client: KashFlowClient) -> None:
        super().__init__(client, QUOTES)
        self.categories_path = RawResource(client, QUOTE_CATEGORIES)

    def categories(self) -> list[Raw]:
        """Every quote category (`/quotecategories` answers a bare list)."""
        answer = self.client.request("GET", QUOTE_CATEGORIES.path, entity="quote_category")
        listed = answer.get("Data", []) if isinstance(answer, dict) else answer
        return [dict(category) for category in listed]

    def _named(self, name: str, icon_id: int) -> Raw | None:
        return next(
            (c for c in self.categories() if c.get("Name") == name and c.get("IconId") == icon_id),
            None,
        )

    def category(self, name: str, icon_id: int) -> Raw:
        """The category of that name and icon, created when there is none (after an
        uncertain create it is looked for before posting again)."""
        found = self._named(name, icon_id)
        if found is not None:
            return found
        body = {"Name": name, "IconId": icon_id}
        return self.categories_path.create_once(body, name, lambda: self._named(name, icon_id))

    def file_under(self, number: str | int, category: Mapping[str, Any]) -> Raw:
        """Files quote `number` under `category` (a PUT that names only `Category`)."""
        return self.update(number, {"Category": {"Number": category["Number"]}})

    def show_order_status(self, order: canonical.OrderStatus) -> Raw:
        """Shows a Sage 100 sales order's status on the quote of the same number: filed
        under that status's category (`mapping.ORDER_STATUS_CATEGORIES`)."""
        name, icon_id = mapping.ORDER_STATUS_CATEGORIES[order.status]
        return self.file_under(order.key, self.category(name, icon_id))

    def convert_to_invoices(
        self, numbers: list[int], *, retain: bool | None = None
    ) -> dict[int, int]:
        """Converts quotes into invoices, all or none; quote number -> invoice number.
        `retain` keeps the quotes (absent: the account's quote settings decide)."""
        params: dict[str, Any] = {"convertfrom": "quote"}
        if retain is not None:
            params["retainafterconversion"] = "true" if retain else "false"
        answer = self.client.request(
            "POST", "/internal/invoices", params=params, json=list(numbers), entity="quote"
        )
        return {int(row["QuoteNumber"]): int(row["InvoiceNumber"]) for row in answer}


class Nominals(RawResource):
    """`/nominals/{id}`: the chart of accounts; products are nominals with `IsProduct`."""

    def __init__(self, client: KashFlowClient) -> None:
        super().__init__(client, NOMINALS)

    def by_code(self) -> dict[int, Raw]:
        return {int(mapping.field(n, "Code")): n for n in self.list(perpage=SCAN_PAGE)}


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

    def _documents(self, kind: str) -> Documents[Any]:
        return self.client.invoices if kind == "receipt" else self.client.purchases

    def of_document(self, kind: str, number: str | int) -> list[canonical.Payment]:
        raw = self._documents(kind).get(number)
        return mapping.payments_of(raw, kind, self.vocabulary())

    def record(self, payment: canonical.Payment) -> list[canonical.Payment]:
        """Records `payment` exactly once in effect; returns the KashFlow payments made
        (their keys are KashFlow's payment line ids)."""
        if not payment.allocations:
            raise canonical.ValidationFailed(
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
        bulk = RawResource(self.client, bulk_payments(documents.path.strip("/")))
        body = mapping.bulk_payment_body(payment, vocabulary)
        bulk.create_once(body, payment.key, lambda: self._matching_bulk(bulk, body))
        return self.of_matching(payment)

    def of_matching(self, payment: canonical.Payment) -> list[canonical.Payment]:
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
    def _matching_bulk(bulk: RawResource, body: Mapping[str, Any]) -> Raw | None:
        wanted = sorted((str(i["ObjectNumber"]), i["Amount"]) for i in body["PaymentItems"])
        for key, record in bulk.keyed(bulk.list(perpage=50, order="Desc")):
            items = mapping.field(bulk.get(key), "PaymentItems") or []
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
    def __init__(self, documents: Documents[Any], number: str) -> None:
        lines = Endpoint(f"{documents._record_path(number)}/payments", "payment", "Id")
        super().__init__(documents.client, lines)
        self.documents = documents
        self.number = number

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
