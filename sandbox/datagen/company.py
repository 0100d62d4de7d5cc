"""One realistic business, seen from both systems.

`generate_company(size, seed)` builds the truth — customers, suppliers, products, stock,
GL chart, sales and purchase invoices, payments, sales orders — as canonical records.
`company.view("kashflow")` and `company.view("sage100")` give what each system holds:
mostly the same, with some records on one side only and some that differ, exactly as
in a business that re-keys between two systems. Both sandboxes seed from these views,
so the demo, the tests and the benchmarks all describe one business. The same size and
seed always give the same company.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any, Literal

import canonical
from canonical import round_money
from canonical.records import OrderState
from sandbox.datagen.names import STREETS, TOWNS, TRADES

SizeName = Literal["small", "medium", "large"]

ANCHOR_DATE = date(2026, 10, 31)
"""The generated company's "today": fixed, so a seed always gives the same records."""


@dataclass(frozen=True)
class CompanySize:
    customers: int
    suppliers: int
    products: int
    sales_invoices: int
    purchase_invoices: int
    sales_orders: int


SIZES: dict[str, CompanySize] = {
    "small": CompanySize(40, 15, 30, 200, 80, 30),
    "medium": CompanySize(1_000, 150, 400, 10_000, 2_000, 500),
    "large": CompanySize(100_000, 2_000, 5_000, 50_000, 10_000, 5_000),
}

WAREHOUSES = ("000", "001", "002")

# Nominal (KashFlow) / GL (Sage 100) chart: code, name, type.
GL_CHART: tuple[tuple[str, str, str], ...] = (
    ("1200", "Bank Current Account", "asset"),
    ("1210", "Bank Deposit Account", "asset"),
    ("1100", "Trade Debtors", "asset"),
    ("2100", "Trade Creditors", "liability"),
    ("2200", "VAT Liability", "liability"),
    ("4000", "Sales - Products", "income"),
    ("4010", "Sales - Services", "income"),
    ("4020", "Sales - Carriage", "income"),
    ("5000", "Cost of Sales - Materials", "expense"),
    ("5010", "Cost of Sales - Packaging", "expense"),
    ("6100", "Advertising", "expense"),
    ("7000", "Wages and Salaries", "expense"),
    ("7100", "Rent and Rates", "expense"),
    ("7200", "Electricity", "expense"),
    ("7300", "Motor Expenses", "expense"),
    ("7400", "Travel and Subsistence", "expense"),
    ("7500", "Printing and Stationery", "expense"),
    ("7502", "Telephone and Internet", "expense"),
    ("7600", "Legal Fees", "expense"),
    ("7700", "Equipment Repairs", "expense"),
    ("7800", "Software Subscriptions", "expense"),
    ("7900", "Bank Charges", "expense"),
    ("8200", "Insurance", "expense"),
)

# What each kind of supplier sells, and where it is booked.
SUPPLIER_KINDS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("Stationers", "7500", ("Printer paper A4", "Toner cartridges", "Envelopes and labels")),
    ("Telecom", "7502", ("Broadband monthly", "Mobile phone contract", "Phone line rental")),
    ("Energy", "7200", ("Electricity supply", "Standing charge", "Energy usage")),
    ("Motors", "7300", ("Van servicing", "Fuel card", "Tyres replaced")),
    ("Software", "7800", ("Cloud hosting", "Accounting licence", "Design software seats")),
    ("Legal", "7600", ("Contract review", "Trademark filing", "Legal advice")),
    ("Insurance", "8200", ("Public liability cover", "Vehicle insurance", "Stock insurance")),
    ("Packaging", "5010", ("Cardboard boxes", "Bubble wrap rolls", "Packing tape")),
    ("Materials", "5000", ("Timber planks", "Steel fixings", "Paint and varnish")),
    ("Media", "6100", ("Online advertising", "Print advert", "Trade show stand")),
    ("Travel", "7400", ("Train tickets", "Hotel stay", "Client lunch")),
    ("Property", "7100", ("Office rent", "Business rates", "Service charge")),
)

