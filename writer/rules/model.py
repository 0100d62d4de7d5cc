"""The shape of the writer's rules: pydantic models that refuse an unknown key, a wrong
type or a lookup that cannot work, so a rules file is checked whole when it loads.

See `writer/rules/defaults.toml` for what each table means.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

System = Literal["kashflow", "sage100"]
Direction = Literal["both", "to_sage100", "to_kashflow"]
Aggregation = Literal["each", "daily_journal"]
PhoneFormat = Literal["international", "national", "e164", "as_is"]

_ACCOUNT = re.compile(r"\d{4}-\d{2}-\d{2}")


def _sage_account(value: str) -> str:
    if not _ACCOUNT.fullmatch(value):
        raise ValueError(f"{value!r} is not a Sage 100 G/L account (formatted 9999-99-99)")
    return value


def _nominal(value: str) -> str:
    if not value.isdigit():
        raise ValueError(f"{value!r} is not a KashFlow nominal code (digits only)")
    return value


def _country(value: str) -> str:
    if len(value) != 2 or not value.isalpha():
        raise ValueError(f"{value!r} is not an ISO 3166 alpha-2 country code")
    return value.upper()


SageAccount = Annotated[str, AfterValidator(_sage_account)]
NominalCode = Annotated[str, AfterValidator(_nominal)]
CountryCode = Annotated[str, AfterValidator(_country)]
Code = Annotated[str, StringConstraints(min_length=1, max_length=2, strip_whitespace=True)]
"""A Sage 100 code of up to two characters (terms code, division)."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


SupplierField = Literal[
    "name",
    "email",
    "phone",
    "address_lines",
    "city",
    "region",
    "postcode",
    "country",
    "tax_number",
    "payment_terms_days",
    "active",
]
CustomerField = Literal[SupplierField, "credit_limit"]
ProductField = Literal[
    "name", "description", "unit_price", "unit_cost", "tax_rate", "track_stock", "active"
]


class MasterRules(_Strict):
    """One master entity, both ways: which fields flow which way, and who wins a conflict."""

    system_of_record: System
    system_of_record_by_field: dict[str, System] = {}
    fields: dict[str, Direction]

    def owner(self, field: str) -> System:
        """The system whose value wins when `field` changed on both sides."""
        return self.system_of_record_by_field.get(field, self.system_of_record)

    def flowing(self, target: System) -> tuple[str, ...]:
        """The fields written to `target`, in the order the rules list them."""
        return tuple(
            name
            for name, direction in self.fields.items()
            if direction == "both" or direction == f"to_{target}"
        )


class CustomerRules(MasterRules):
    system_of_record_by_field: dict[CustomerField, System] = {}  # type: ignore[assignment]
    fields: dict[CustomerField, Direction]  # type: ignore[assignment]


class SupplierRules(MasterRules):
    system_of_record_by_field: dict[SupplierField, System] = {}  # type: ignore[assignment]
    fields: dict[SupplierField, Direction]  # type: ignore[assignment]


class ProductRules(MasterRules):
    system_of_record_by_field: dict[ProductField, System] = {}  # type: ignore[assignment]
    fields: dict[ProductField, Direction]  # type: ignore[assignment]


class MastersRules(_Strict):
    customer: CustomerRules
    supplier: SupplierRules
    product: ProductRules

    def of(self, entity: str) -> MasterRules:
        rules: MasterRules = getattr(self, entity)
        return rules


class PaymentMethodRule(_Strict):
    bank_code: Annotated[str, StringConstraints(min_length=1, max_length=1)]
    """AR_CashReceipts BankCode: one character."""
    cash_account: SageAccount


class Lookups(_Strict):
    payment_methods: dict[str, PaymentMethodRule]
    nominals: dict[NominalCode, SageAccount]
    tax_classes: dict[
        Annotated[Decimal, Field(ge=0, le=100)],
        Annotated[str, StringConstraints(min_length=1, max_length=3)],
    ]
    terms_codes: dict[Annotated[int, Field(ge=0, le=3650)], Code]

    def tax_class(self, rate: Decimal) -> str | None:
        return self.tax_classes.get(rate.normalize()) or next(
            (code for known, code in self.tax_classes.items() if known == rate), None
        )

    def terms_code(self, days: int) -> str | None:
        return self.terms_codes.get(days)


class NormaliseRules(_Strict):
    phone_format: PhoneFormat = "international"
    phone_region: CountryCode = "GB"
    countries: dict[str, CountryCode] = {}
    too_long: Literal["truncate", "reject"] = "truncate"
    due_date_from_terms: bool = True

    def country(self, value: str | None) -> str | None:
        if not value:
            return value
        folded = {name.casefold(): code for name, code in self.countries.items()}
        return folded.get(value.strip().casefold(), value.strip().upper())


class EnrichmentRules(_Strict):
    default_salesperson: Annotated[str, StringConstraints(max_length=4)] | None = None
    salesperson_division: Code = "01"
    division_from_customer: bool = True
    default_division: Code = "01"
    stock_warehouse: Annotated[str, StringConstraints(min_length=1, max_length=3)] = "000"


class RoutingRules(_Strict):
    approval_threshold: Annotated[Decimal, Field(gt=0)] | None = None
    exempt_flows: list[str] = []


class JournalAccounts(_Strict):
    receivables_account: SageAccount
    payables_account: SageAccount
    vat_account: SageAccount


class AggregationRules(_Strict):
    sales_invoices: Aggregation = "each"
    purchases: Aggregation = "each"
    journal: JournalAccounts


class Rules(_Strict):
    """Everything the planners are told: field mappings and systems of record, lookups,
    normalisation, enrichment, routing and aggregation."""

    masters: MastersRules
    lookups: Lookups
    normalise: NormaliseRules = NormaliseRules()
    enrichment: EnrichmentRules = EnrichmentRules()
    routing: RoutingRules = RoutingRules()
    aggregation: AggregationRules

    def sage100_accounts(self) -> dict[str, str]:
        """Every Sage 100 G/L account the rules name, by the key that names it."""
        journal = self.aggregation.journal
        return {
            **{
                f"lookups.nominals.{code}": account
                for code, account in self.lookups.nominals.items()
            },
            **{
                f"lookups.payment_methods.{method}.cash_account": rule.cash_account
                for method, rule in self.lookups.payment_methods.items()
            },
            "aggregation.journal.receivables_account": journal.receivables_account,
            "aggregation.journal.payables_account": journal.payables_account,
            "aggregation.journal.vat_account": journal.vat_account,
        }
