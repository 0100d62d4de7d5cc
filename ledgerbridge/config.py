"""Configuration, read once at the edge: environment (`LEDGERBRIDGE_*`, `DATABASE_URL`) and
an optional TOML file (`LEDGERBRIDGE_CONFIG`, default `ledgerbridge.toml`).

Secrets are `SecretStr`: they never appear in reprs, logs, errors or the API.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from pydantic import AliasChoices, BaseModel, Field, SecretStr
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)


class KashFlowSettings(BaseModel):
    base_url: str = "https://api.kashflow.com/v2"
    username: str = "sandbox"
    password: SecretStr = SecretStr("sandbox")
    memorable_word: SecretStr = SecretStr("ledgerbridge")
    requests_per_second: float = 10.0
    timeout_seconds: float = 30.0
    max_retries: int = 6


class Sage100Settings(BaseModel):
    odbc_connection_string: SecretStr = SecretStr(
        "DRIVER=SQLite3;Database=.ledgerbridge/sage100.db"
    )
    boi_backend: str = "sandbox"
    company_code: str = "ABC"
    username: str = "ledgerbridge"
    password: SecretStr = SecretStr("")
    home_path: str = r"C:\Sage\Sage 100\MAS90\Home"
    overlap_seconds: int = 120


def _config_file() -> Path:
    return Path(os.environ.get("LEDGERBRIDGE_CONFIG", "ledgerbridge.toml"))


class Settings(BaseSettings):
    """Everything Ledgerbridge can be told; environment wins over the TOML file."""

    model_config = SettingsConfigDict(
        env_prefix="LEDGERBRIDGE_", env_nested_delimiter="__", extra="ignore"
    )

    database_url: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("DATABASE_URL", "LEDGERBRIDGE_DATABASE_URL")
    )
    home: Path = Path(".ledgerbridge")
    kashflow: KashFlowSettings = KashFlowSettings()
    sage100: Sage100Settings = Sage100Settings()
    approval_threshold: str = "5000"
    log_level: str = "INFO"

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        path = _config_file()
        if path.is_file():
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=path))
        return tuple(sources)


def load_settings(**overrides: Any) -> Settings:
    return Settings(**overrides)
