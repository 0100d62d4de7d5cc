"""Normalisation of the fields both systems key differently: names, emails, phones, postcodes.

One place for these rules, so every matcher that compares such fields compares them the
same way. The `normalise_*` functions are idempotent (`f(f(x)) == f(x)`); all of them map
missing input to "".
"""

from __future__ import annotations

import re
import unicodedata

import polars as pl

LEGAL_SUFFIXES: frozenset[str] = frozenset(
    {
        "ltd",
        "limited",
        "plc",
        "llp",
        "lp",
        "inc",
        "incorporated",
        "llc",
        "corp",
        "corporation",
        "co",
        "company",
        "gmbh",
        "ag",
        "sa",
        "sarl",
        "bv",
        "nv",
        "pty",
        "cic",
    }
)
"""Trailing words that say what kind of legal entity a name is, not which one."""

FREE_EMAIL_DOMAINS: frozenset[str] = frozenset(
    {
        "gmail.com",
        "googlemail.com",
        "hotmail.com",
        "hotmail.co.uk",
        "outlook.com",
        "live.com",
        "live.co.uk",
        "yahoo.com",
        "yahoo.co.uk",
        "icloud.com",
        "aol.com",
        "btinternet.com",
        "sky.com",
        "virginmedia.com",
    }
)
"""Domains shared by unrelated people: agreement on them says nothing about identity."""

# Letters NFKD does not decompose into a base letter plus a combining mark.
_FOLD = str.maketrans(
    {
        "ø": "o",
        "Ø": "O",
        "ł": "l",
        "Ł": "L",
        "æ": "ae",
        "Æ": "AE",
        "œ": "oe",
        "Œ": "OE",
        "ß": "ss",
        "đ": "d",
        "Đ": "D",
        "þ": "th",
        "Þ": "TH",
        "ı": "i",
    }
)
_NON_ALNUM = re.compile(r"[^0-9a-z]+")
_NON_ALNUM_UPPER = re.compile(r"[^0-9A-Z]+")
_DIGITS = re.compile(r"\d+")
_SPACES = re.compile(r"\s+")
_UK_POSTCODE = re.compile(r"^([A-Z]{1,2}[0-9][A-Z0-9]?)([0-9][A-Z]{2})$")
_SLASHED = re.compile(r"\b([A-Za-z])/([A-Za-z])\b")  # S/S, A/C: one abbreviation


def fold_accents(text: str | None) -> str:
    """`text` with accents removed and special letters spelled in ASCII (Zoë -> Zoe)."""
    if not text:
        return ""
    decomposed = unicodedata.normalize("NFKD", text.translate(_FOLD))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def clean_text(text: str | None) -> str:
    """Casefolded ASCII words separated by single spaces; `&` becomes `and`."""
    folded = fold_accents(text).casefold().replace("&", " and ")
    return _NON_ALNUM.sub(" ", folded).strip()


NAME_ABBREVIATIONS: dict[str, str] = {
    "eng": "engineering",
    "engg": "engineering",
    "svcs": "services",
    "svc": "service",
    "servs": "services",
    "bros": "brothers",
    "intl": "international",
    "sols": "solicitors",
    "ctr": "centre",
    "cntr": "centre",
    "labs": "laboratories",
    "lab": "laboratory",
    "props": "properties",
    "hldgs": "holdings",
    "grp": "group",
    "mgmt": "management",
    "assoc": "associates",
    "assocs": "associates",
    "tech": "technology",
    "dept": "department",
    "mfg": "manufacturing",
    "dist": "distribution",
    "tbl": "table",
    "tbls": "tables",
    "sml": "small",
    "sm": "small",
    "med": "medium",
    "lge": "large",
    "lrg": "large",
    "xl": "extra large",
    "pk": "pack",
    "pkt": "packet",
    "nat": "natural",
    "blk": "black",
    "wht": "white",
    "gry": "grey",
    "nvy": "navy",
    "cab": "cabinet",
    "asst": "assorted",
    "ss": "stainless",
    "st": "street",
    "rd": "road",
}
"""Abbreviations re-keying leaves in names, spelled out before comparison."""


def normalise_name(name: str | None) -> str:
    """The identifying part of an organisation or item name.

    Case, accents, punctuation and spacing are dropped, `&` is `and`, common abbreviations
    are spelled out (Eng, Bros, Tbl, Pk, S/S ...) and trailing legal suffixes (Ltd,
    Limited, PLC, Inc, "& Co" ...) are removed while a word remains: "Müller Trading
    Ltd." and "MULLER TRADING LIMITED" both give "muller trading".
    """
    text = _SLASHED.sub(lambda m: m.group(1) + m.group(2), fold_accents(name))
    words = [NAME_ABBREVIATIONS.get(word, word) for word in clean_text(text).split()]
    words = " ".join(words).split()
    while len(words) > 1 and words[-1] in LEGAL_SUFFIXES:
        words.pop()
        if len(words) > 1 and words[-1] == "and":
            words.pop()
    if len(words) > 1 and words[0] == "the":
        words.pop(0)
    return " ".join(words)


