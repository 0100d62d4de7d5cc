"""Two noisy views of the same customers, suppliers or products, with the true links.

`generate_master_dataset(n_entities, seed, kind)` draws `n_entities` real-world entities and
renders each as KashFlow holds it (`left`) and as Sage 100 holds it (`right`), the way
re-keying leaves them: case and punctuation changes, legal forms written another way
(Ltd/Limited/none, Inc., LLC, Corp., GmbH), sole traders' "t/a" names, typos,
abbreviations, missing or changed emails and phones, reformatted postcodes and VAT
numbers, item descriptions cut to Sage's 30 characters, different code schemes. About
5% of entities exist on one side only, and about 8% are hard negatives: a distinct
entity whose name is close to another's (a sister company, the same trade name in
another town, the next size of the same product). Frames follow the contract of
`matcher.masters.link_masters`; `truth` lists the `(left_id, right_id)` pairs.
`sandbox.datagen.masters.febrl` gives the public FEBRL data sets in the same shape.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Literal

import polars as pl

from sandbox.datagen.masters.organisations import _organisation_view, _organisations
from sandbox.datagen.masters.products import _item_left, _item_right, _items
from sandbox.datagen.masters.rekeying import _ascii

MasterKind = Literal["customer", "supplier", "product"]


@dataclass(frozen=True)
class MasterDataset:
    """Both views of one set of entities and the true links between them."""

    kind: MasterKind
    left: pl.DataFrame
    """KashFlow view: `id, name, email, phone, address, city, postcode, country, tax_number`
    (customers/suppliers) or `id, code, name` (products)."""
    right: pl.DataFrame
    """Sage 100 view, same columns."""
    truth: pl.DataFrame
    """`left_id, right_id`: one row per entity held by both systems."""


def generate_master_dataset(
    n_entities: int, seed: int = 0, kind: MasterKind = "customer"
) -> MasterDataset:
    """`n_entities` entities of `kind` seen by both systems; deterministic for the arguments."""
    rng = random.Random(f"masters-{kind}-{seed}")
    if kind == "product":
        items = _items(n_entities, rng)
        left_rows = [_item_left(item) for item in items]
        right_rows = [_item_right(item, i, rng) for i, item in enumerate(items)]
    else:
        organisations = _organisations(n_entities, rng, supplier=kind == "supplier")
        left_rows = [_organisation_view(org, rng, heavy=False) for org in organisations]
        right_rows = [_organisation_view(org, rng, heavy=True) for org in organisations]
    left_ids = _left_ids(left_rows, kind)
    right_ids = _right_ids(right_rows, kind, rng)
    present = [rng.random() for _ in range(n_entities)]
    keep_left = [p >= 0.025 for p in present]  # 2.5% only in Sage
    keep_right = [not 0.025 <= p < 0.05 for p in present]  # 2.5% only in KashFlow
    left = _frame(left_rows, left_ids, keep_left, kind)
    right = _frame(right_rows, right_ids, keep_right, kind)
    order = list(range(n_entities))
    rng.shuffle(order)  # the systems list records in their own order
    right = right.with_columns(pl.Series("_order", _positions(order, keep_right))).sort("_order")
    truth = pl.DataFrame(
        {
            "left_id": [left_ids[i] for i in range(n_entities) if keep_left[i] and keep_right[i]],
            "right_id": [right_ids[i] for i in range(n_entities) if keep_left[i] and keep_right[i]],
        },
        schema={"left_id": pl.Utf8, "right_id": pl.Utf8},
    )
    return MasterDataset(kind=kind, left=left, right=right.drop("_order"), truth=truth)


def _positions(order: list[int], keep: list[bool]) -> list[int]:
    position = {entity: rank for rank, entity in enumerate(order)}
    return [position[i] for i in range(len(keep)) if keep[i]]


def _frame(
    rows: list[dict[str, str | None]], ids: list[str], keep: list[bool], kind: MasterKind
) -> pl.DataFrame:
    columns = (
        ("code", "name")
        if kind == "product"
        else ("name", "email", "phone", "address", "city", "postcode", "country", "tax_number")
    )
    data: dict[str, list[str | None]] = {"id": [ids[i] for i in range(len(rows)) if keep[i]]}
    for column in columns:
        data[column] = [rows[i].get(column) for i in range(len(rows)) if keep[i]]
    return pl.DataFrame(data, schema=dict.fromkeys(data, pl.Utf8))


def _left_ids(rows: list[dict[str, str | None]], kind: MasterKind) -> list[str]:
    if kind == "product":
        return [str(row["code"]) for row in rows]
    prefix = "C" if kind == "customer" else "S"
    ids = []
    for i, row in enumerate(rows):
        letters = "".join(c for c in _ascii(str(row["name"])).upper() if "A" <= c <= "Z")[:3]
        ids.append(f"{letters.ljust(3, 'X')}{prefix}{i:06d}")
    return ids


def _right_ids(
    rows: list[dict[str, str | None]], kind: MasterKind, rng: random.Random
) -> list[str]:
    if kind == "product":
        return [str(row["code"]) for row in rows]
    numbers = list(range(1, len(rows) + 1))
    rng.shuffle(numbers)
    prefix = "" if kind == "customer" else "V"
    return [f"{prefix}{n:07d}" for n in numbers]
