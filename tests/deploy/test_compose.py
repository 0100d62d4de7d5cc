"""docker-compose.yml, checked for its structure (Docker does not run where the tests run):
the services and what each waits for, health checks, a worker that scales, the ledger's
owner and application logins kept apart, and no secret written into the file."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).parent.parent.parent
COMPOSE = ROOT / "docker-compose.yml"
INIT = ROOT / "deploy" / "postgres-init.sh"
REQUIRED = re.compile(r"^\$\{[A-Z0-9_]+:\?[^}]+\}$")
"""A value compose refuses to start without: `${NAME:?message}`."""
SECRET_NAME = re.compile(r"PASSWORD|SECRET|MEMORABLE_WORD|TOKEN|SEAL_KEY|ODBC_CONNECTION")
URL_PASSWORD = re.compile(r"://(?P<user>[^:/@]+):(?P<password>[^@]*)@")


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(COMPOSE.read_text())
    return loaded


def services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = compose["services"]
    return found


def test_runs_postgres_a_migration_the_api_and_workers(compose: dict[str, Any]) -> None:
    assert set(services(compose)) == {"postgres", "migrate", "api", "worker"}
    assert services(compose)["migrate"]["command"] == ["ledgerbridge", "db", "upgrade"]
    assert services(compose)["migrate"]["restart"] == "no"
    assert services(compose)["api"]["command"][:2] == ["ledgerbridge", "serve"]
    assert services(compose)["worker"]["command"] == ["ledgerbridge", "worker"]


def test_each_service_waits_for_what_it_needs(compose: dict[str, Any]) -> None:
    waits = {name: s.get("depends_on", {}) for name, s in services(compose).items()}
    assert waits["postgres"] == {}
    assert waits["migrate"] == {"postgres": {"condition": "service_healthy"}}
    for name in ("api", "worker"):
        assert waits[name] == {"migrate": {"condition": "service_completed_successfully"}}


def test_long_running_services_have_health_checks(compose: dict[str, Any]) -> None:
    for name in ("postgres", "api", "worker"):
        check = services(compose)[name]["healthcheck"]
        assert check["test"][0] in ("CMD", "CMD-SHELL"), name
        assert check["retries"] >= 3 and check["interval"], name
    assert "/health" in " ".join(services(compose)["api"]["healthcheck"]["test"])
    assert "pg_isready" in " ".join(services(compose)["postgres"]["healthcheck"]["test"])


def test_the_worker_scales(compose: dict[str, Any]) -> None:
    worker = services(compose)["worker"]
    for fixed in ("container_name", "ports", "hostname"):
        assert fixed not in worker, f"worker has {fixed}: --scale worker=3 would clash"


def _environment(service: dict[str, Any]) -> dict[str, str]:
    raw = service.get("environment") or {}
    assert isinstance(raw, dict), "environment as a mapping, so it can be checked"
    return {k: str(v) for k, v in raw.items()}


def _walk_strings(node: Any) -> list[str]:
    if isinstance(node, dict):
        return [s for k, v in node.items() for s in (*_walk_strings(k), *_walk_strings(v))]
    if isinstance(node, list):
        return [s for item in node for s in _walk_strings(item)]
    return [node] if isinstance(node, str) else []


def test_no_secret_is_written_into_the_file(compose: dict[str, Any]) -> None:
    for name, service in services(compose).items():
        for key, value in _environment(service).items():
            if SECRET_NAME.search(key):
                assert REQUIRED.match(value), f"{name}.{key} must come from the environment"
    for text in _walk_strings(compose):
        for found in URL_PASSWORD.finditer(text):
            assert REQUIRED.match(found["password"]), f"a password written into {text!r}"


def _login(url: str) -> str:
    found = URL_PASSWORD.search(url)
    assert found is not None, url
    return found["user"]


def test_owner_and_application_logins_are_kept_apart(compose: dict[str, Any]) -> None:
    migrate = _environment(services(compose)["migrate"])
    assert _login(migrate["LEDGERBRIDGE_OWNER_DATABASE_URL"]) == "ledger_owner"
    assert _login(migrate["DATABASE_URL"]) == "ledger_app"
    for name in ("api", "worker"):
        environment = _environment(services(compose)[name])
        assert _login(environment["DATABASE_URL"]) == "ledger_app", name
        assert not any("ledger_owner" in v or "OWNER" in k for k, v in environment.items()), (
            f"{name} must not hold the owner's login"
        )
    postgres = services(compose)["postgres"]
    assert (
        "./deploy/postgres-init.sh:/docker-entrypoint-initdb.d/10-ledger-roles.sh:ro"
        in (postgres["volumes"])
    )
    script = INIT.read_text()
    for statement in (
        "CREATE ROLE ledger_owner LOGIN", "CREATE ROLE ledger_app LOGIN",
        "CREATE ROLE ledgerbridge_app NOLOGIN", "GRANT ledgerbridge_app TO ledger_app",
        "CREATE DATABASE ledger OWNER ledger_owner",
    ):  # fmt: skip
        assert statement in script
    assert "PASSWORD :'owner_password'" in script and "PASSWORD :'app_password'" in script
