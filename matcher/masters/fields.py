"""The normalised comparison fields of a master frame, one row per record.

`prepare` turns a frame in the `link_masters` contract into the strings blocking and
comparison work on: company-name forms, email and its business domain, phone, postcode
and its district, address, city, tax number, code and date of birth.
"""

from __future__ import annotations

import re

import numpy as np
import polars as pl

from matcher.masters.company_names import company_name
from matcher.normalise import DEFAULT_PHONE_REGION, FREE_EMAIL_DOMAINS, normalised

OPTIONAL_COLUMNS = (
    "email",
    "phone",
    "postcode",
    "address",
    "city",
    "country",
    "tax_number",
    "code",
    "birth_date",
)
"""Contract columns besides `id` and `name`; any may be absent or null."""

_NON_DIGIT = re.compile(r"\D+")


def prepare(frame: pl.DataFrame, phone_region: str = DEFAULT_PHONE_REGION) -> pl.DataFrame:
    """The normalised comparison fields of `frame`, indexed by `row` (its position);
    phones without a country code are read as from `phone_region` first."""
    text = {column: _text(frame, column) for column in ("name", *OPTIONAL_COLUMNS)}
    names = _name_forms(text["name"])
    prepared = pl.DataFrame(
        {
            "row": np.arange(frame.height, dtype=np.int64),
            "id": frame["id"].cast(pl.Utf8),
            "numbers": normalised(text["name"], "name_numbers"),
            "email": normalised(text["email"], "normalise_email"),
            "domain": normalised(text["email"], "email_domain"),
            "phone": normalised(text["phone"], "normalise_phone", region=phone_region),
            "postcode": normalised(text["postcode"], "normalise_postcode"),
            "district": normalised(text["postcode"], "postcode_district"),
            "address": normalised(text["address"], "normalise_address"),
            "city": normalised(text["city"], "clean_text"),
            "tax": normalised(text["tax_number"], "normalise_tax_number"),
            "code": normalised(text["code"], "normalise_code"),
            "birth_date": text["birth_date"].str.replace_all(_NON_DIGIT.pattern, "").fill_null(""),
        }
    ).hstack(names)
    return prepared.with_columns(
        pl.when(pl.col("domain").is_in(list(FREE_EMAIL_DOMAINS)))
        .then(pl.lit(""))
        .otherwise(pl.col("domain"))
        .alias("domain"),
        pl.col("phone").str.slice(-9).alias("phone"),
    )


def _name_forms(names: pl.Series) -> pl.DataFrame:
    """`name` (whole), `owner` and `trading` forms of each name, computed once per value."""
    distinct = names.unique()
    forms = [company_name(value) for value in distinct.to_list()]
    mapping = pl.DataFrame(
        {
            "value": distinct,
            "name": [form.full for form in forms],
            "owner": [form.owner for form in forms],
            "trading": [form.trading for form in forms],
        },
        schema={"value": pl.Utf8, "name": pl.Utf8, "owner": pl.Utf8, "trading": pl.Utf8},
    )
    joined = pl.DataFrame({"value": names}).join(
        mapping, on="value", how="left", nulls_equal=True, maintain_order="left"
    )
    return joined.select(pl.col("name", "owner", "trading").fill_null(""))


def _text(frame: pl.DataFrame, column: str) -> pl.Series:
    if column in frame.columns:
        return frame[column].cast(pl.Utf8).str.strip_chars().rename(column)
    return pl.Series(column, [None] * frame.height, dtype=pl.Utf8)
