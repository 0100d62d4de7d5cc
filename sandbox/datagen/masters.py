"""Two noisy views of the same customers, suppliers or products, with the true links.

`generate_master_dataset(n_entities, seed, kind)` draws `n_entities` real-world entities and
renders each as KashFlow holds it (`left`) and as Sage 100 holds it (`right`), the way
re-keying leaves them: case and punctuation changes, Ltd/Limited/no suffix, typos,
abbreviations, missing or changed emails and phones, reformatted postcodes and VAT
numbers, item descriptions cut to Sage's 30 characters, different code schemes. About
5% of entities exist on one side only, and about 8% are hard negatives: a distinct
entity whose name is close to another's (a sister company, the same trade name in
another town, the next size of the same product). Frames follow the contract of
`matcher.masters.link_masters`; `truth` lists the `(left_id, right_id)` pairs.
"""

from __future__ import annotations

import random
import unicodedata
from dataclasses import dataclass
from typing import Literal

import polars as pl

from sandbox.datagen.names import STREETS, TOWNS, TRADES

MasterKind = Literal["customer", "supplier", "product"]

_SURNAMES = (
    "Harper",
    "Whitfield",
    "Ashworth",
    "Bennett",
    "Calloway",
    "Dunmore",
    "Ellison",
    "Fairbairn",
    "Gresham",
    "Holloway",
    "Ingram",
    "Jessop",
    "Kendrick",
    "Lindqvist",
    "Marsden",
    "Norcross",
    "Oakley",
    "Pemberton",
    "Quinlan",
    "Radcliffe",
    "Sutcliffe",
    "Thornton",
    "Underwood",
    "Villiers",
    "Wainwright",
    "Yardley",
    "Atherton",
    "Blackwood",
    "Cartwright",
    "Dalton",
    "Everett",
    "Fletcher",
    "Goodwin",
    "Hargreaves",
    "Irving",
    "Jennings",
    "Kirkland",
    "Lockwood",
    "Mellor",
    "Newbury",
    "Osborne",
    "Pickering",
    "Rowntree",
    "Salisbury",
    "Tennant",
    "Upton",
    "Vickers",
    "Walsh",
    "Young",
    "Abbott",
    "Barker",
    "Chapman",
    "Dixon",
    "Elliott",
    "Foster",
    "Gibson",
    "Hughes",
    "Jackson",
    "Knight",
    "Lawson",
    "Mason",
    "Nolan",
    "O'Brien",
    "Parker",
    "Reid",
    "Shaw",
    "Turner",
    "Vaughan",
    "Webb",
    "Müller",
    "Sørensen",
    "Núñez",
    "Łukasz",
    "Zoë",
    "Ångström",
    "D'Arcy",
    "McAllister",
    "MacLeod",
    "Fitzgerald",
    "Ramsbottom",
    "Patel",
    "Khan",
    "Singh",
    "Chowdhury",
    "Nguyen",
    "Kowalski",
    "Rossi",
    "Okafor",
    "Mensah",
    "Costa",
)
_PLACES = (
    "Pennine",
    "Cotswold",
    "Chiltern",
    "Mendip",
    "Solent",
    "Tamar",
    "Severn",
    "Humber",
    "Wessex",
    "Mercia",
    "Northumbria",
    "Cumbria",
    "Kentish",
    "Fenland",
    "Dales",
    "Moorland",
    "Thames",
    "Clyde",
    "Tyne",
    "Wear",
    "Avon",
    "Ouse",
    "Trent",
    "Mersey",
    "Calder",
    "Aire",
    "Wharfe",
    "Derwent",
    "Eden",
    "Lune",
    "Exe",
    "Dart",
    "Fal",
    "Test",
    "Itchen",
    "Medway",
)
_ADJECTIVES = (
    "Bright",
    "Golden",
    "Silver",
    "Royal",
    "Green",
    "Blue",
    "Red",
    "Swift",
    "Clear",
    "Prime",
    "True",
    "Bold",
    "Modern",
    "Classic",
    "Premier",
    "United",
    "Allied",
    "Precision",
    "Quality",
    "Smart",
    "Rapid",
    "Coastal",
    "Northern",
    "Southern",
    "Western",
    "Eastern",
    "Central",
    "Oak",
    "Cedar",
    "Willow",
    "Copper",
    "Iron",
    "Stone",
    "Crystal",
    "Phoenix",
    "Falcon",
)
_NOUNS = (
    "Leaf",
    "Star",
    "Bridge",
    "Gate",
    "Field",
    "Brook",
    "Hill",
    "Tower",
    "Crown",
    "Anchor",
    "Arrow",
    "Beacon",
    "Harbour",
    "Meadow",
    "Orchard",
    "Quarry",
    "River",
    "Summit",
    "Valley",
    "Forge",
    "Mill",
    "Wharf",
    "Key",
    "Lantern",
    "Compass",
    "Keystone",
    "Horizon",
    "Pinnacle",
)
_TRADES = (
    *TRADES,
    "Plumbing",
    "Roofing",
    "Accountants",
    "Solicitors",
    "Dental Care",
    "Veterinary Practice",
    "Hotels",
    "Fabrications",
    "Scaffolding",
    "Landscapes",
    "Removals",
    "Security",
    "Cleaning Services",
    "IT Services",
    "Marketing",
    "Media",
    "Recruitment",
    "Training",
    "Events",
    "Flooring",
    "Glazing",
    "Kitchens",
    "Bathrooms",
    "Windows",
    "Doors",
    "Timber",
    "Steel",
    "Plastics",
    "Packaging",
    "Chemicals",
    "Laboratories",
    "Brewery",
    "Distillery",
    "Dairy",
    "Farms",
    "Transport",
    "Haulage",
    "Couriers",
    "Travel",
    "Properties",
    "Estates",
    "Lettings",
    "Brothers",
    "International",
    "Holdings",
    "Group",
    "Services",
)
_SUFFIXES = ("Ltd", "Ltd", "Limited", "Ltd.", "LLP", "PLC", "& Co", "", "")
_TOWNS = (
    *((town, area) for town, area, _ in TOWNS),
    ("Sheffield", "S"),
    ("Nottingham", "NG"),
    ("Leicester", "LE"),
    ("Birmingham", "B"),
    ("Liverpool", "L"),
    ("Newcastle", "NE"),
    ("Brighton", "BN"),
    ("Southampton", "SO"),
    ("Plymouth", "PL"),
    ("Edinburgh", "EH"),
    ("Aberdeen", "AB"),
    ("Swansea", "SA"),
    ("Cambridge", "CB"),
    ("Reading", "RG"),
)
_STREETS = (
    *STREETS,
    "Victoria Road",
    "King Street",
    "North Road",
    "London Road",
    "Market Place",
    "Bridge Street",
    "Industrial Estate",
    "Business Park",
    "Commercial Road",
    "Albert Road",
    "Green Lane",
)
_REGIONS = ("North", "South", "Scotland", "Wales", "Midlands", "UK", "Holdings", "Group")
_FREE_DOMAINS = ("gmail.com", "hotmail.co.uk", "outlook.com", "btinternet.com", "yahoo.co.uk")
_MAILBOXES = ("accounts", "info", "finance", "billing", "admin", "office", "sales", "invoices")
_ABBREVIATIONS = {
    "Engineering": "Eng",
    "Services": "Svcs",
    "Brothers": "Bros",
    "International": "Intl",
    "Company": "Co",
    "Solicitors": "Sols",
    "Limited": "Ltd",
    "Centre": "Ctr",
    "Laboratories": "Labs",
    "Properties": "Props",
    "Street": "St",
    "Road": "Rd",
    "Lane": "Ln",
    "Industrial": "Ind",
    "Estate": "Est",
    "Natural": "Nat",
    "Stainless": "S/S",
    "Assorted": "Asst",
    "Pack": "Pk",
    "Medium": "Med",
    "Large": "Lge",
    "Small": "Sml",
    "Table": "Tbl",
    "Cabinet": "Cab",
}
_LETTERS = "abcdefghijklmnopqrstuvwxyz"
_FOLD = str.maketrans({"ø": "o", "Ø": "O", "ł": "l", "Ł": "L", "æ": "ae", "ß": "ss"})