_NAME_FIRST = (
    "Acme",
    "Bright",
    "Castle",
    "Delta",
    "Evergreen",
    "Falcon",
    "Granite",
    "Harbour",
    "Iris",
    "Juniper",
    "Kestrel",
    "Lakeside",
    "Meadow",
    "Northgate",
    "Oakwood",
    "Pioneer",
    "Quayside",
    "Riverside",
    "Summit",
    "Thistle",
    "Upland",
    "Vale",
    "Westbrook",
    "Yew",
    "Zenith",
    "Amber",
    "Beacon",
    "Cedar",
    "Dovetail",
    "Elm",
    "Foxglove",
    "Heather",
    "Café Zoë",
    "Müller",
    "Łódź",
    "Ørsted",
    "Sørensen",
    "Ångström",
    "Crème",
    "Núñez",
)
_SUFFIXES = ("Ltd", "Limited", "Ltd.", "LLP", "& Co", "PLC", "")
_TOWNS = tuple((town, district) for town, _, district in TOWNS)
_PRODUCT_WORDS = (
    ("Oak", "Pine", "Steel", "Brass", "Walnut", "Ceramic", "Linen", "Cotton", "Glass"),
    ("Table", "Chair", "Lamp", "Shelf", "Cabinet", "Mirror", "Rug", "Vase", "Stool", "Desk"),
)
_VAT_RATES = (Decimal("20"), Decimal("20"), Decimal("20"), Decimal("5"), Decimal("0"))
_METHODS = ("BACS", "Cheque", "Card", "Cash", "Direct Debit")


@dataclass
class Company:
    """The truth of one business; `view(system)` is what each system holds of it."""

    size: CompanySize
    seed: int
    customers: list[canonical.Customer] = field(default_factory=list)
    suppliers: list[canonical.Supplier] = field(default_factory=list)
    products: list[canonical.Product] = field(default_factory=list)
    stock_levels: list[canonical.StockLevel] = field(default_factory=list)
    gl_accounts: list[canonical.GLAccount] = field(default_factory=list)
    sales_invoices: list[canonical.SalesInvoice] = field(default_factory=list)
    purchase_invoices: list[canonical.PurchaseInvoice] = field(default_factory=list)
    payments: list[canonical.Payment] = field(default_factory=list)
    sales_orders: list[canonical.OrderStatus] = field(default_factory=list)
    only_in: dict[tuple[str, str], canonical.System] = field(default_factory=dict)
    """(entity, key) -> the one system that holds the record; absent means both do."""
    differs: set[tuple[str, str]] = field(default_factory=set)
    """(entity, key) of records whose sage100 copy differs from the kashflow one."""

    def records(self) -> Iterator[canonical.CanonicalRecord]:
        yield from self.gl_accounts
        yield from self.customers
        yield from self.suppliers
        yield from self.products
        yield from self.stock_levels
        yield from self.sales_invoices
        yield from self.purchase_invoices
        yield from self.payments
        yield from self.sales_orders

    def view(self, system: canonical.System) -> CompanyView:
        """The records `system` holds, carrying `system` as their system."""
        rng = random.Random(f"{self.seed}-{system}")
        held: dict[str, list[canonical.CanonicalRecord]] = {}
        for record in self.records():
            owner = self.only_in.get((record.entity, record.key))
            if owner is not None and owner != system:
                continue
            copy = record.model_copy(update={"system": system})
            if system == "sage100" and (record.entity, record.key) in self.differs:
                copy = _diverge(copy, rng)
            held.setdefault(record.entity, []).append(copy)
        return CompanyView(system, held)


@dataclass(frozen=True)
class CompanyView:
    system: canonical.System
    by_entity: dict[str, list[canonical.CanonicalRecord]]

    def of(self, entity: str) -> list[canonical.CanonicalRecord]:
        return self.by_entity.get(entity, [])


def _diverge(record: canonical.CanonicalRecord, rng: random.Random) -> canonical.CanonicalRecord:
    """The kind of difference re-keying leaves behind."""
    if isinstance(record, canonical.Customer | canonical.Supplier):
        choice = rng.choice(("name", "email", "phone"))
        if choice == "name":
            return record.model_copy(update={"name": _typo(record.name, rng)})
        if choice == "email" and record.email:
            return record.model_copy(update={"email": record.email.replace("@", ".accounts@")})
        return record.model_copy(update={"phone": "0800 000 " + str(rng.randint(1000, 9999))})
    if isinstance(record, canonical.Product):
        return record.model_copy(update={"unit_price": record.unit_price + Decimal("1.00")})
    if isinstance(record, canonical.StockLevel):
        delta = Decimal(rng.randint(1, 5))
        return record.model_copy(update={"quantity_on_hand": record.quantity_on_hand + delta})
    if isinstance(record, canonical.SalesInvoice | canonical.PurchaseInvoice):
        return record.model_copy(update={"reference": (record.reference or "") + " (rekeyed)"})
    return record


def _typo(text: str, rng: random.Random) -> str:
    if len(text) < 4:
        return text + "s"
    i = rng.randrange(1, len(text) - 1)
    return text[:i] + text[i + 1] + text[i] + text[i + 2 :]


