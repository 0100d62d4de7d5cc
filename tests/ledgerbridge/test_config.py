"""Configuration: environment over TOML over defaults; secrets never shown."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from ledgerbridge.config import load_settings
from ledgerbridge.database import redact


def test_defaults_need_no_configuration(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("LEDGERBRIDGE_CONFIG", str(tmp_path / "absent.toml"))

    settings = load_settings()

    assert settings.database_url is None
    assert settings.kashflow.username == "sandbox"
    assert settings.home == Path(".ledgerbridge")


def test_toml_file_then_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    config = tmp_path / "ledgerbridge.toml"
    config.write_text(
        'approval_threshold = "2500"\n[kashflow]\nusername = "finance"\npassword = "from-file"\n'
    )
    monkeypatch.setenv("LEDGERBRIDGE_CONFIG", str(config))
    monkeypatch.setenv("LEDGERBRIDGE_KASHFLOW__USERNAME", "ops")
    monkeypatch.setenv("DATABASE_URL", "postgresql://lb:s3cret@db.example:5432/lb")

    settings = load_settings()

    assert settings.approval_threshold == Decimal("2500")
    assert settings.kashflow.username == "ops"
    assert settings.kashflow.password.get_secret_value() == "from-file"
    assert settings.database_url is not None


def test_secrets_never_appear_in_reprs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://lb:s3cret@db.example:5432/lb")
    monkeypatch.setenv("LEDGERBRIDGE_KASHFLOW__MEMORABLE_WORD", "hushhush")

    settings = load_settings()
    shown = repr(settings) + str(settings) + settings.model_dump_json()

    assert "s3cret" not in shown
    assert "hushhush" not in shown
    assert "s3cret" not in redact(settings.database_url.get_secret_value())  # type: ignore[union-attr]
