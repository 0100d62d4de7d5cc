"""KashFlow's two-step login and the session token it gives.

Step one posts user name and password and is asked for letters of the memorable word
by 1-based position; step two answers them and receives the session token sent as
`Authorization: KfToken <token>` on every call. No secret is ever in a repr or a log.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import SecretStr

from canonical.errors import AuthenticationFailed

SendJson = Callable[[str, str, dict[str, Any]], Any]
"""(method, path, body) -> parsed JSON; no session header, errors already typed."""


@dataclass(frozen=True)
class Credentials:
    username: str
    password: SecretStr = field(repr=False)
    memorable_word: SecretStr = field(repr=False)

    def __repr__(self) -> str:
        return f"Credentials(username={self.username!r}, password=***, memorable_word=***)"


class SessionToken:
    """The session token; it only ever leaves as the `Authorization` header value."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    @property
    def header(self) -> str:
        return f"KfToken {self._value}"

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "SessionToken(***)"

    __str__ = __repr__


def _get(body: Any, name: str) -> Any:
    if not isinstance(body, Mapping):
        return None
    lowered = name.lower()
    return next((v for k, v in body.items() if str(k).lower() == lowered), None)


def memorable_word_answers(asked: list[Any], memorable_word: SecretStr) -> list[dict[str, Any]]:
    """The letters asked for, by 1-based position, as `MemorableWordList` items."""
    word = memorable_word.get_secret_value()
    answers = []
    for item in asked:
        position = int(_get(item, "Position"))
        if not 1 <= position <= len(word):
            raise AuthenticationFailed(
                f"KashFlow asked for letter {position} of the memorable word, which is shorter",
                system="kashflow",
                entity="session",
            )
        answers.append({"Position": position, "Value": word[position - 1]})
    return answers


def login(send: SendJson, credentials: Credentials) -> SessionToken:
    """Runs both steps and returns the session token."""
    first = send(
        "POST",
        "/sessiontoken",
        {"UserName": credentials.username, "Password": credentials.password.get_secret_value()},
    )
    temporary = _get(first, "TemporaryToken")
    asked = _get(first, "MemorableWordList")
    if not temporary or not isinstance(asked, list):
        raise AuthenticationFailed(
            "KashFlow did not ask for the memorable word", system="kashflow", entity="session"
        )
    second = send(
        "PUT",
        "/sessiontoken",
        {
            "TemporaryToken": temporary,
            "MemorableWordList": memorable_word_answers(asked, credentials.memorable_word),
        },
    )
    token = _get(second, "SessionToken")
    if not token:
        raise AuthenticationFailed(
            "KashFlow gave no session token", system="kashflow", entity="session"
        )
    return SessionToken(str(token))
