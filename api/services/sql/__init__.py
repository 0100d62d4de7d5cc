"""The service layer's queries, kept as .sql text and loaded by name."""

from functools import cache
from importlib.resources import files


@cache
def query(name: str) -> str:
    """The text of `api/services/sql/<name>.sql`."""
    return (files(__package__) / f"{name}.sql").read_text()