def name_numbers(name: str | None) -> str:
    """The numbers in a name, in order ("Oak Table 180cm x 90" -> "180 90")."""
    return " ".join(_DIGITS.findall(fold_accents(name)))


def normalise_email(email: str | None) -> str:
    """Lower-case address without surrounding spaces or a `mailto:` prefix."""
    if not email:
        return ""
    text = _SPACES.sub("", email).casefold()
    while text.startswith("mailto:"):
        text = text.removeprefix("mailto:")
    return text


def email_domain(email: str | None) -> str:
    """The domain of an address ("" if none)."""
    text = normalise_email(email)
    return text.rpartition("@")[2] if "@" in text else ""


def normalise_phone(phone: str | None) -> str:
    """The national significant number: digits only, without +44/0044/0 trunk prefix.

    "+44 (0)1632 960123", "01632 960123" and "0044 1632-960123" all give "1632960123".
    """
    if not phone:
        return ""
    digits = "".join(c for c in phone if "0" <= c <= "9")
    while True:
        before = digits
        digits = digits.lstrip("0")
        if digits.startswith("44") and len(digits) > 10:
            digits = digits[2:]
        if digits == before:
            return digits


def normalise_postcode(postcode: str | None) -> str:
    """Upper-case letters and digits only ("ls1 4ab" -> "LS14AB")."""
    if not postcode:
        return ""
    return _NON_ALNUM_UPPER.sub("", fold_accents(postcode).upper())


def postcode_district(postcode: str | None) -> str:
    """The outward code of a UK postcode ("LS14AB" -> "LS1"); other formats unchanged."""
    code = normalise_postcode(postcode)
    match = _UK_POSTCODE.match(code)
    return match.group(1) if match else code


def normalise_tax_number(tax_number: str | None) -> str:
    """VAT/tax number without spaces, punctuation or a two-letter country prefix."""
    if not tax_number:
        return ""
    code = _NON_ALNUM_UPPER.sub("", fold_accents(tax_number).upper())
    if len(code) > 2 and code[:2].isalpha() and code[2:].isdigit():
        code = code[2:]
    return code


def normalise_code(code: str | None) -> str:
    """An account or item code compared loosely: upper case, letters and digits only."""
    if not code:
        return ""
    return _NON_ALNUM_UPPER.sub("", fold_accents(code).upper())


def normalise_reference(reference: str | None) -> str:
    """A payment or invoice reference compared loosely ("Inv-0012 " -> "INV0012")."""
    return normalise_code(reference)


def normalise_address(address: str | None) -> str:
    """Address words with common abbreviations expanded ("12 High St." -> "12 high street")."""
    words = clean_text(address).split()
    return " ".join(_ADDRESS_WORDS.get(word, word) for word in words)


_ADDRESS_WORDS = {
    "st": "street",
    "rd": "road",
    "ln": "lane",
    "ave": "avenue",
    "av": "avenue",
    "dr": "drive",
    "ct": "court",
    "pl": "place",
    "sq": "square",
    "bldg": "building",
    "ind": "industrial",
    "est": "estate",
}


def normalised(series: pl.Series, function: str) -> pl.Series:
    """`series` passed through the normaliser named `function`, once per distinct value.

    Distinct values are normalised in Python and joined back, which keeps large frames with
    repeated names fast. `function` is one of the `normalise_*`/`email_domain`/
    `postcode_district`/`name_numbers` names of this module.
    """
    normaliser = _NORMALISERS[function]
    distinct = series.cast(pl.Utf8).unique()
    mapping = pl.DataFrame(
        {
            "value": distinct,
            "normal": [normaliser(value) for value in distinct.to_list()],
        },
        schema={"value": pl.Utf8, "normal": pl.Utf8},
    )
    frame = pl.DataFrame({"value": series.cast(pl.Utf8)})
    joined = frame.join(mapping, on="value", how="left", nulls_equal=True, maintain_order="left")
    return joined["normal"].fill_null("").rename(series.name)


_NORMALISERS = {
    "normalise_name": normalise_name,
    "normalise_email": normalise_email,
    "email_domain": email_domain,
    "normalise_phone": normalise_phone,
    "normalise_postcode": normalise_postcode,
    "postcode_district": postcode_district,
    "normalise_tax_number": normalise_tax_number,
    "normalise_code": normalise_code,
    "normalise_reference": normalise_reference,
    "normalise_address": normalise_address,
    "name_numbers": name_numbers,
    "clean_text": clean_text,
}
