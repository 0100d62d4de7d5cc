"""The service layer's queries, kept as .sql text and loaded by name. A line
`-- include <name>` stands for the text of `<name>.sql` (a part two queries share)."""

import re
from functools import cache
from importlib.resources import files

INCLUDE = re.compile(r"^[ \t]*-- include (\w+)[ \t]*$", re.MULTILINE)


@cache
def query(name: str) -> str:
    """The text of `api/services/sql/<name>.sql`, its includes filled in."""
    text = (files(__package__) / f"{name}.sql").read_text()
    return INCLUDE.sub(lambda line: query(line.group(1)).rstrip("\n"), text)
