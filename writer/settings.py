"""Writer settings (`LEDGERBRIDGE_WRITER__*`): how hard to retry, how many intents share a
batch, and where to send an alert when dead letters appear or a flow keeps failing."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, HttpUrl


class WriterSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    max_retries: int = Field(default=5, ge=0, le=20)
    """Tries after the first for a transient error, within one apply (backoff and jitter)."""
    base_delay_seconds: float = Field(default=0.5, gt=0, le=60)
    max_delay_seconds: float = Field(default=30.0, gt=0, le=3600)
    batch_size: int = Field(default=50, ge=1, le=1000)
    """Intents whose recovery points are recorded in one transaction; 1 turns batching off."""
    failing_after_attempts: int = Field(default=3, ge=1, le=100)
    """An intent's transient failure number this raises the "keeps failing" alert (once)."""
    alert_webhook_url: HttpUrl | None = None
    """POSTed a JSON summary when dead letters appear or a flow keeps failing."""
    alert_timeout_seconds: float = Field(default=5.0, gt=0, le=60)
