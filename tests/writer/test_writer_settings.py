"""The writer's settings (`LEDGERBRIDGE_WRITER__*`) shape the applier the shell builds:
its retry policy, its batches, when it alerts and where the alert goes."""

from __future__ import annotations

import psycopg
import pytest
from pydantic import ValidationError

from ledgerbridge.config import load_settings
from ledgerbridge.writer_commands import open_applier
from writer.settings import WriterSettings


def test_the_writer_settings_shape_the_applier(
    monkeypatch: pytest.MonkeyPatch, ledger_url: str, tmp_path: object
) -> None:
    monkeypatch.setenv("LEDGERBRIDGE_CONFIG", f"{tmp_path}/absent.toml")
    monkeypatch.setenv("DATABASE_URL", ledger_url)
    monkeypatch.setenv("LEDGERBRIDGE_WRITER__MAX_RETRIES", "2")
    monkeypatch.setenv("LEDGERBRIDGE_WRITER__BASE_DELAY_SECONDS", "0.25")
    monkeypatch.setenv("LEDGERBRIDGE_WRITER__MAX_DELAY_SECONDS", "4")
    monkeypatch.setenv("LEDGERBRIDGE_WRITER__BATCH_SIZE", "7")
    monkeypatch.setenv("LEDGERBRIDGE_WRITER__FAILING_AFTER_ATTEMPTS", "9")
    monkeypatch.setenv("LEDGERBRIDGE_WRITER__ALERT_WEBHOOK_URL", "http://127.0.0.1:9/alerts")
    monkeypatch.setenv("LEDGERBRIDGE_WRITER__ALERT_TIMEOUT_SECONDS", "1.5")
    with open_applier(load_settings()) as applier:
        assert isinstance(applier.conn, psycopg.Connection) and applier.conn.autocommit
        retry = applier.retry
        assert (retry.max_retries, retry.base_delay, retry.max_delay) == (2, 0.25, 4.0)
        assert all(0.125 <= retry.backoff(0) <= 0.25 for _ in range(20))
        assert retry.backoff(10) <= 4.0
        assert applier.batch_size == 7 and applier.failing_after_attempts == 9
        assert applier.alerter.webhook_url == "http://127.0.0.1:9/alerts"
        assert applier.alerter.timeout_seconds == 1.5


def test_writer_settings_refuse_what_cannot_work() -> None:
    with pytest.raises(ValidationError):
        WriterSettings(batch_size=0)
    with pytest.raises(ValidationError):
        WriterSettings.model_validate({"alert_webhook_url": "not a url"})
    with pytest.raises(ValidationError):
        WriterSettings.model_validate({"max_retry": 3})