def generate_company(size: SizeName | CompanySize = "small", seed: int = 42) -> Company:
    """One business, deterministic for (size, seed)."""
    dims = SIZES[size] if isinstance(size, str) else size
    rng = random.Random(seed)
    company = Company(size=dims, seed=seed)
    company.gl_accounts = [
        canonical.GLAccount(system="kashflow", key=code, name=name, account_type=kind)
        for code, name, kind in GL_CHART
    ]
    company.customers = [_customer(i, rng) for i in range(dims.customers)]
    company.suppliers = [_supplier(i, rng) for i in range(dims.suppliers)]
    company.products = [_product(i, rng) for i in range(dims.products)]
    company.stock_levels = [level for product in company.products for level in _stock(product, rng)]
    sales = [_sale(i, company, rng) for i in range(dims.sales_invoices) if company.customers]
    purchases = [
        _purchase(i, company, rng) for i in range(dims.purchase_invoices) if company.suppliers
    ]
    company.sales_invoices = [invoice for invoice, _ in sales]
    company.purchase_invoices = [invoice for invoice, _ in purchases]
    company.payments = [payment for _, payment in (*sales, *purchases) if payment]
    company.sales_orders = [_sales_order(i, company, rng) for i in range(dims.sales_orders)]
    _mark_divergence(company, rng)
    return company


def _company_name(rng: random.Random) -> str:
    suffix = rng.choice(_SUFFIXES)
    name = f"{rng.choice(_NAME_FIRST)} {rng.choice(TRADES)}"
    return f"{name} {suffix}".strip()


def _code(name: str, i: int) -> str:
    letters = "".join(c for c in name.upper() if "A" <= c <= "Z")[:4].ljust(4, "X")
    return f"{letters}{i:04d}" if i < 10_000 else f"{letters}{i:06d}"


def _address(rng: random.Random) -> dict[str, object]:
    town, district = rng.choice(_TOWNS)
    return {
        "address_lines": (f"{rng.randint(1, 240)} {rng.choice(STREETS)}",),
        "city": town,
        "postcode": f"{district} {rng.randint(1, 9)}{rng.choice('ABDEFGHJLNPQRSTUWXYZ')}"
        f"{rng.choice('ABDEFGHJLNPQRSTUWXYZ')}",
        "country": "GB",
    }


def _email_domain(name: str) -> str:
    letters = "".join(c for c in name.lower() if c.isascii() and c.isalnum())
    return (letters[:20] or "company") + ".co.uk"


def _customer(i: int, rng: random.Random) -> canonical.Customer:
    name = _company_name(rng)
    return canonical.Customer(
        system="kashflow",
        key=_code(name, i),
        name=name,
        email=f"accounts@{_email_domain(name)}",
        phone=f"01{rng.randint(100, 999)} {rng.randint(100000, 999999)}",
        tax_number=f"GB{rng.randint(100000000, 999999999)}" if rng.random() < 0.6 else None,
        payment_terms_days=rng.choice((14, 30, 30, 30, 60)),
        credit_limit=Decimal(rng.choice((1000, 5000, 10000, 25000))),
        **_address(rng),  # type: ignore[arg-type]
    )


def _supplier(i: int, rng: random.Random) -> canonical.Supplier:
    kind = SUPPLIER_KINDS[i % len(SUPPLIER_KINDS)]
    name = f"{rng.choice(_NAME_FIRST)} {kind[0]} {rng.choice(('Ltd', 'Limited', 'PLC'))}"
    return canonical.Supplier(
        system="kashflow",
        key=_code(name, i)[:3] + f"{i:04d}",
        name=name,
        email=f"billing@{_email_domain(name)}",
        phone=f"02{rng.randint(0, 9)} {rng.randint(1000, 9999)} {rng.randint(1000, 9999)}",
        tax_number=f"GB{rng.randint(100000000, 999999999)}",
        payment_terms_days=rng.choice((14, 30, 30, 45)),
        **_address(rng),  # type: ignore[arg-type]
    )


def _product(i: int, rng: random.Random) -> canonical.Product:
    material, thing = rng.choice(_PRODUCT_WORDS[0]), rng.choice(_PRODUCT_WORDS[1])
    price = Decimal(rng.randint(500, 50000)) / 100
    return canonical.Product(
        system="kashflow",
        key=f"{thing[:3].upper()}-{i:05d}",
        name=f"{material} {thing}",
        description=f"{material} {thing.lower()}, item {i}",
        unit_price=price,
        unit_cost=round_money(price * Decimal("0.55")),
        tax_rate=Decimal("20"),
        sales_account="4000",
        track_stock=rng.random() < 0.9,
    )