# Products: families of items that differ by size, colour or pack.
_MATERIALS = (
    "Oak",
    "Pine",
    "Walnut",
    "Beech",
    "Steel",
    "Brass",
    "Copper",
    "Ceramic",
    "Linen",
    "Cotton",
    "Wool",
    "Glass",
    "Bamboo",
    "Rattan",
    "Marble",
    "Leather",
    "Velvet",
    "Stainless",
    "Zinc",
)
_THINGS = (
    "Dining Table",
    "Coffee Table",
    "Chair",
    "Stool",
    "Bench",
    "Shelf",
    "Cabinet",
    "Mirror",
    "Rug",
    "Vase",
    "Lamp",
    "Desk",
    "Bookcase",
    "Wardrobe",
    "Sideboard",
    "Headboard",
    "Cushion",
    "Throw",
    "Planter",
    "Tray",
    "Bowl",
    "Clock",
    "Frame",
    "Hook",
    "Hinge",
    "Handle",
    "Screws",
    "Bolts",
    "Brackets",
    "Curtain Pole",
)
_COLOURS = ("Natural", "Black", "White", "Grey", "Navy", "Sage", "Ochre", "Teal", "Cream")
_SIZES = ("40cm", "60cm", "80cm", "90cm", "120cm", "140cm", "160cm", "180cm", "200cm")
_PACKS = (
    "Pack of 2",
    "Pack of 4",
    "Pack of 10",
    "Pack of 50",
    "Pack of 100",
    "Small",
    "Medium",
    "Large",
)


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


