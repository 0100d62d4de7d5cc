"""Normalisation of the fields both systems key differently: names, emails, phones,
postcodes, VAT and tax numbers.

One place for these rules, so every matcher that compares such fields compares them the
same way. Phone numbers are read by `phonenumbers` (Google's libphonenumber) and VAT and
tax numbers compacted by `python-stdnum`. The `normalise_*` functions are idempotent
(`f(f(x)) == f(x)`); all of them map missing input to "".
"""

from __future__ import annotations

import functools
import re
import unicodedata
from typing import Any

import phonenumbers
import polars as pl
from stdnum.eu import vat as eu_vat
from stdnum.exceptions import ValidationError
from stdnum.gb import vat as gb_vat

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
_PHONE_SEPARATORS = re.compile(r"[\s.\-]+")
_SLASHED = re.compile(r"\b([A-Za-z])/([A-Za-z])\b")  # S/S, A/C: one abbreviation


def fold_accents(text: str | None) -> str:
    """`text` with accents removed and special letters spelled in ASCII (Zoë -> Zoe)."""
    if not text:
        return ""
    if text.isascii():  # nothing to fold, and most names are: skip the per-letter pass
        return text
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


DEFAULT_PHONE_REGION = "US"
"""Where a phone number written without its country code is read first (ISO 3166
alpha-2). Sage 100 sites are mostly North American; a site elsewhere sets its own."""

HOME_PHONE_REGIONS: tuple[str, ...] = ("US", "GB")
"""Where such a number is read next when it cannot be one of the default region: the
homes of Sage 100 (North America) and KashFlow (the United Kingdom)."""


def normalise_phone(phone: str | None, region: str = DEFAULT_PHONE_REGION) -> str:
    """The national significant number: digits only, without country code, trunk prefix
    or extension; a number of any other country keeps its code, as "+CC...".

    A number with `+` or an international prefix (00, 011) is read as such; one without
    is read in `region`, or failing that in `HOME_PHONE_REGIONS`. "+44 (0)1632 960123",
    "01632 960123" and "0044 1632-960123" all give "1632960123"; "(555) 123-4567",
    "+1 555 123 4567" and "555.123.4567 x12" all give "5551234567"; "+33 1 23 45 67 89"
    gives "+33123456789". What no region can read keeps its digits, less leading zeros.
    """
    if not phone:
        return ""
    regions = tuple(dict.fromkeys((region.upper(), *HOME_PHONE_REGIONS)))
    text = _PHONE_SEPARATORS.sub("", phone)  # one cache entry for "01632 960123", "01632-960123"
    for _ in range(4):  # what this returns reads back as itself; the loop makes sure
        number = _national_number(text, regions)
        if number == text:
            break
        text = number
    return text


@functools.lru_cache(maxsize=1 << 16)
def _national_number(text: str, regions: tuple[str, ...]) -> str:
    """One reading of `text`; cached, as every number comes back to be read again."""
    home = {phonenumbers.country_code_for_region(region) for region in regions}
    readings = []
    for region in regions:
        try:
            parsed = phonenumbers.parse(text, region)
        except phonenumbers.NumberParseException:
            continue
        if parsed.country_code in home and _is_valid_in_main_region(parsed):
            return phonenumbers.national_significant_number(parsed)
        readings.append(parsed)
    # Then possible at home, valid abroad, possible abroad: so "0115 300 0000" is a
    # Nottingham number, not Cuba through the North American international prefix 011.
    for abroad, accept in (
        (False, _is_possible),
        (True, phonenumbers.is_valid_number),
        (True, _is_possible),
    ):
        for parsed in readings:
            if (parsed.country_code not in home) == abroad and accept(parsed):
                national = phonenumbers.national_significant_number(parsed)
                return f"+{parsed.country_code}{national}" if abroad else national
    return "".join(c for c in text if "0" <= c <= "9").lstrip("0")


def _is_valid_in_main_region(parsed: phonenumbers.PhoneNumber) -> bool:
    """Valid in the main region of its country code (the US for +1, not all of the
    plan's 25: checking one is cheap, and a +1 number that is not is still possible)."""
    region = phonenumbers.region_code_for_country_code(parsed.country_code or 0)
    return bool(phonenumbers.is_valid_number_for_region(parsed, region))


def _is_possible(parsed: phonenumbers.PhoneNumber) -> bool:
    """Of a possible length for a whole number (a seven-digit local number is not)."""
    reason = phonenumbers.is_possible_number_with_reason(parsed)
    return bool(reason == phonenumbers.ValidationResult.IS_POSSIBLE)


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


_TAX_LABELS = ("VATREGNO", "VATNO", "VAT", "FEIN", "EIN", "TIN")
"""Words written before a tax number that say which scheme, not which number."""


def normalise_tax_number(tax_number: str | None) -> str:
    """A VAT or tax number by its national part: separators, a scheme label (VAT, EIN,
    TIN) and the country prefix removed, by python-stdnum's rules for the scheme; ""
    when there are no digits at all ("N/A", "EXEMPT").

    "GB 123 4567 89", "gb123456789" and "123456789" all give "123456789"; Austria's
    "ATU 1234 5678" gives "U12345678", the Netherlands' "NL 1234.56.789.B01" gives
    "123456789B01"; a US EIN "12-3456789" or "EIN 12 3456789" gives "123456789".
    """
    code = _NON_ALNUM_UPPER.sub("", fold_accents(tax_number).upper())
    if not any(c.isdigit() for c in code):
        return ""  # "N/A", "EXEMPT": no number at all
    for _ in range(8):  # a prefix inside a prefix ("VAT GB ...") goes one per round
        shorter = _national_tax_part(code)
        if shorter == code:
            break
        code = shorter
    return code


def _national_tax_part(code: str) -> str:
    for label in _TAX_LABELS:
        rest = code.removeprefix(label)
        if rest != code and any(c.isdigit() for c in rest):
            return rest
    country = code[:2]
    if len(code) <= 2 or not country.isalpha():
        return code  # US EIN, SSN, ITIN: digits once separators are gone
    if country in ("GB", "XI"):
        return str(gb_vat.compact(code))
    try:
        return str(eu_vat.compact(code))[2:]
    except ValidationError:  # not an EU member state's prefix
        return code[2:] if code[2:].isdigit() else code


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


def normalised(series: pl.Series, function: str, **options: Any) -> pl.Series:
    """`series` passed through the normaliser named `function`, once per distinct value.

    Distinct values are normalised in Python and joined back, which keeps large frames with
    repeated names fast. `function` is one of the `normalise_*`/`email_domain`/
    `postcode_district`/`name_numbers` names of this module; `options` go to it as
    keywords (`region=` for phones).
    """
    normaliser = _NORMALISERS[function]
    distinct = series.cast(pl.Utf8).unique()
    mapping = pl.DataFrame(
        {
            "value": distinct,
            "normal": [normaliser(value, **options) for value in distinct.to_list()],
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
