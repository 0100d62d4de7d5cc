"""What the KashFlow sandbox can be told: credentials, session window, rate limit, page
size cap and standing faults. Read from `LEDGERBRIDGE_KASHFLOW_SANDBOX_*` (nested with
`__`) or given by the CLI, tests and benchmarks.
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class FaultPlan(BaseModel):
    """Faults to inject into the next requests under `path_prefix`, consumed one by one.

    `statuses` answers the next requests with those codes (429 carries `retry_after`);
    `slow_count` requests wait `slow_seconds` first; `drop_count` requests lose the
    connection after the status line; `truncate_count` requests lose it halfway through
    the body; `drop_after_commit_count` requests are carried out and then lose the
    connection (the uncertain outcome idempotent creates must survive).
    `random_5xx_rate` answers that fraction of all requests 503 (for demos).
    """

    statuses: list[int] = Field(default_factory=list)
    retry_after: str = "1"
    slow_seconds: float = 0.0
    slow_count: int = 0
    drop_count: int = 0
    truncate_count: int = 0
    drop_after_commit_count: int = 0
    random_5xx_rate: float = Field(default=0.0, ge=0.0, le=1.0)
    path_prefix: str = "/v2"
    methods: list[str] | None = None


class SandboxConfig(BaseSettings):
    """The sandbox's settings; the defaults match Ledgerbridge's default KashFlow login."""

    model_config = SettingsConfigDict(
        env_prefix="LEDGERBRIDGE_KASHFLOW_SANDBOX_", env_nested_delimiter="__", extra="ignore"
    )

    username: str = "sandbox"
    password: SecretStr = SecretStr("sandbox")
    memorable_word: SecretStr = SecretStr("ledgerbridge")
    session_timeout_seconds: float = Field(default=3600.0, gt=0)
    temporary_token_seconds: float = Field(default=300.0, gt=0)
    rate_limit_per_second: float | None = Field(default=20.0, gt=0)
    rate_limit_burst: int | None = Field(default=None, ge=1)
    retry_after_format: Literal["seconds", "http-date"] = "seconds"
    max_perpage: int = Field(default=500, ge=1)
    default_perpage: int = Field(default=100, ge=1)
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
