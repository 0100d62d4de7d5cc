"""Company names as comparable forms: legal-form words dropped, "trading as" names split.

"Harper Joinery Ltd.", "HARPER JOINERY LIMITED" and "Harper Joinery L.L.C." all compare
as "harper joinery"; "J. Smith t/a Smith Plumbing" yields the whole name, the owner
("j smith") and the trading name ("smith plumbing"), so either can meet the other system's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from matcher.normalise import LEGAL_SUFFIXES, normalise_name

LEGAL_FORMS: frozenset[str] = LEGAL_SUFFIXES | frozenset(
    {"kg", "oy", "oyj", "ab", "aps", "as", "asa", "spa", "srl", "sas", "sl", "pvt", "pte",
     "pllc", "plc", "pc", "lc", "ltda", "kft", "sro", "ug", "bhd", "sdn", "llc", "gbr"}
)  # fmt: skip
"""Words naming the kind of legal entity, not which one (dropped at the end of a name)."""

ANYWHERE_LEGAL_FORMS: frozenset[str] = frozenset(
    {"ltd", "limited", "plc", "llp", "llc", "inc", "incorporated", "gmbh", "pllc"}
)
"""Legal forms never part of what distinguishes a name: dropped wherever they stand
("Harper Ltd (North)" is "harper north")."""

_TRADING_AS = re.compile(
    r"\s+(?:t\s*/\s*as?|t\.\s*a\.|trading\s+as|d\s*/\s*b\s*/\s*a|d\.b\.a\.?|dba"
    r"|doing\s+business\s+as)(?=\s)\s*",
    re.IGNORECASE,
)
_DOTTED_ACRONYM = re.compile(r"\b(?:[A-Za-z]\.\s?){2,}")
_WORD = re.compile(r"[^\W_]+")


@dataclass(frozen=True)
class CompanyName:
    """The comparable forms of one name; `owner` and `trading` are "" without a t/a."""

    full: str
    owner: str = ""
    trading: str = ""

    def forms(self) -> tuple[str, ...]:
        """Every non-empty form, the whole name first."""
        return tuple(form for form in (self.full, self.owner, self.trading) if form)


def company_name(raw: str | None) -> CompanyName:
    """The comparable forms of `raw` (see the module docstring)."""
    if not raw:
        return CompanyName("")
    text = _DOTTED_ACRONYM.sub(lambda m: m.group(0).replace(".", "").replace(" ", "") + " ", raw)
    parts = _TRADING_AS.split(f" {text.strip()} ", maxsplit=1)
    if len(parts) == 2:
        owner, trading = (_comparable(part) for part in parts)
        if owner and trading:
            return CompanyName(f"{owner} {trading}", owner, trading)
    return CompanyName(_comparable(text))


def _comparable(text: str) -> str:
    words = normalise_name(text).split()
    kept = [w for w in words if w not in ANYWHERE_LEGAL_FORMS] or words[:1]
    while len(kept) > 1 and kept[-1] in LEGAL_FORMS:
        kept.pop()
        if len(kept) > 1 and kept[-1] == "and":
            kept.pop()
    return " ".join(kept)