@dataclass
class _Organisation:
    name: str
    email: str | None
    phone: str
    address: str
    city: str
    postcode: str
    tax_number: str | None


@dataclass
class _Item:
    code: str
    name: str


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


# Organisations ------------------------------------------------------------------------------


def _base_name(rng: random.Random) -> str:
    pattern = rng.random()
    if pattern < 0.35:
        return f"{rng.choice(_SURNAMES)} {rng.choice(_TRADES)}"
    if pattern < 0.5:
        return f"{rng.choice(_SURNAMES)} & {rng.choice(_SURNAMES)}"
    if pattern < 0.65:
        return f"{rng.choice(_PLACES)} {rng.choice(_TRADES)}"
    if pattern < 0.9:
        return f"{rng.choice(_ADJECTIVES)} {rng.choice(_NOUNS)} {rng.choice(_TRADES)}"
    return f"{rng.choice(_SURNAMES)} {rng.choice(_PLACES)} {rng.choice(_TRADES)}"


def _organisations(n: int, rng: random.Random, supplier: bool) -> list[_Organisation]:
    organisations: list[_Organisation] = []
    domains: set[str] = set()
    tax_numbers: set[str] = set()
    for _ in range(n):
        if organisations and rng.random() < 0.08:
            name = _sibling_name(rng.choice(organisations).name, rng)
        else:
            name = f"{_base_name(rng)} {rng.choice(_SUFFIXES)}".strip()
        town, area = rng.choice(_TOWNS)
        organisations.append(
            _Organisation(
                name=name,
                email=_email(name, town, rng, domains),
                phone=f"0{rng.randint(1130, 2099)} {rng.randint(100000, 999999)}",
                address=f"{rng.randint(1, 240)} {rng.choice(_STREETS)}",
                city=town,
                postcode=f"{area}{rng.randint(1, 28)} {rng.randint(1, 9)}"
                f"{rng.choice('ABDEFGHJLNPQRSTUWXYZ')}{rng.choice('ABDEFGHJLNPQRSTUWXYZ')}",
                tax_number=_tax_number(rng, tax_numbers)
                if rng.random() < (0.85 if supplier else 0.55)
                else None,
            )
        )
    return organisations


