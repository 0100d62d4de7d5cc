"""The rules for the texts the API takes, in a filter, a path, a request's body or a
cursor's sort key: how long each may be, by what it holds, and what it may not hold. A text
past its rule is refused before any query sees it or any row keeps it (422 naming the
field; a review page names it)."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, Field, Strict
from pydantic_core import PydanticCustomError

import canonical

NAME_MAX = 40
"""The longest name (a system, entity, stage, kind) the API takes: the ledger's are at most
16 characters."""
STREAM_MAX = 2 * NAME_MAX + 1
"""The longest CDC stream's name the API takes: `system:entity`."""
KEY_MAX = canonical.KEY_MAX
"""The longest key of a record the API takes: a canonical record's."""


def _without_nul(text: str) -> str:
    if "\x00" in text:
        raise PydanticCustomError("string_nul", "String should not contain a NUL character")
    return text


NoNul = AfterValidator(_without_nul)
"""Refuses text holding a NUL character, which PostgreSQL's text and json cannot hold (the
query would fail): every text a filter, a path or a request's body hands to a query ends
with it, after its length limits (`Annotated[str, Field(max_length=...), NoNul]`), so the
API refuses a NUL as it does a text too long (422 naming the field) and a review page names
it and leaves it out."""
NameText = Annotated[str, Field(max_length=NAME_MAX), NoNul]
"""A name (a system, an entity) in a request's body."""
RecordKey = Annotated[str, Field(max_length=KEY_MAX), NoNul]
"""A record's key in a request's body (a GL account is a Sage 100 record's key too): no
longer than a canonical record's."""
StreamName = Annotated[str, Field(max_length=STREAM_MAX), NoNul]
"""A CDC stream's name, `system:entity`, in a request's body."""
Name = NameText | None
"""A listing's filter on a name (a system, entity, stage, kind): None for any."""
RuleName = Annotated[str, Field(max_length=100), NoNul] | None
"""A listing's filter on a matcher rule that fired: None for any."""
KeyText = Annotated[str, Strict(), NoNul]
"""A text (a system, an entity, a record's key) in a cursor's sort key."""
