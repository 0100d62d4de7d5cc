"""CDC settings: intervals as the user writes them, and configuration refused in one line."""

from __future__ import annotations

import pytest

from cdc.settings import interval_text, parse_interval
from ledgerbridge.config import SettingsError, load_settings


@pytest.mark.parametrize(
    ("text", "seconds"), [("30s", 30), ("5m", 300), ("1h", 3600), ("45", 45), ("OFF", None)]
)
def test_intervals_read_as_written(text: str, seconds: int | None) -> None:
    assert parse_interval(text) == seconds
    assert parse_interval(interval_text(seconds)) == seconds


@pytest.mark.parametrize("text", ["0s", "7x", "-5m", "", "5 minutes"])
def test_other_intervals_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match="is not an interval"):
        parse_interval(text)


def test_cdc_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LEDGERBRIDGE_CDC__INTERVALS", '{"sage100:customer": "5s"}')
    monkeypatch.setenv("LEDGERBRIDGE_CDC__SWEEP_SECONDS", "600")
    settings = load_settings()
    assert settings.cdc.intervals == {"sage100:customer": "5s"}
    assert settings.cdc.poll_settings().sweep_seconds == 600


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("LEDGERBRIDGE_CDC__INTERVALS", '{"sage100:customer": "7x"}', "is not an interval"),
        ("LEDGERBRIDGE_CDC__SWEEP_SECONDS", "0", "greater than 0"),
        ("LEDGERBRIDGE_CDC__SWEEP_SECOND", "60", "not a setting"),
    ],
)
def test_bad_cdc_settings_are_refused(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, expected: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError, match=expected):
        load_settings()