def _sibling_name(name: str, rng: random.Random) -> str:
    """A distinct organisation whose name is close to `name`."""
    roll = rng.random()
    words = name.split()
    if roll < 0.35:  # same trade name, different business (another town, sole trader)
        return name
    if roll < 0.6:  # sister company
        return (
            f"{' '.join(w for w in words if w not in ('Ltd', 'Limited', 'PLC'))} "
            f"({rng.choice(_REGIONS)}) Ltd"
        )
    if roll < 0.8:  # one letter apart, genuinely different owner
        return _typo(name, rng)
    return f"{rng.choice(_SURNAMES)} {' '.join(words[1:])}".strip()


def _email(name: str, town: str, rng: random.Random, domains: set[str]) -> str | None:
    if rng.random() < 0.04:
        return None
    if rng.random() < 0.12:
        handle = "".join(c for c in name.lower() if c.isascii() and c.isalpha())[:10]
        return f"{handle}{rng.randint(1, 999)}@{rng.choice(_FREE_DOMAINS)}"
    stem = "".join(c for c in name.lower() if c.isascii() and c.isalnum())[:22] or "company"
    domain = f"{stem}.co.uk"
    if domain in domains:
        domain = f"{stem}-{town.lower()}.co.uk"
    while domain in domains:
        domain = f"{stem}{rng.randint(2, 999)}.co.uk"
    domains.add(domain)
    return f"{rng.choice(_MAILBOXES)}@{domain}"


def _tax_number(rng: random.Random, taken: set[str]) -> str:
    while True:
        number = f"GB{rng.randint(100_000_000, 999_999_999)}"
        if number not in taken:
            taken.add(number)
            return number


def _organisation_view(
    org: _Organisation, rng: random.Random, heavy: bool
) -> dict[str, str | None]:
    """How one system holds `org`; `heavy` is the re-keyed side (Sage 100)."""
    level = 1.0 if heavy else 0.3
    if heavy and rng.random() < 0.1:  # keyed in a hurry: a name and a postcode
        return {
            "name": _noisy_name(org.name, rng, level),
            "email": None,
            "phone": None,
            "address": None,
            "city": org.city,
            "postcode": _noisy_postcode(org.postcode, rng, level),
            "country": "GB",
            "tax_number": None,
        }
    return {
        "name": _noisy_name(org.name, rng, level),
        "email": _noisy_email(org.email, rng, level),
        "phone": _noisy_phone(org.phone, rng, level),
        "address": _maybe(rng, 0.05 * level, _noisy_words(org.address, rng, level)),
        "city": _maybe(rng, 0.05 * level, org.city.upper() if rng.random() < 0.3 else org.city),
        "postcode": _noisy_postcode(org.postcode, rng, level),
        "country": "GB" if rng.random() < 0.8 else ("GBR" if heavy else "United Kingdom"),
        "tax_number": _noisy_tax(org.tax_number, rng, level),
    }


def _maybe(rng: random.Random, p_missing: float, value: str | None) -> str | None:
    return None if rng.random() < p_missing else value


def _noisy_name(name: str, rng: random.Random, level: float) -> str:
    words = name.split()
    if words and rng.random() < 0.35 * level:  # suffix written another way
        suffix = rng.choice(("Ltd", "Limited", "Ltd.", "LTD", ""))
        if words[-1].rstrip(".") in ("Ltd", "Limited", "LTD"):
            words[-1] = suffix
        elif rng.random() < 0.3:
            words.append(suffix)
    text = " ".join(w for w in words if w)
    if rng.random() < 0.15 * level:
        text = text.replace(" & ", " and ") if "&" in text else text.replace(" and ", " & ")
    if rng.random() < 0.15 * level:
        text = text.replace("'", "").replace(".", "")
    if rng.random() < 0.1 * level:
        text = " ".join(_ABBREVIATIONS.get(w, w) for w in text.split())
    if rng.random() < 0.3 * level:
        text = _ascii(text)
    roll = rng.random()
    if roll < 0.12 * level:
        text = _typo(text, rng)
    elif roll < 0.15 * level:
        text = _typo(_typo(text, rng), rng)
    case = rng.random()
    if case < 0.3 * level:
        text = text.upper()
    elif case < 0.35 * level:
        text = text.lower()
    if rng.random() < 0.03 * level:
        text = "  " + text.replace(" ", "  ", 1) + " "
    return text


