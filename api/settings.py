"""The control API's settings, owned here and composed into the shell's `Settings`
(`LEDGERBRIDGE_API__*`): where it listens, its connection pool, and the webhook intake's
per-source secrets (never shown), timestamp tolerance and body size limit."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, SecretStr

WEBHOOK_SOURCES = ("ecommerce", "gateway")
"""The systems around KashFlow that post events: an eCommerce platform, a payment gateway."""


class ApiSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    pool_size: int = Field(default=10, ge=1, le=200)
    """The most database connections each of the API's two pools opens (requests wait for
    a free one): one pool for the routes, one for the hot reads on the event loop, so a
    process holds up to twice this many."""
    webhook_secrets: dict[str, SecretStr] = Field(default_factory=dict)
    """Per source (`ecommerce`, `gateway`): the shared HMAC-SHA256 secret
    (`LEDGERBRIDGE_API__WEBHOOK_SECRETS__ECOMMERCE`). A source without one is refused."""
    webhook_tolerance_seconds: int = Field(default=300, ge=1, le=86400)
    """How far an event's signed timestamp may be from now, either way."""
    webhook_max_bytes: int = Field(default=256 * 1024, ge=1024, le=16 * 1024 * 1024)
