"""Configuration, read once at the edge: environment (`LEDGERBRIDGE_*`, `DATABASE_URL`) and
an optional TOML file (`LEDGERBRIDGE_CONFIG`, default `ledgerbridge.toml`).

Each stage owns its settings model (`KashFlowSettings`, `Sage100Settings`); `Settings`
composes them. Secrets are `SecretStr`: they never appear in reprs, logs, errors or the
API. A value that cannot work fails `load_settings` with one line naming the setting.
"""

from __future__ import annotations

import os
import re
import tomllib
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

import psycopg
from psycopg.conninfo import conninfo_to_dict
from pydantic import (
    AliasChoices,
    BaseModel,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
)
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from api.settings import ApiSettings
from cdc.settings import CdcSettings
from connectors.kashflow.settings import KashFlowSettings
from connectors.sage100.settings import Sage100Settings

__all__ = [
    "ApiSettings",
    "KashFlowSettings",
    "Sage100Settings",
    "Settings",
    "SettingsError",
    "load_settings",
]

ENV_PREFIX = "LEDGERBRIDGE_"
LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]


def _config_file() -> Path:
    return Path(os.environ.get("LEDGERBRIDGE_CONFIG", "ledgerbridge.toml"))


class Settings(BaseSettings):
    """Everything Ledgerbridge can be told; environment wins over the TOML file."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX, env_nested_delimiter="__", extra="forbid"
    )

    database_url: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("DATABASE_URL", "LEDGERBRIDGE_DATABASE_URL")
    )
    owner_database_url: SecretStr | None = None
    """The ledger owner's login, used only by `ledgerbridge db upgrade`; else DATABASE_URL."""
    seal_key: SecretStr | None = None
    """The HMAC key that signs seals (`ledgerbridge ledger seal`): keep it out of the database."""
    seal_key_file: Path | None = None
    """Or a file holding that key."""
    home: Path = Path(".ledgerbridge")
    kashflow: KashFlowSettings = KashFlowSettings()
    sage100: Sage100Settings = Sage100Settings()
    cdc: CdcSettings = CdcSettings()
    approval_threshold: Decimal = Field(default=Decimal(5000), gt=0)
    """Writes whose amount is over this need a human approval first."""
    log_level: LogLevel = "INFO"
    log_format: Literal["text", "json"] = "text"
    """``json``: one JSON object per log line, with run, stream and record keys."""
    api: ApiSettings = ApiSettings()

    @field_validator("database_url")
    @classmethod
    def _a_postgresql_connection(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None:
            check_postgresql_conninfo(value.get_secret_value())
        return value

    @field_validator("home", mode="before")
    @classmethod
    def _home_is_named(cls, value: object) -> object:
        if isinstance(value, str) and not value.strip():
            raise ValueError("is empty: unset it to work in .ledgerbridge, or name a folder")
        return value

    @field_validator("home")
    @classmethod
    def _home_is_a_folder(cls, value: Path) -> Path:
        if value.exists() and not value.is_dir():
            raise ValueError("names a file, not a folder: name a folder (it is created if missing)")
        return value

    @field_validator("log_level", mode="before")
    @classmethod
    def _level_in_capitals(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

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


POSTGRESQL_SCHEMES = ("postgresql", "postgres")
_URL_SCHEME = re.compile(r"^\s*([A-Za-z][A-Za-z0-9+.\-]*):")
_EXAMPLE_URL = "postgresql://USER@HOST:5432/DBNAME"


def check_postgresql_conninfo(conninfo: str) -> None:
    """Refuses, without repeating it, a connection string PostgreSQL cannot use: empty, of
    another scheme (`mysql://...`) or a key=value string libpq does not parse."""
    if not conninfo.strip():
        raise ValueError(
            "is set but empty: unset it to use the embedded PostgreSQL, or give " + _EXAMPLE_URL
        )
    scheme = _URL_SCHEME.match(conninfo)
    if scheme and scheme.group(1).lower() not in POSTGRESQL_SCHEMES:
        raise ValueError(
            f"is a {scheme.group(1)!r} URL, not PostgreSQL: give {_EXAMPLE_URL}"
            " (or a libpq key=value string)"
        )
    try:
        conninfo_to_dict(conninfo)
    except psycopg.ProgrammingError:
        raise ValueError(
            f"is not a PostgreSQL connection string libpq can read: give {_EXAMPLE_URL}"
        ) from None


_SECTIONS = frozenset(
    name
    for name, field in Settings.model_fields.items()
    if isinstance(field.annotation, type) and issubclass(field.annotation, BaseModel)
)
"""The nested settings models (`kashflow`, `sage100`, ...): a section, not one variable."""


class SettingsError(ValueError):
    """Configuration that cannot work: one line per setting at fault, never its value."""


def load_settings(**overrides: Any) -> Settings:
    """The settings from overrides, environment, the TOML file and defaults, in that order.

    Raises `SettingsError` naming each bad setting (and the variable that sets it) and
    what is wrong, without the value given.
    """
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        raise SettingsError(
            "invalid configuration: " + "; ".join(_problem(e) for e in exc.errors())
        ) from None
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError(f"invalid configuration file {_config_file()}: {exc}") from None


def _problem(error: Any) -> str:
    location = [str(part) for part in error["loc"]]
    message = str(error["msg"]).removeprefix("Value error, ")
    if location[:1] in (["database_url"], ["DATABASE_URL"], ["LEDGERBRIDGE_DATABASE_URL"]):
        return f"database_url (DATABASE_URL): {message}"
    setting = ".".join(location) or "(settings)"
    if error["type"] == "extra_forbidden":
        message = "not a setting (mistyped?)"
    if len(location) == 1 and location[0] in _SECTIONS:
        return f"{setting}: {message}"  # a check across the section's settings
    return f"{setting} ({ENV_PREFIX}{'__'.join(location).upper()}): {message}"
