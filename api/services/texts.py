"""The rules for the texts the API takes, in a filter, a path, a request's body or a
cursor's sort key: how long each may be and what it may not hold. A text past its rule is
refused before any query sees it (422 naming the field; a review page names it)."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, Field, Strict
from pydantic_core import PydanticCustomError

NAME_MAX = 40
"""The longest name (a system, entity, stage, kind) a filter or a path takes."""


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
BodyText = Annotated[str, NoNul]
"""A text of a request's body that has no length limit of its own (a record's key, an
account, a stream's name)."""
Name = Annotated[str, Field(max_length=NAME_MAX), NoNul] | None
"""A listing's filter on a name (a system, entity, stage, kind): None for any."""
RuleName = Annotated[str, Field(max_length=100), NoNul] | None
"""A listing's filter on a matcher rule that fired: None for any."""
KeyText = Annotated[str, Strict(), NoNul]
"""A text (a system, an entity, a record's key) in a cursor's sort key."""
