"""Secrets out of anything shown: passwords in URLs of any scheme, in libpq and ODBC
key=value strings and in query strings are replaced by ***, and so is any known secret
value, wherever it appears in a message or a traceback.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

MASK = "***"

_URL_PASSWORD = re.compile(r"(?P<head>[A-Za-z][A-Za-z0-9+.\-]*://[^:/?#@\s\"']*:)[^\s\"']*@")
"""`scheme://user:PASSWORD@host`: the password runs to the last `@` of the address."""

_KEY_VALUE_PASSWORD = re.compile(
    r"(?P<head>\b(?:password|passwd|pwd|sslpassword)\s*=\s*)"
    r"(?:'(?:[^'\\]|\\.)*'|\{[^}]*\}|[^\s;&'\"]*)",
    re.IGNORECASE,
)
"""`password=...` in libpq strings and query strings, `PWD=...;` or `PWD={...}` in ODBC."""

MIN_SECRET_LENGTH = 4
"""Shorter known values are not scrubbed on their own: they would blank ordinary words."""


def redact_text(text: str, secrets: Iterable[str] = ()) -> str:
    """`text` with every password it spells out, and each of `secrets`, replaced by ***."""
    for secret in sorted({s for s in secrets if len(s) >= MIN_SECRET_LENGTH}, key=len)[::-1]:
        text = text.replace(secret, MASK)
    text = _URL_PASSWORD.sub(lambda m: f"{m['head']}{MASK}@", text)
    return _KEY_VALUE_PASSWORD.sub(lambda m: f"{m['head']}{MASK}", text)
