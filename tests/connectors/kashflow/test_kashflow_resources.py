"""Every KashFlow resource through the client over real HTTP: create, read, list,
update, delete; payments and bulk payments; refusals typed with field and message."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any, Literal

import pytest

from canonical import (
    Allocation,
    Customer,
    DocumentLine,
    GLAccount,
    NotFound,
    Payment,
    Product,
    PurchaseInvoice,
    SalesInvoice,
    Supplier,
    ValidationFailed,
)
from connectors.kashflow import KashFlowClient


def a_line(net: str = "100.00", rate: str = "20", account: str = "4000") -> DocumentLine:
    tax = (Decimal(net) * Decimal(rate) / 100).quantize(Decimal("0.01"))
    return DocumentLine(
        line_no=1, description="Consultancy", quantity=Decimal(1), unit_price=Decimal(net),
        net_amount=Decimal(net), tax_rate=Decimal(rate), tax_amount=tax, gl_account=account,
    )  # fmt: skip


def an_invoice(key: str, customer: str, net: str = "100.00") -> SalesInvoice:
    line = a_line(net)
    return SalesInvoice(
        system="kashflow", key=key, customer_key=customer, issue_date=date(2026, 3, 1),
        due_date=date(2026, 3, 31), reference=f"PO-{key}", lines=(line,),
        net_amount=line.net_amount, tax_amount=line.tax_amount,
        gross_amount=line.net_amount + line.tax_amount,
    )  # fmt: skip


def test_customers_crud(client: KashFlowClient) -> None:
    customer = Customer(
        system="kashflow", key="CRUD01", party_number="CRUD01", name="Crème Brûlée Ltd",
        email="a@b.co.uk",
        address_lines=("1 Mill Lane", "Unit 4"), city="Bath", postcode="BA1 1AA", country="GB",
        tax_number="GB123456789", payment_terms_days=14, credit_limit=Decimal("5000"),
    )  # fmt: skip
    assert client.customers.create_record(customer) == customer
    assert client.customers.read("CRUD01") == customer
    assert "CRUD01" in {client.customers.key_of(s) for s in client.customers.list()}
    renamed = customer.model_copy(update={"name": "Crème Brûlée Limited", "active": False})
    assert client.customers.update_record(renamed) == renamed
    client.customers.delete("CRUD01")
    with pytest.raises(NotFound):
        client.customers.read("CRUD01")


def test_suppliers_crud(client: KashFlowClient) -> None:
    supplier = Supplier(
        system="kashflow", key="SUPCRUD", party_number="SUPCRUD", name="Ørsted Energy PLC",
        phone="020 1234 5678",
        address_lines=("9 Quay",), city="Cardiff", country="GB", currency="EUR",
    )  # fmt: skip
    assert client.suppliers.create_record(supplier) == supplier
    changed = supplier.model_copy(update={"email": "billing@orsted.example"})
    assert client.suppliers.update_record(changed) == client.suppliers.read("SUPCRUD") == changed
    client.suppliers.delete("SUPCRUD")
    assert client.suppliers.find("SUPCRUD") is None


def test_invoices_crud(client: KashFlowClient) -> None:
    invoice = an_invoice("880001", "ACME0019")
    assert client.invoices.create_record(invoice) == invoice
    summary = next(
        s for s in client.invoices.list(sortby="Number", order="Desc") if s["Number"] == 880001
    )
    assert summary["LineItems"] is None and summary["PaymentLines"] is None
    bigger = an_invoice("880001", "ACME0019", net="250.00")
    assert client.invoices.update_record(bigger) == client.invoices.read("880001") == bigger
    client.invoices.delete("880001")
    with pytest.raises(NotFound):
        client.invoices.get("880001")


def test_purchases_crud(client: KashFlowClient) -> None:
    supplier = next(client.suppliers.list())["Code"]
    line = a_line("40.00", "5", "7500")
    purchase = PurchaseInvoice(
        system="kashflow", key="990001", supplier_key=supplier, issue_date=date(2026, 2, 1),
        due_date=date(2026, 3, 1), reference="SUP-INV-1", lines=(line,), net_amount=line.net_amount,
        tax_amount=line.tax_amount, gross_amount=line.net_amount + line.tax_amount,
    )  # fmt: skip
    assert client.purchases.create_record(purchase) == purchase
    assert client.purchases.read("990001") == purchase
    assert any(s["Number"] == 990001 for s in client.purchases.list(suppliercode=supplier))
    client.purchases.delete("990001")
    assert client.purchases.find("990001") is None


def test_quotes_crud(client: KashFlowClient) -> None:
    created = client.quotes.create(
        {
            "CustomerCode": "ACME0019",
            "IssuedDate": "2026-05-01 12:00:00",
            "LineItems": [{"Description": "Survey", "Quantity": 2, "Rate": 150, "VATLevel": 20}],
        }
    )
    number = created["Number"]
    assert client.quotes.get(number)["GrossAmount"] == Decimal("360")
    client.quotes.update(number, {"CustomerReference": "Q-REF"})
    assert client.quotes.get(number)["CustomerReference"] == "Q-REF"
    assert number in [q["Number"] for q in client.quotes.list()]
    client.quotes.delete(number)
    assert client.quotes.find(number) is None


def test_nominals_as_gl_accounts_and_products(client: KashFlowClient) -> None:
    account = GLAccount(
        system="kashflow", key="7999", name="Sundry Expenses", account_type="expense"
    )
    assert client.gl_accounts.create_record(account) == account
    renamed = account.model_copy(update={"name": "Sundries"})
    assert client.gl_accounts.update_record(renamed) == client.gl_accounts.read("7999") == renamed
    product = Product(
        system="kashflow", key="LAMP-X1", name="Walnut Lamp", description="Lamp, walnut",
        unit_price=Decimal("49.99"), unit_cost=Decimal("20.5"), tax_rate=Decimal("20"),
        sales_account="4000",
    )  # fmt: skip
    assert client.products.create_record(product) == product
    assert client.products.read("LAMP-X1") == product
    nominal = client.products.get("LAMP-X1")
    assert nominal["IsProduct"] is True and nominal["Code"] >= 90000
    assert client.nominals.get(nominal["Id"])["ProductCode"] == "LAMP-X1"
    client.nominals.delete(nominal["Id"])
    assert client.products.find("LAMP-X1") is None


def test_bank_accounts_and_payment_methods(client: KashFlowClient) -> None:
    accounts = list(client.bank_accounts.list())
    assert {a["Code"] for a in accounts} >= {1200, 1210}
    assert client.bank_accounts.get(accounts[0]["Id"])["AccountName"]
    assert "BACS" in {m["Name"] for m in client.payment_methods("invoice")}


def test_a_payment_line_settles_an_invoice(client: KashFlowClient) -> None:
    client.invoices.create_record(an_invoice("880101", "ACME0019"))
    payment = Payment(
        system="kashflow", key="OUR-1", kind="receipt", counterparty_key="ACME0019",
        payment_date=date(2026, 3, 10), amount=Decimal("120.00"), method="BACS",
        bank_account="1200", reference="INV 880101",
        allocations=(Allocation(invoice_key="880101", amount=Decimal("120.00")),),
    )  # fmt: skip
    [made] = client.payments.record(payment)
    assert made.model_dump(exclude={"key"}) == payment.model_dump(exclude={"key"})
    invoice = client.invoices.get(880101)
    assert invoice["Status"] == "Paid" and invoice["DueAmount"] == 0
    client.invoices.delete_payment_line(880101, invoice["PaymentLines"][0]["Id"])
    assert client.invoices.get(880101)["Status"] in ("Unpaid", "Overdue")


@pytest.mark.parametrize("kind", ["receipt", "supplier_payment"])
def test_a_payment_for_several_documents_is_one_bulk_payment(
    client: KashFlowClient, kind: Literal["receipt", "supplier_payment"]
) -> None:
    resource = client.invoices if kind == "receipt" else client.purchases
    unpaid = [s for s in resource.list(perpage=500) if s["TotalPaidAmount"] == 0][:2]
    allocations = tuple(
        Allocation(invoice_key=str(s["Number"]), amount=Decimal("10.00")) for s in unpaid
    )
    payment = Payment(
        system="kashflow", key="BULK-1", kind=kind, payment_date=date(2026, 4, 1),
        amount=Decimal("20.00"), method="Cheque", bank_account="1210",
        reference=f"Bulk {kind}", allocations=allocations,
    )  # fmt: skip
    made = client.payments.record(payment)
    assert sorted(p.allocations[0].invoice_key for p in made) == sorted(
        a.invoice_key for a in allocations
    )
    bulk = client.invoice_bulk_payments if kind == "receipt" else client.purchase_bulk_payments
    latest = next(iter(bulk.list(order="Desc")))
    assert bulk.get(latest["Number"])["Comment"] == f"Bulk {kind}"


def test_validation_errors_name_the_field_and_are_not_retried(
    client: KashFlowClient, admin: Any
) -> None:
    with pytest.raises(ValidationFailed) as refused:
        client.invoices.create_record(an_invoice("880201", "NO-SUCH-CUSTOMER"))
    assert refused.value.field == "CustomerCode"
    assert refused.value.remote_message == "CustomerCode: no customer has code NO-SUCH-CUSTOMER"
    assert refused.value.system == "kashflow" and refused.value.key == "880201"
    assert admin.requests_to("POST /v2/invoices") == 1


def test_a_duplicate_number_is_refused_not_overwritten(client: KashFlowClient) -> None:
    client.invoices.create_record(an_invoice("880301", "ACME0019"))
    with pytest.raises(ValidationFailed) as refused:
        client.invoices.create(
            {"Number": 880301, "CustomerCode": "ACME0019", "IssuedDate": "2026-01-01",
             "LineItems": [{"Rate": 1}]}
        )  # fmt: skip
    assert refused.value.field == "Number"


def test_canonical_values_kashflow_cannot_hold_are_refused_before_sending(
    client: KashFlowClient, admin: Any
) -> None:
    line = DocumentLine(
        line_no=1, quantity=Decimal(3), unit_price=Decimal("0.333"), net_amount=Decimal("1.01"),
    )  # fmt: skip
    invoice = SalesInvoice(
        system="kashflow", key="880401", customer_key="ACME0019", issue_date=date(2026, 1, 1),
        lines=(line,), net_amount=Decimal("1.01"), gross_amount=Decimal("1.01"),
    )  # fmt: skip
    with pytest.raises(ValidationFailed) as refused:
        client.invoices.create_record(invoice)
    assert refused.value.field == "lines[0].net_amount"
    assert admin.requests_to("POST /v2/invoices") == 0
