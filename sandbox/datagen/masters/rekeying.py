"""How re-keying a record into another system changes it: case, typos, formats, gaps.

Each function takes the seeded `rng` and a `level` (1.0 for the re-keyed side, less for
the side typed once) and returns the field as the other system holds it.
"""

from __future__ import annotations

import random
import unicodedata

from sandbox.datagen.masters.words import _ABBREVIATIONS, _FOLD, _FREE_DOMAINS, _LETTERS, _MAILBOXES


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
