"""LEDGERBRIDGE_LOG_FORMAT=json: one JSON object per line with the event's keys (run,
stream, record), values under keys naming a secret masked, a traceback kept in its field."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import orjson
import pytest

from ledgerbridge.config import load_settings
from ledgerbridge.logs import configure_logging


@pytest.fixture
def restored_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


def test_each_event_is_one_json_line_with_its_keys_and_no_secret(
    restored_logging: None, capsys: pytest.CaptureFixture[str]
) -> None:
    configure_logging("INFO", "json")
    log = logging.getLogger("cdc")
    log.info("poll", extra={"run_id": 42, "stream": "sage100:customer",
                            "record": "01-ACME0019", "password": "hunter2"})  # fmt: skip
    try:
        raise ValueError("boom\nsecond line")
    except ValueError:
        log.exception("failed", extra={"run_id": 43, "settings": {"api_token": "lbt_x"}})
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 2
    first, second = (orjson.loads(line) for line in lines)
    assert first["message"] == "poll" and first["level"] == "INFO" and first["logger"] == "cdc"
    assert (first["run_id"], first["stream"], first["record"]) == (42, "sage100:customer",
                                                                   "01-ACME0019")  # fmt: skip
    assert first["password"] == "***"
    assert second["error"] == "ValueError" and "second line" in second["traceback"]
    assert second["settings"] == {"api_token": "***"}
    assert "hunter2" not in "".join(lines) and "lbt_x" not in "".join(lines)


def test_the_format_is_a_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LEDGERBRIDGE_LOG_FORMAT", "json")
    assert load_settings().log_format == "json"
    monkeypatch.setenv("LEDGERBRIDGE_LOG_FORMAT", "yaml")
    with pytest.raises(ValueError, match="log_format"):
        load_settings()
