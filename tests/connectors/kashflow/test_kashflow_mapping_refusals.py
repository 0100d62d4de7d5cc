"""KashFlow JSON nobody here wrote: a record whose field holds a value of the wrong kind
is refused as one `ValidationFailed` naming that field (the poller dead-letters it with
that line), never a raw Python error, and never a record that says something else."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from canonical import ValidationFailed
from connectors.kashflow import mapping

VOCABULARY = mapping.PaymentVocabulary(
    [{"Id": 1, "Name": "BACS"}], [{"Id": 7, "Code": "1200", "IsDefaultAccount": True}]
)


def invoice(**fields: Any) -> dict[str, Any]:
    return {
        "Number": 10044,
        "CustomerCode": "ACME01",
        "IssuedDate": "2026-03-02 12:00:00",
        "DueDate": "2026-04-01 12:00:00",
        "NetAmount": "100.00",
        "VATAmount": "20.00",
        "GrossAmount": "120.00",
        "LineItems": [
            {
                "Quantity": 1,
                "Rate": "100.00",
                "VATRate": 20,
                "VATAmount": "20.00",
                "NominalCode": 4000,
            }
        ],
        "PaymentLines": [{"Id": 501, "Amount": "50.00", "Date": "2026-03-09", "Method": 1}],
        **fields,
    }


def test_a_well_formed_invoice_and_its_payment_line_are_read() -> None:
    record = mapping.to_sales_invoice(invoice())
    assert record.net_amount == Decimal("100.00")
    [payment] = mapping.payments_of(invoice(), "receipt", VOCABULARY)
    assert (payment.key, payment.method) == ("R501", "BACS")
    assert payment.allocations[0].invoice_key == "10044"


@pytest.mark.parametrize(
    ("fields", "named"),
    [
        ({"NetAmount": ":"}, "NetAmount"),
        ({"NetAmount": []}, "NetAmount"),
        ({"NetAmount": False}, "NetAmount"),
        ({"IssuedDate": "/Date(99999999999999999)/"}, "IssuedDate"),
        ({"DueDate": "next week"}, "DueDate"),
        ({"LineItems": 1.0}, "LineItems"),
        ({"LineItems": [1.0]}, "LineItems"),
        ({"LineItems": [{"Quantity": "two"}]}, "Quantity"),
        ({"Number": None}, "Number"),
        ({"Number": " "}, "Number"),
    ],
)
def test_an_invoice_field_of_the_wrong_kind_is_refused_by_name(
    fields: dict[str, Any], named: str
) -> None:
    with pytest.raises(ValidationFailed) as refused:
        mapping.to_sales_invoice(invoice(**fields))
    assert refused.value.field is not None and refused.value.field.endswith(named)


def test_a_refusal_reads_as_one_line_naming_the_record_and_the_field() -> None:
    """The line the README shows: the poller names the system, entity and key it read
    (`cdc.kashflow`), the mapping the field and why."""
    with pytest.raises(ValidationFailed) as refused:
        mapping.to_sales_invoice(invoice(NetAmount=":"))
    error = refused.value
    error.system, error.entity, error.key = "kashflow", "sales_invoice", "10044"
    assert str(error) == (
        "kashflow/sales_invoice/10044 field NetAmount: ':' is not an amount (not a number: ':')"
    )


@pytest.mark.parametrize(
    ("line", "document", "named"),
    [
        ({"Amount": "50.00"}, {}, "Id"),
        ({"Id": "five"}, {}, "Id"),
        ({"Id": 502, "Method": "cheque"}, {}, "Method"),
        ({"Id": 502, "AccountId": []}, {}, "AccountId"),
        ({"Id": 502, "Amount": "fifty"}, {}, "Amount"),
        ({"Id": 502}, {"Number": None}, "Number"),
    ],
)
def test_a_payment_line_of_the_wrong_kind_is_refused_by_name(
    line: dict[str, Any], document: dict[str, Any], named: str
) -> None:
    with pytest.raises(ValidationFailed) as refused:
        mapping.payments_of(invoice(PaymentLines=[line], **document), "receipt", VOCABULARY)
    assert refused.value.field == named


def test_a_customer_whose_addresses_are_not_a_list_is_refused_by_name() -> None:
    with pytest.raises(ValidationFailed) as refused:
        mapping.to_customer({"Code": "ACME01", "Name": "Acme", "Addresses": True})
    assert refused.value.field == "Addresses"


_JSON = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(-(10**12), 10**12),
        st.floats(allow_nan=True, allow_infinity=True),
        st.text(max_size=12),
        st.sampled_from(["2026-01-31", "/Date(1700000000000)/", "/Date(99999999999999999)/"]),
    ),
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=8,
)
_FIELDS = ["Code", "Name", "Number", "Id", "CustomerCode", "SupplierCode", "IssuedDate",
           "DueDate", "NetAmount", "VATAmount", "GrossAmount", "LineItems", "PaymentLines",
           "Currency", "Addresses", "Amount", "Date", "Method", "AccountId", "Price",
           "Quantity", "Rate", "NominalCode", "CreditLimit"]  # fmt: skip
_READERS = [
    mapping.to_customer,
    mapping.to_supplier,
    mapping.to_gl_account,
    mapping.to_product,
    mapping.to_sales_invoice,
    mapping.to_purchase_invoice,
    lambda raw: mapping.payments_of(raw, "receipt", VOCABULARY),
]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from(_READERS),
    st.dictionaries(st.sampled_from(_FIELDS), _JSON, max_size=10),
    st.lists(st.dictionaries(st.sampled_from(_FIELDS), _JSON, max_size=5), max_size=2),
)
def test_any_json_is_read_or_refused_as_validation_failed(
    read: Any, raw: dict[str, Any], lines: list[dict[str, Any]]
) -> None:
    if lines:
        raw = {**raw, "PaymentLines": lines}
    try:
        read(raw)
    except ValidationFailed as refused:
        assert str(refused)


def test_a_payment_method_or_bank_account_that_cannot_be_referred_to_is_left_out_by_name(
    caplog: pytest.LogCaptureFixture,
) -> None:
    vocabulary = mapping.PaymentVocabulary(
        [{"Id": "cash", "Name": "Cash"}, {"Id": 2, "Name": None}, {"Id": "3", "Name": "BACS"}],
        [{"Code": "1210", "IsDefaultAccount": True}, {"Id": 7, "Code": 1200}],
    )
    assert vocabulary.method_names == {3: "BACS"}
    assert vocabulary.method_ids == {"bacs": 3}
    assert vocabulary.account_codes == {7: "1200"}
    # The default account has no Id: no payment is posted to an account it cannot name.
    assert vocabulary.default_account is None
    assert [r.getMessage() for r in caplog.records] == [
        "kashflow/payment_method field Id: 'cash' is not an id; left out of the payment vocabulary",
        "kashflow/payment_method field Name: Name is missing; left out of the payment vocabulary",
        "kashflow/bank_account field Id: Id is missing; left out of the payment vocabulary",
    ]