def _stock(product: canonical.Product, rng: random.Random) -> list[canonical.StockLevel]:
    if not product.track_stock:
        return []
    count = rng.choice((1, 1, 2, 3))
    return [
        canonical.StockLevel(
            system="kashflow",
            key=f"{product.key}|{warehouse}",
            product_key=product.key,
            warehouse=warehouse,
            quantity_on_hand=Decimal(rng.randint(0, 400)),
            quantity_on_order=Decimal(rng.choice((0, 0, 50, 100))),
            quantity_committed=Decimal(rng.randint(0, 20)),
        )
        for warehouse in WAREHOUSES[:count]
    ]


def _line(
    no: int, description: str, qty: Decimal, price: Decimal, rate: Decimal, **extra: object
) -> canonical.DocumentLine:
    net = round_money(qty * price)
    return canonical.DocumentLine(
        line_no=no,
        description=description,
        quantity=qty,
        unit_price=price,
        net_amount=net,
        tax_rate=rate,
        tax_amount=round_money(net * rate / 100),
        **extra,  # type: ignore[arg-type]
    )


def _totals(lines: list[canonical.DocumentLine]) -> dict[str, Decimal]:
    net = sum((line.net_amount for line in lines), Decimal(0))
    tax = sum((line.tax_amount for line in lines), Decimal(0))
    return {"net_amount": net, "tax_amount": tax, "gross_amount": net + tax}


def _invoice_fields(
    number: str, issued: date, terms_days: int, lines: list[canonical.DocumentLine], paid: Decimal
) -> dict[str, Any]:
    """What every KashFlow invoice the company draws has: its number, dates, lines, totals
    and what has been paid of it."""
    return {
        "system": "kashflow",
        "key": number,
        "issue_date": issued,
        "due_date": issued + timedelta(days=terms_days),
        "lines": tuple(lines),
        "amount_paid": paid,
        **_totals(lines),
    }


def _settlement(
    invoice: canonical.SalesInvoice | canonical.PurchaseInvoice,
    kind: Literal["receipt", "supplier_payment"],
    key: str,
    counterparty_key: str,
    paid_on: date,
    method: str,
    reference: str,
) -> canonical.Payment:
    """The KashFlow payment of what `invoice` has paid, from the current account (1200),
    all of it allocated to that invoice."""
    return canonical.Payment(
        system="kashflow",
        key=key,
        kind=kind,
        counterparty_key=counterparty_key,
        payment_date=paid_on,
        amount=invoice.amount_paid,
        method=method,
        bank_account="1200",
        reference=reference,
        allocations=(canonical.Allocation(invoice_key=invoice.key, amount=invoice.amount_paid),),
    )


def _sale(
    i: int, company: Company, rng: random.Random
) -> tuple[canonical.SalesInvoice, canonical.Payment | None]:
    """Sales invoice `i`, to a customer drawn at random, and the receipt that paid it (in
    full or half), if one did."""
    customer = rng.choice(company.customers)
    issued = ANCHOR_DATE - timedelta(days=rng.randint(0, 365))
    lines = []
    for no in range(1, rng.choice((1, 1, 2, 3, 4)) + 1):
        if company.products and rng.random() < 0.8:
            product = rng.choice(company.products)
            lines.append(
                _line(
                    no,
                    product.name,
                    Decimal(rng.randint(1, 12)),
                    product.unit_price,
                    rng.choice(_VAT_RATES),
                    product_key=product.key,
                    gl_account="4000",
                )
            )
        else:
            lines.append(
                _line(
                    no,
                    rng.choice(("Consultancy", "Installation", "Delivery charge")),
                    Decimal(rng.randint(1, 8)),
                    Decimal(rng.randint(4000, 15000)) / 100,
                    Decimal("20"),
                    gl_account=rng.choice(("4010", "4020")),
                )
            )
    number = str(10_001 + i)
    gross = _totals(lines)["gross_amount"]
    paid = Decimal(0)
    roll = rng.random()
    if issued < ANCHOR_DATE - timedelta(days=20) and roll < 0.75:
        paid = gross if roll < 0.65 else round_money(gross / 2)
    invoice = canonical.SalesInvoice(
        customer_key=customer.key,
        currency="GBP",
        reference=f"PO{rng.randint(10000, 99999)}" if rng.random() < 0.5 else None,
        **_invoice_fields(number, issued, customer.payment_terms_days, lines, paid),
    )
    if not paid:
        return invoice, None
    paid_on = min(ANCHOR_DATE, issued + timedelta(days=rng.randint(3, 45)))
    method = rng.choice(_METHODS)
    reference = rng.choice((f"INV {number}", f"Inv{number}", number, customer.name))
    return invoice, _settlement(
        invoice, "receipt", f"R{number}", customer.key, paid_on, method, reference
    )


