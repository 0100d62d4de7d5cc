"""Candidate pairs: the few left x right pairs worth comparing, found by several passes.

A pair is a candidate when the two records share any blocking key, so a typo in one
field is survived by the others. Key passes: exact tax number, email, business email
domain, phone, postcode, code and date of birth; the whole name; each name word and
its phonetic keys (metaphone and NYSIIS, so "Thomson" meets "Thompson"); adjacent word
pairs, as written and as metaphone keys; a skeleton of word starts. Sorted-neighbourhood
passes then pair each record with the `window` nearest records of the other side in
name order, and in the order of the name with its words reversed, which catches a typo
in any one word.

The union is bounded: a key shared by more than `max_block_pairs` left x right pairs
is dropped as too common to say anything, and each sorted pass adds at most
`window` x (left + right) pairs, so the candidates number at most
Σ min(|L_k|·|R_k|, max_block_pairs) over kept keys + 2·window·(left + right).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from itertools import pairwise

import jellyfish
import numpy as np
import polars as pl

EXACT_KEY_FIELDS = ("tax", "email", "domain", "phone", "postcode", "code", "birth_date", "name")
NAME_FORMS = ("name", "owner", "trading")


def candidate_pairs(
    lhs: pl.DataFrame, rhs: pl.DataFrame, *, max_block_pairs: int, window: int
) -> pl.DataFrame:
    """Distinct `left_row, right_row` pairs found by any blocking pass."""
    # Keys are joined as 64-bit hashes, far cheaper than strings; a collision can only
    # add a candidate, which comparison then judges like any other.
    left_keys, right_keys = (
        blocking_keys(side).filter(pl.col("key").is_not_null()).select("row", pl.col("key").hash())
        for side in (lhs, rhs)
    )
    usable = (
        left_keys.group_by("key")
        .len("left_size")
        .join(right_keys.group_by("key").len("right_size"), on="key")
        .filter(pl.col("left_size") * pl.col("right_size") <= max_block_pairs)
        .select("key")
    )
    keyed = (
        left_keys.join(usable, on="key")
        .rename({"row": "left_row"})
        .join(right_keys.rename({"row": "right_row"}), on="key")
        .select("left_row", "right_row")
    )
    sorted_passes = [
        sorted_neighbourhood(lhs, rhs, order, window)
        for order in (pl.col("name"), _reversed_words(pl.col("name")))
    ]
    # One integer per pair makes the union's de-duplication and ordering one cheap sort.
    width = max(rhs.height, 1)
    pair = pl.col("left_row").cast(pl.Int64) * width + pl.col("right_row").cast(pl.Int64)
    codes = pl.concat([keyed, *sorted_passes], how="vertical_relaxed").select(pair.alias("pair"))
    unique = codes["pair"].unique().sort()
    return pl.DataFrame({"left_row": unique // width, "right_row": unique % width})


def blocking_keys(prepared: pl.DataFrame) -> pl.DataFrame:
    """`row, key` for every blocking key of every record (keys are namespaced by pass)."""
    exact = [
        prepared.filter(pl.col(name) != "").select(
            "row", (pl.lit(f"{name}:") + pl.col(name)).alias("key")
        )
        for name in EXACT_KEY_FIELDS
    ]
    forms = pl.concat(
        [prepared.select("row", pl.col(form).alias("form")) for form in NAME_FORMS]
    ).filter(pl.col("form") != "")
    tokens = forms.select("row", pl.col("form").str.split(" ").alias("tokens"))
    words = tokens.explode("tokens").filter(pl.col("tokens").str.len_chars() >= 2)
    # Phonetic keys are computed once per distinct word (and cached across calls), and
    # built flat, one (word, key) row each: polars builds list columns element by element.
    phonetic = _flat(
        "tokens", "sounds", {word: _sounds(word) for word in words["tokens"].unique().to_list()}
    )
    sounds = words.join(phonetic, on="tokens").select(
        "row", (pl.lit("sound:") + pl.col("sounds")).alias("key")
    )
    word_keys = words.filter(pl.col("tokens").str.len_chars() >= 3).select(
        "row", (pl.lit("word:") + pl.col("tokens")).alias("key")
    )
    word_pairs = (
        tokens.with_columns(pl.col("tokens").list.slice(1).alias("next"))
        .with_columns(pl.col("tokens").list.head(pl.col("next").list.len()))
        .explode("tokens", "next")
        .filter(pl.col("next").is_not_null())
        .select("row", (pl.lit("pair:") + pl.col("tokens") + " " + pl.col("next")).alias("key"))
    )
    skeleton = tokens.select(
        "row",
        (
            pl.lit("skeleton:")
            + pl.col("tokens").list.eval(pl.element().str.slice(0, 3)).list.join("")
        ).alias("key"),
    )
    sounded = _flat(
        "form",
        "sound_pairs",
        {form: _sound_pairs(form) for form in forms["form"].unique().to_list()},
    )
    sound_pairs = forms.join(sounded, on="form").select(
        "row", (pl.lit("sound pair:") + pl.col("sound_pairs")).alias("key")
    )
    return pl.concat([*exact, sounds, word_keys, word_pairs, sound_pairs, skeleton]).unique()


def _flat(key: str, value: str, values: dict[str, Sequence[str]]) -> pl.DataFrame:
    """One `key, value` row per value of each key (a key without values has no row)."""
    keys = [k for k, vs in values.items() for _ in vs]
    flat = [v for vs in values.values() for v in vs]
    return pl.DataFrame({key: keys, value: flat}, schema={key: pl.Utf8, value: pl.Utf8})


def _sound_pairs(form: str) -> list[str]:
    """Metaphone keys of each two adjacent words of a name ("beech boykcase" meets
    "beech bookcase" where each word alone is too common to block on)."""
    words = form.split()
    keys = [_metaphone(word) for word in words]
    return [f"{a} {b}" for a, b in pairwise(keys)]


@cache
def _metaphone(word: str) -> str:
    return word if word.isdigit() else jellyfish.metaphone(word)


@cache
def _sounds(word: str) -> tuple[str, ...]:
    """Phonetic keys of one name word (digits-only words have none)."""
    if word.isdigit():
        return ()
    return tuple({f"m{jellyfish.metaphone(word)}", f"n{jellyfish.nysiis(word)}"})


def _reversed_words(name: pl.Expr) -> pl.Expr:
    return name.str.split(" ").list.reverse().list.join(" ")


def sorted_neighbourhood(
    lhs: pl.DataFrame, rhs: pl.DataFrame, order: pl.Expr, window: int
) -> pl.DataFrame:
    """Pairs of a left and a right record at most `window` places apart when both sides
    are sorted together by `order` (records without a name take no part)."""
    both = pl.concat(
        [
            lhs.select("row", "id", order.alias("sort_key"), pl.lit(0, pl.Int8).alias("side")),
            rhs.select("row", "id", order.alias("sort_key"), pl.lit(1, pl.Int8).alias("side")),
        ]
    ).filter(pl.col("sort_key") != "")
    both = both.sort("sort_key", "id", "side")
    rows, sides = both["row"].to_numpy(), both["side"].to_numpy()
    left_parts, right_parts = [], []
    for offset in range(1, min(window, len(rows) - 1) + 1):
        first, second = slice(0, len(rows) - offset), slice(offset, len(rows))
        crossing = sides[first] != sides[second]
        a, b = rows[first][crossing], rows[second][crossing]
        a_is_left = sides[first][crossing] == 0
        left_parts.append(np.where(a_is_left, a, b))
        right_parts.append(np.where(a_is_left, b, a))
    if not left_parts:
        return pl.DataFrame(schema={"left_row": pl.Int64, "right_row": pl.Int64})
    return pl.DataFrame(
        {
            "left_row": np.concatenate(left_parts).astype(np.int64),
            "right_row": np.concatenate(right_parts).astype(np.int64),
        }
    )


def pairs_completeness(
    candidates: pl.DataFrame, lhs: pl.DataFrame, rhs: pl.DataFrame, truth: pl.DataFrame
) -> float:
    """The share of true `(left_id, right_id)` pairs among `candidates` (row pairs)."""
    expected = truth.select("left_id", "right_id").unique()
    if expected.is_empty():
        return 1.0
    left_ids = lhs.select(pl.col("row").alias("left_row"), pl.col("id").alias("left_id"))
    right_ids = rhs.select(pl.col("row").alias("right_row"), pl.col("id").alias("right_id"))
    found = candidates.join(left_ids, on="left_row").join(right_ids, on="right_row")
    hits = expected.join(found, on=["left_id", "right_id"], how="semi").height
    return hits / expected.height
