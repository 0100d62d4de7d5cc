"""Organisations (customers and suppliers) of the master generator, and each system's view.

Some organisations are hard negatives: a distinct business whose name is close to
another's (the same trade name elsewhere, a sister company, one letter apart). About 5%
are sole traders behind a trading name: KashFlow holds "Owner t/a Trading Name", Sage
100 the trading name alone, the owner's name alone, or both with "T/A".
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from sandbox.datagen.masters.rekeying import (
    _maybe,
    _noisy_email,
    _noisy_name,
    _noisy_phone,
    _noisy_postcode,
    _noisy_tax,
    _noisy_words,
    _typo,
)
from sandbox.datagen.masters.words import (
    _ADJECTIVES,
    _FREE_DOMAINS,
    _GIVEN_NAMES,
    _MAILBOXES,
    _NOUNS,
    _PLACES,
    _REGIONS,
    _STREETS,
    _SUFFIXES,
    _SURNAMES,
    _TOWNS,
    _TRADES,
    _TRADING_AS,
)


@dataclass
class _Organisation:
    name: str
    email: str | None
    phone: str
    address: str
    city: str
    postcode: str
    tax_number: str | None
    owner: str | None = None
    """The sole trader behind a trading name, if any."""


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
        owner = (
            f"{rng.choice(_GIVEN_NAMES)} {rng.choice(_SURNAMES)}" if rng.random() < 0.05 else None
        )
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
                owner=owner,
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
    name = _trading_as(org, rng, heavy)
    if heavy and rng.random() < 0.1:  # keyed in a hurry: a name and a postcode
        return {
            "name": _noisy_name(name, rng, level),
            "email": None,
            "phone": None,
            "address": None,
            "city": org.city,
            "postcode": _noisy_postcode(org.postcode, rng, level),
            "country": "GB",
            "tax_number": None,
        }
    return {
        "name": _noisy_name(name, rng, level),
        "email": _noisy_email(org.email, rng, level),
        "phone": _noisy_phone(org.phone, rng, level),
        "address": _maybe(rng, 0.05 * level, _noisy_words(org.address, rng, level)),
        "city": _maybe(rng, 0.05 * level, org.city.upper() if rng.random() < 0.3 else org.city),
        "postcode": _noisy_postcode(org.postcode, rng, level),
        "country": "GB" if rng.random() < 0.8 else ("GBR" if heavy else "United Kingdom"),
        "tax_number": _noisy_tax(org.tax_number, rng, level),
    }


def _trading_as(org: _Organisation, rng: random.Random, heavy: bool) -> str:
    """The name as one system holds it: a sole trader's with or without its owner."""
    if org.owner is None:
        return org.name
    roll = rng.random()
    if heavy and roll < 0.5:
        return org.name
    if heavy and roll < 0.7:
        return org.owner
    return f"{org.owner} {rng.choice(_TRADING_AS)} {org.name}"
