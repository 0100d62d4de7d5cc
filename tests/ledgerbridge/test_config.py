"""Configuration: environment over TOML over defaults; secrets never shown; a value that
cannot work is refused at load in one line naming the setting."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from connectors.kashflow.settings import SANDBOX_BASE_URL
from ledgerbridge.config import KashFlowSettings, SettingsError, load_settings
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


@pytest.fixture
def no_config_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """Settings from the environment alone (no TOML file in the way); returns where one
    would be read from."""
    path = tmp_path / "ledgerbridge.toml"
    monkeypatch.setenv("LEDGERBRIDGE_CONFIG", str(path))
    return path


def configure(monkeypatch: pytest.MonkeyPatch, **variables: str) -> None:
    """Sets `LEDGERBRIDGE_<NAME>` for each name given (`DATABASE_URL` as it is)."""
    for name, value in variables.items():
        prefix = "" if name == "DATABASE_URL" else "LEDGERBRIDGE_"
        monkeypatch.setenv(prefix + name, value)


def refusal() -> str:
    """The message `load_settings` refuses the configuration with."""
    with pytest.raises(SettingsError) as refused:
        load_settings()
    return str(refused.value)


def test_settings_are_typed(monkeypatch: pytest.MonkeyPatch, no_config_file: Path) -> None:
    configure(
        monkeypatch, APPROVAL_THRESHOLD="2500.50", SAGE100__BOI_BACKEND="com", LOG_LEVEL="debug"
    )

    settings = load_settings()

    assert settings.approval_threshold == Decimal("2500.50")
    assert settings.sage100.boi_backend == "com"
    assert settings.log_level == "DEBUG"


def test_the_defaults_talk_to_the_local_sandbox(no_config_file: Path) -> None:
    settings = load_settings()

    assert settings.kashflow.base_url == SANDBOX_BASE_URL
    assert settings.sage100.boi_backend == "sandbox"


@pytest.mark.parametrize(
    ("variable", "value", "setting", "problem"),
    [
        ("SAGE100__BOI_BACKEND", "sandbx", "sage100.boi_backend", "'sandbox' or 'com'"),
        ("APPROVAL_THRESHOLD", "0", "approval_threshold", "greater than 0"),
        ("APPROVAL_THRESHOLD", "five thousand", "approval_threshold", "valid decimal"),
        ("KASHFLOW__REQUESTS_PER_SECOND", "0", "kashflow.requests_per_second", "greater than 0"),
        ("KASHFLOW__TIMEOUT_SECONDS", "-1", "kashflow.timeout_seconds", "greater than 0"),
        ("KASHFLOW__MAX_RETRIES", "-1", "kashflow.max_retries", "greater than or equal to 0"),
        ("SAGE100__OVERLAP_SECONDS", "-5", "sage100.overlap_seconds", "greater than or equal"),
        ("KASHFLOW__USERNAM", "finance", "kashflow.usernam", "not a setting"),
        ("LOG_LEVEL", "chatty", "log_level", "'DEBUG', 'INFO'"),
    ],
)
def test_a_value_that_cannot_work_is_one_line_naming_the_setting(
    monkeypatch: pytest.MonkeyPatch,
    no_config_file: Path,
    variable: str,
    value: str,
    setting: str,
    problem: str,
) -> None:
    configure(monkeypatch, **{variable: value})

    message = refusal()

    assert f"{setting} (LEDGERBRIDGE_{variable}): " in message
    assert problem in message
    assert "\n" not in message


def test_the_real_kashflow_with_the_sandbox_login_is_refused_at_load(
    monkeypatch: pytest.MonkeyPatch, no_config_file: Path
) -> None:
    configure(
        monkeypatch,
        KASHFLOW__BASE_URL="https://API.KashFlow.com/v2",
        KASHFLOW__USERNAME="finance",
        KASHFLOW__PASSWORD="correct-horse-9",
    )

    message = refusal()

    assert message == (
        "invalid configuration: kashflow: base_url points at the real KashFlow "
        "(api.kashflow.com) but memorable_word is still the sandbox's default; "
        "set the real login"
    )
    assert "correct-horse-9" not in message


REAL_KASHFLOW = {
    "KASHFLOW__BASE_URL": "https://api.kashflow.com/v2",
    "KASHFLOW__USERNAME": "finance",
    "KASHFLOW__PASSWORD": "correct-horse-9",
    "KASHFLOW__MEMORABLE_WORD": "kestrel-secret",
}
"""The real KashFlow with a real login, as `configure` takes it."""


def test_a_refusal_never_shows_a_secret(
    monkeypatch: pytest.MonkeyPatch, no_config_file: Path
) -> None:
    configure(
        monkeypatch,
        **REAL_KASHFLOW,
        KASHFLOW__MAX_RETRIES="many",
        DATABASE_URL="postgresql://lb:s3cret@db.example:5432/lb",
    )

    message = refusal()

    assert "kashflow.max_retries" in message
    for secret in ("correct-horse-9", "kestrel-secret", "s3cret"):
        assert secret not in message


def test_the_real_kashflow_with_a_real_login_loads(
    monkeypatch: pytest.MonkeyPatch, no_config_file: Path
) -> None:
    configure(monkeypatch, **REAL_KASHFLOW)

    assert load_settings().kashflow.username == "finance"


def test_the_sandbox_login_elsewhere_is_fine() -> None:
    assert KashFlowSettings(base_url="http://kashflow.example.test/v2").username == "sandbox"


def test_a_broken_config_file_is_one_line(no_config_file: Path) -> None:
    no_config_file.write_text('[kashflow]\npassword = "unterminated\n')

    message = refusal()

    assert message.startswith(f"invalid configuration file {no_config_file}: ")
    assert "\n" not in message and "unterminated" not in message


def test_a_mistyped_key_in_the_file_is_named(no_config_file: Path) -> None:
    no_config_file.write_text('approval_treshold = "100"\n[sage100]\noverlap_secs = 60\n')

    message = refusal()

    assert "approval_treshold (LEDGERBRIDGE_APPROVAL_TRESHOLD): not a setting" in message
    assert "sage100.overlap_secs (LEDGERBRIDGE_SAGE100__OVERLAP_SECS): not a setting" in message


def test_other_variables_under_the_prefix_are_not_settings_errors(
    monkeypatch: pytest.MonkeyPatch, no_config_file: Path
) -> None:
    configure(monkeypatch, KASHFLOW_SANDBOX_USERNAME="tester", CONFIG_NOTE="anything")

    assert load_settings().kashflow.username == "sandbox"
