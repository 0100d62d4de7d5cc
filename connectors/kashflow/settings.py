"""What the KashFlow connector can be told: where the API is, the login, pacing and
retries. The shell reads it once at the edge (`ledgerbridge.config`) and hands it to
`KashFlowClient.from_settings`; values that cannot work are refused when it is built.
"""

from __future__ import annotations

from typing import Self
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, SecretStr, model_validator

KASHFLOW_HOST = "api.kashflow.com"
"""The real KashFlow REST API's host."""

SANDBOX_BASE_URL = "http://127.0.0.1:8765/v2"
"""Where `ledgerbridge sandbox kashflow serve` listens by default."""

SANDBOX_LOGIN = {"username": "sandbox", "password": "sandbox", "memorable_word": "ledgerbridge"}
"""The KashFlow sandbox's default login, and so the defaults here."""


class KashFlowSettings(BaseModel):
    """The KashFlow login and how hard the client may press the API.

    The defaults talk to a local sandbox. Pointing `base_url` at the real KashFlow
    (api.kashflow.com) while any credential is still the sandbox's default is an error
    here, at start, rather than a failed login later.
    """

    model_config = ConfigDict(extra="forbid")

    base_url: str = SANDBOX_BASE_URL
    username: str = SANDBOX_LOGIN["username"]
    password: SecretStr = SecretStr(SANDBOX_LOGIN["password"])
    memorable_word: SecretStr = SecretStr(SANDBOX_LOGIN["memorable_word"])
    requests_per_second: float = Field(default=10.0, gt=0)
    timeout_seconds: float = Field(default=30.0, gt=0)
    max_retries: int = Field(default=6, ge=0)

    @model_validator(mode="after")
    def _no_sandbox_login_on_the_real_host(self) -> Self:
        if not points_at_kashflow(self.base_url):
            return self
        given = {
            "username": self.username,
            "password": self.password.get_secret_value(),
            "memorable_word": self.memorable_word.get_secret_value(),
        }
        defaults = [name for name, value in given.items() if value == SANDBOX_LOGIN[name]]
        if defaults:
            raise ValueError(
                f"base_url points at the real KashFlow ({KASHFLOW_HOST}) but "
                f"{', '.join(defaults)} {'is' if len(defaults) == 1 else 'are'} still the "
                "sandbox's default; set the real login"
            )
        return self


def points_at_kashflow(base_url: str) -> bool:
    """Whether `base_url` is the real KashFlow API (any host under kashflow.com)."""
    host = (urlsplit(base_url).hostname or "").lower().rstrip(".")
    return host == "kashflow.com" or host.endswith(".kashflow.com")
