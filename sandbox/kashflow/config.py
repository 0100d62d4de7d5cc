"""What the KashFlow sandbox can be told: credentials, session window, rate limit, page
size cap and standing faults. Read from `LEDGERBRIDGE_KASHFLOW_SANDBOX_*` (nested with
`__`) or given by the CLI, tests and benchmarks.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

MAX_FAULTS = 10_000
"""How many faults one plan may queue (statuses, drops, slow answers...)."""
MAX_RATE = 100_000.0
"""The highest rate limit, requests a second; 0 or none means no limit."""
MIN_RATE = 0.01
"""The lowest rate limit, so a `Retry-After` stays within a few minutes."""
MAX_TIMEOUT = 31_536_000.0
"""The longest session window (a year)."""


class FaultPlan(BaseModel):
    """Faults to inject into the next requests under `path_prefix`, consumed one by one.

    `statuses` answers the next requests with those codes (429 carries `retry_after`);
    `slow_count` requests wait `slow_seconds` first; `drop_count` requests lose the
    connection after the status line; `truncate_count` requests lose it halfway through
    the body; `drop_after_commit_count` requests are carried out and then lose the
    connection (the uncertain outcome idempotent creates must survive).
    `random_5xx_rate` answers that fraction of all requests 503 (for demos).
    """

    model_config = ConfigDict(extra="forbid")

    statuses: list[Annotated[int, Field(ge=400, le=599)]] = Field(
        default_factory=list, max_length=MAX_FAULTS
    )
    retry_after: str = Field(default="1", max_length=64, pattern=r"^[\x20-\x7e]*$")
    slow_seconds: float = Field(default=0.0, ge=0.0, le=60.0, allow_inf_nan=False)
    slow_count: int = Field(default=0, ge=0, le=MAX_FAULTS)
    drop_count: int = Field(default=0, ge=0, le=MAX_FAULTS)
    truncate_count: int = Field(default=0, ge=0, le=MAX_FAULTS)
    drop_after_commit_count: int = Field(default=0, ge=0, le=MAX_FAULTS)
    random_5xx_rate: float = Field(default=0.0, ge=0.0, le=1.0, allow_inf_nan=False)
    path_prefix: str = Field(default="/v2", max_length=200)
    methods: list[Annotated[str, Field(max_length=10)]] | None = Field(default=None, max_length=10)


class LimitsUpdate(BaseModel):
    """A `PUT /_sandbox/limits` body: the limits it names change, the others stay.

    A rate of 0 or null turns the rate limit off."""

    model_config = ConfigDict(extra="forbid")

    rate_limit_per_second: float | None = Field(
        default=None, ge=0.0, le=MAX_RATE, allow_inf_nan=False
    )
    rate_limit_burst: int | None = Field(default=None, ge=1, le=1_000_000)
    session_timeout_seconds: float = Field(
        default=3600.0, gt=0.0, le=MAX_TIMEOUT, allow_inf_nan=False
    )
    retry_after_format: Literal["seconds", "http-date"] = "seconds"

    @field_validator("rate_limit_per_second")
    @classmethod
    def _rate_off_or_usable(cls, rate: float | None) -> float | None:
        if rate is not None and 0 < rate < MIN_RATE:
            raise ValueError(f"must be 0 (no limit) or at least {MIN_RATE}")
        return rate


class SandboxConfig(BaseSettings):
    """The sandbox's settings; the defaults match Ledgerbridge's default KashFlow login."""

    model_config = SettingsConfigDict(
        env_prefix="LEDGERBRIDGE_KASHFLOW_SANDBOX_", env_nested_delimiter="__", extra="ignore"
    )

    username: str = "sandbox"
    password: SecretStr = SecretStr("sandbox")
    memorable_word: SecretStr = SecretStr("ledgerbridge")
    session_timeout_seconds: float = Field(default=3600.0, gt=0, le=MAX_TIMEOUT)
    temporary_token_seconds: float = Field(default=300.0, gt=0, le=MAX_TIMEOUT)
    rate_limit_per_second: float | None = Field(
        default=20.0, ge=MIN_RATE, le=MAX_RATE, allow_inf_nan=False
    )
    rate_limit_burst: int | None = Field(default=None, ge=1, le=1_000_000)
    retry_after_format: Literal["seconds", "http-date"] = "seconds"
    max_perpage: int = Field(default=500, ge=1, le=10_000)
    default_perpage: int = Field(default=100, ge=1, le=10_000)
    size: Literal["small", "medium", "large"] = "small"
    seed: int = 42
    today: date | None = None
    faults: FaultPlan = Field(default_factory=FaultPlan)

    @property
    def burst(self) -> int:
        if self.rate_limit_burst is not None:
            return self.rate_limit_burst
        rate = self.rate_limit_per_second or 1.0
        return max(1, int(rate))
