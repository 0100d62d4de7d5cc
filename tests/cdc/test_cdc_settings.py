"""CDC settings: intervals as the user writes them, and configuration refused in one line."""

from __future__ import annotations

import json
from typing import Any

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


def test_schedule_commands_store_and_show_intervals(
    monkeypatch: pytest.MonkeyPatch, ledger_url: str
) -> None:
    from typer.testing import CliRunner

    from ledgerbridge.cli import app

    monkeypatch.setenv("DATABASE_URL", ledger_url)
    monkeypatch.setenv("COLUMNS", "200")
    runner = CliRunner()
    assert runner.invoke(app, ["schedule", "set", "sage100", "customer", "5s"]).exit_code == 0
    assert runner.invoke(app, ["schedule", "set", "kashflow", "product", "off"]).exit_code == 0
    listed = runner.invoke(app, ["schedule", "list"])
    assert listed.exit_code == 0
    rows = {line.split()[1]: line for line in listed.output.splitlines() if ":" in line}
    assert "5s" in rows["sage100:customer"] and "schedule set" in rows["sage100:customer"]
    assert "off" in rows["kashflow:product"]
    assert "30s" in rows["sage100:supplier"] and "default" in rows["sage100:supplier"]
    refused = runner.invoke(app, ["schedule", "set", "sage100", "customer", "7x"])
    assert refused.exit_code == 2 and "is not an interval" in refused.output
    unknown = runner.invoke(app, ["schedule", "set", "sage100", "quote", "5m"])
    assert unknown.exit_code == 2 and "no CDC stream sage100:quote" in unknown.output


def test_configured_intervals_decide_which_streams_are_due(
    monkeypatch: pytest.MonkeyPatch, conn: Any
) -> None:
    from cdc.streams import STREAMS
    from cdc.tasks import due_streams
    from ledger import start_run

    intervals = {s.name: "off" for s in STREAMS} | {"sage100:customer": "1h"}
    monkeypatch.setenv("LEDGERBRIDGE_CDC__INTERVALS", json.dumps(intervals))
    settings = load_settings().cdc
    assert [s.name for s in due_streams(conn, settings)] == ["sage100:customer"]
    start_run(conn, "poll", "sage100", "customer")
    assert due_streams(conn, settings) == []  # polled a moment ago, due in an hour