def _purchase(
    i: int, company: Company, rng: random.Random
) -> tuple[canonical.PurchaseInvoice, canonical.Payment | None]:
    """Purchase invoice `i`, from a supplier drawn at random, of what its kind sells, and
    the payment that settled it, if one did."""
    index = rng.randrange(len(company.suppliers))
    supplier = company.suppliers[index]
    _, account, items = SUPPLIER_KINDS[index % len(SUPPLIER_KINDS)]
    issued = ANCHOR_DATE - timedelta(days=rng.randint(0, 365))
    lines = [
        _line(
            no,
            rng.choice(items),
            Decimal(rng.randint(1, 5)),
            Decimal(rng.randint(1000, 90000)) / 100,
            rng.choice(_VAT_RATES),
            gl_account=account,
        )
        for no in range(1, rng.choice((1, 1, 2)) + 1)
    ]
    number = str(5_001 + i)
    paid = (
        _totals(lines)["gross_amount"]
        if issued < ANCHOR_DATE - timedelta(days=30) and rng.random() < 0.8
        else Decimal(0)
    )
    purchase = canonical.PurchaseInvoice(
        supplier_key=supplier.key,
        reference=f"{supplier.key[:3]}-{rng.randint(100000, 999999)}",
        **_invoice_fields(number, issued, supplier.payment_terms_days, lines, paid),
    )
    if not paid:
        return purchase, None
    paid_on = min(ANCHOR_DATE, issued + timedelta(days=rng.randint(5, 40)))
    return purchase, _settlement(
        purchase,
        "supplier_payment",
        f"P{number}",
        supplier.key,
        paid_on,
        "BACS",
        f"Purchase {number}",
    )


def _sales_order(i: int, company: Company, rng: random.Random) -> canonical.OrderStatus:
    customer = rng.choice(company.customers)
    ordered = ANCHOR_DATE - timedelta(days=rng.randint(0, 90))
    states: tuple[OrderState, ...] = ("open", "open", "backordered", "shipped", "complete")
    status = rng.choice(states)
    return canonical.OrderStatus(
        system="kashflow",
        key=f"{i + 1:07d}",
        customer_key=customer.key,
        order_date=ordered,
        status=status,
        ship_date=ordered + timedelta(days=rng.randint(1, 10))
        if status in ("shipped", "complete")
        else None,
        reference=f"WEB{rng.randint(100000, 999999)}",
    )


def _mark_divergence(company: Company, rng: random.Random) -> None:
    """About 5% of masters on one side only, 5% differing; 10% of documents not yet in Sage."""
    for records in (company.customers, company.suppliers, company.products):
        for record in records:
            roll = rng.random()
            if roll < 0.03:
                company.only_in[(record.entity, record.key)] = "kashflow"
            elif roll < 0.05:
                company.only_in[(record.entity, record.key)] = "sage100"
            elif roll < 0.10:
                company.differs.add((record.entity, record.key))
    for invoice in company.sales_invoices:
        owner = company.only_in.get(("customer", invoice.customer_key))
        roll = rng.random()
        if owner is not None:
            company.only_in[(invoice.entity, invoice.key)] = owner
        elif roll < 0.10:
            company.only_in[(invoice.entity, invoice.key)] = "kashflow"
        elif roll < 0.13:
            company.differs.add((invoice.entity, invoice.key))
    for payment in company.payments:
        invoice_key = payment.allocations[0].invoice_key if payment.allocations else None
        entity = "sales_invoice" if payment.kind == "receipt" else "purchase_invoice"
        owner = company.only_in.get((entity, invoice_key)) if invoice_key else None
        if owner is not None:
            company.only_in[(payment.entity, payment.key)] = owner
    for purchase in company.purchase_invoices:
        if company.only_in.get(("supplier", purchase.supplier_key)):
            company.only_in[(purchase.entity, purchase.key)] = company.only_in[
                ("supplier", purchase.supplier_key)
            ]
        elif rng.random() < 0.10:
            company.only_in[(purchase.entity, purchase.key)] = "kashflow"
    for level in company.stock_levels:
        owner = company.only_in.get(("product", level.product_key))
        if owner is not None:
            company.only_in[(level.entity, level.key)] = owner
        elif rng.random() < 0.05:
            company.differs.add((level.entity, level.key))
    for order in company.sales_orders:
        owner = company.only_in.get(("customer", order.customer_key))
        company.only_in[(order.entity, order.key)] = owner or "sage100"