def _noisy_words(text: str, rng: random.Random, level: float) -> str:
    if rng.random() < 0.3 * level:
        text = " ".join(_ABBREVIATIONS.get(w, w) for w in text.split())
    if rng.random() < 0.05 * level:
        text = _typo(text, rng)
    return text.upper() if rng.random() < 0.2 * level else text


def _noisy_email(email: str | None, rng: random.Random, level: float) -> str | None:
    if email is None or rng.random() < 0.15 * level:
        return None
    roll = rng.random()
    if roll < 0.15 * level and not email.endswith(_FREE_DOMAINS):
        email = f"{rng.choice(_MAILBOXES)}@{email.split('@')[1]}"
    elif roll < 0.18 * level:
        email = f"{rng.choice(_MAILBOXES)}{rng.randint(1, 99)}@{rng.choice(_FREE_DOMAINS)}"
    if rng.random() < 0.1 * level:
        email = email.upper() if rng.random() < 0.5 else email.capitalize()
    return email


def _noisy_phone(phone: str, rng: random.Random, level: float) -> str | None:
    if rng.random() < 0.1 * level:
        return None
    if rng.random() < 0.05 * level:  # a new number
        return f"07{rng.randint(100, 999)} {rng.randint(100000, 999999)}"
    digits = phone.replace(" ", "")
    roll = rng.random()
    if roll < 0.6 * level:
        styles = (
            f"+44 {digits[1:5]} {digits[5:]}",
            f"({digits[:5]}) {digits[5:8]} {digits[8:]}",
            digits,
            f"+44 (0){digits[1:5]} {digits[5:]}",
            f"{digits[:5]}-{digits[5:]}",
        )
        return rng.choice(styles)
    return phone


def _noisy_postcode(postcode: str, rng: random.Random, level: float) -> str | None:
    if rng.random() < 0.04 * level:
        return None
    if rng.random() < 0.03 * level:  # moved
        outward, inward = postcode.split()
        return f"{outward} {rng.randint(1, 9)}{inward[1:]}"
    roll = rng.random()
    if roll < 0.3 * level:
        return postcode.replace(" ", "")
    if roll < 0.5 * level:
        return postcode.lower()
    return postcode


def _noisy_tax(tax: str | None, rng: random.Random, level: float) -> str | None:
    if tax is None or rng.random() < 0.25 * level:
        return None
    roll = rng.random()
    if roll < 0.3 * level:
        return tax[2:]
    if roll < 0.5 * level:
        return f"{tax[:2]} {tax[2:5]} {tax[5:9]} {tax[9:]}"
    if roll < 0.52 * level:  # digits transposed when re-keyed
        return _swap_digits(tax, rng)
    return tax


def _swap_digits(tax: str, rng: random.Random) -> str:
    i = rng.randrange(3, len(tax) - 1)
    return tax[:i] + tax[i + 1] + tax[i] + tax[i + 2 :]


def _typo(text: str, rng: random.Random) -> str:
    """One keying slip: a swapped, dropped, doubled or wrong letter inside a word."""
    positions = [i for i in range(1, len(text) - 1) if text[i].isalpha() and text[i - 1].isalpha()]
    if not positions:
        return text
    i = rng.choice(positions)
    kind = rng.random()
    if kind < 0.3 and text[i + 1].isalpha():
        return text[:i] + text[i + 1] + text[i] + text[i + 2 :]
    if kind < 0.55:
        return text[:i] + text[i + 1 :]
    if kind < 0.75:
        return text[:i] + text[i] + text[i:]
    letter = rng.choice(_LETTERS)
    letter = letter.upper() if text[i].isupper() else letter
    return text[:i] + letter + text[i + 1 :]


def _ascii(text: str) -> str:
    """`text` as a system without accents stores it (Zoë -> Zoe, Sørensen -> Sorensen)."""
    folded = unicodedata.normalize("NFKD", text.translate(_FOLD))
    return "".join(c for c in folded if not unicodedata.combining(c))


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


# Products -----------------------------------------------------------------------------------


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
