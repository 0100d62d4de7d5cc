"""Products of the master generator: families of items that differ by size, colour or
pack, and how Sage 100 holds them (its own codes, descriptions cut to 30 characters)."""

from __future__ import annotations

import random
from dataclasses import dataclass

from sandbox.datagen.masters.rekeying import _typo
from sandbox.datagen.masters.words import (
    _ABBREVIATIONS,
    _COLOURS,
    _MATERIALS,
    _PACKS,
    _SIZES,
    _THINGS,
)


@dataclass
class _Item:
    code: str
    name: str


def _items(n: int, rng: random.Random) -> list[_Item]:
    items: list[_Item] = []
    seen: set[str] = set()
    while len(items) < n:
        material, thing = rng.choice(_MATERIALS), rng.choice(_THINGS)
        attribute = rng.choice((_SIZES, _COLOURS, _PACKS))
        variants = rng.sample(attribute, k=min(len(attribute), rng.choice((1, 1, 2, 3, 4))))
        extra = rng.choice(_COLOURS) if attribute is _SIZES and rng.random() < 0.3 else ""
        for variant in variants:
            name = " ".join(part for part in (material, thing, variant, extra) if part)
            if name in seen or len(items) >= n:
                continue
            seen.add(name)
            stem = f"{material[:3]}{''.join(w[0] for w in thing.split())}".upper()
            tail = "".join(c for c in variant.upper() if c.isalnum())[:4]
            items.append(_Item(code=f"{stem}-{tail}-{len(items):05d}", name=name))
    return items


def _item_left(item: _Item) -> dict[str, str | None]:
    return {"code": item.code, "name": item.name}


def _item_right(item: _Item, i: int, rng: random.Random) -> dict[str, str | None]:
    roll = rng.random()
    if roll < 0.55:
        code = item.code
    elif roll < 0.7:
        code = item.code.replace("-", "")
    elif roll < 0.8:
        code = item.code.lower()
    else:  # re-keyed under Sage's own numbering
        code = f"{100000 + i * 7 + rng.randint(0, 6)}"
    name = item.name
    if rng.random() < 0.3 or len(name) > 30:
        name = " ".join(_ABBREVIATIONS.get(w, w) for w in name.split())
    if rng.random() < 0.08:
        name = _typo(name, rng)
    if rng.random() < 0.4:
        name = name.upper()
    return {"code": code, "name": name[:30].rstrip()}  # CI_Item.ItemCodeDesc is varchar(30)
