"""Every setting the README documents does what it says: each is set the way a user would
(environment or TOML file) and its effect is observed on the real command, the real
KashFlow client against the sandbox over HTTP, or the real ledger database.
`SETTING_TESTS` names the test of each setting; a setting the README adds without one fails.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import psycopg
import pytest
from pydantic import SecretStr
from typer.testing import CliRunner

from canonical.errors import AuthenticationFailed, ConnectionLost
from connectors.kashflow import KashFlowClient
from connectors.kashflow.errors import ServerError
from ledgerbridge.cli import app
from ledgerbridge.config import load_settings
from ledgerbridge.testdb import create_database, drop_database, fresh_name
from sandbox.kashflow import SandboxConfig, SandboxServer, open_sandbox

ROOT = Path(__file__).resolve().parents[2]
HERE = "tests/ledgerbridge/test_settings_effects.py"
SAGE_TESTS = "tests/cdc/test_sage100_watermark.py"
CDC = "tests/cdc"
SESSION_TESTS = "tests/ledgerbridge/test_sage100_session.py"
API_TESTS = "tests/api/test_api_settings.py"

SETTING_TESTS = {
    "DATABASE_URL": f"{HERE}::test_database_url_is_the_ledger_commands_use",
    "LEDGERBRIDGE_HOME": f"{HERE}::test_home_holds_the_embedded_server",
    "LEDGERBRIDGE_CONFIG": f"{HERE}::test_the_config_file_named_is_read",
    "LEDGERBRIDGE_APPROVAL_THRESHOLD": (
        "tests/writer/planning/test_plan_command.py"
        "::test_the_rules_file_and_the_approval_threshold_change_the_plan"
    ),
    "LEDGERBRIDGE_RULES_FILE": (
        "tests/writer/planning/test_plan_command.py"
        "::test_the_rules_file_and_the_approval_threshold_change_the_plan"
    ),
    "LEDGERBRIDGE_LOG_LEVEL": f"{HERE}::test_log_level_sets_ledgerbridges_own_loggers",
    "LEDGERBRIDGE_KASHFLOW__BASE_URL": f"{HERE}::test_base_url_is_where_the_client_goes",
    "LEDGERBRIDGE_KASHFLOW__USERNAME": f"{HERE}::test_the_login_is_the_one_configured",
    "LEDGERBRIDGE_KASHFLOW__PASSWORD": f"{HERE}::test_the_login_is_the_one_configured",
    "LEDGERBRIDGE_KASHFLOW__MEMORABLE_WORD": f"{HERE}::test_the_login_is_the_one_configured",
    "LEDGERBRIDGE_KASHFLOW__REQUESTS_PER_SECOND": f"{HERE}::test_requests_are_paced",
    "LEDGERBRIDGE_KASHFLOW__TIMEOUT_SECONDS": f"{HERE}::test_a_slow_answer_times_out",
    "LEDGERBRIDGE_KASHFLOW__MAX_RETRIES": f"{HERE}::test_max_retries_bounds_the_retries",
    "LEDGERBRIDGE_SAGE100__ODBC_CONNECTION_STRING": (
        f"{SAGE_TESTS}::test_the_connection_string_comes_from_configuration"
    ),
    "LEDGERBRIDGE_SAGE100__BOI_BACKEND": (
        f"{SESSION_TESTS}::test_the_sandbox_backend_writes_to_the_configured_company"
    ),
    "LEDGERBRIDGE_OWNER_DATABASE_URL": (
        "tests/ledger/test_roles.py"
        "::test_db_upgrade_migrates_as_the_owner_and_warns_when_the_app_is_the_owner"
    ),
    "LEDGERBRIDGE_SEAL_KEY": "tests/ledger/test_seal_cli.py::test_seal_then_verify",
    "LEDGERBRIDGE_SEAL_KEY_FILE": "tests/ledger/test_seal_cli.py::test_the_key_can_live_in_a_file",
    "LEDGERBRIDGE_SAGE100__OVERLAP_SECONDS": (
        f"{SAGE_TESTS}::test_the_connection_string_comes_from_configuration"
    ),
    "LEDGERBRIDGE_CDC__INTERVALS": (
        f"{CDC}/test_cdc_settings.py::test_configured_intervals_decide_which_streams_are_due"
    ),
    "LEDGERBRIDGE_CDC__SWEEP_SECONDS": (
        f"{CDC}/test_kashflow_cycles.py::test_the_sweep_cadence_decides_when_closed_edits_are_seen"
    ),
    "LEDGERBRIDGE_CDC__CHUNK_RECORDS": (
        f"{CDC}/test_chunked_polls.py::test_the_chunk_size_comes_from_configuration"
    ),
    # the workers of these two tests get these settings from the environment
    "LEDGERBRIDGE_CDC__KEY_DIFF_SECONDS": (
        f"{CDC}/test_crash_exactly_once.py::"
        "test_every_change_lands_exactly_once_while_workers_are_killed"
    ),
    "LEDGERBRIDGE_CDC__TICK_SECONDS": (
        f"{CDC}/test_worker.py::test_a_worker_polls_on_schedule_and_on_request"
    ),
    "LEDGERBRIDGE_CDC__HEARTBEAT_SECONDS": (
        f"{CDC}/test_crash_exactly_once.py::"
        "test_every_change_lands_exactly_once_while_workers_are_killed"
    ),
    "LEDGERBRIDGE_CDC__STALLED_SECONDS": (
        f"{CDC}/test_crash_exactly_once.py::"
        "test_every_change_lands_exactly_once_while_workers_are_killed"
    ),
    **{
        f"LEDGERBRIDGE_WRITER__{name}": (
            "tests/writer/test_writer_settings.py::test_the_writer_settings_shape_the_applier"
        )
        for name in (
            "MAX_RETRIES",
            "BASE_DELAY_SECONDS",
            "MAX_DELAY_SECONDS",
            "BATCH_SIZE",
            "FAILING_AFTER_ATTEMPTS",
            "ALERT_WEBHOOK_URL",
            "ALERT_TIMEOUT_SECONDS",
        )
    },
    **dict.fromkeys(
        ("LEDGERBRIDGE_API__HOST", "LEDGERBRIDGE_API__PORT", "LEDGERBRIDGE_LOG_FORMAT"),
        f"{API_TESTS}::test_serve_listens_on_the_configured_host_and_port_and_logs_json_lines",
    ),
    **dict.fromkeys(
        (
            "LEDGERBRIDGE_API__POOL_SIZE",
            "LEDGERBRIDGE_API__WEBHOOK_SECRETS__ECOMMERCE",
            "LEDGERBRIDGE_API__WEBHOOK_SECRETS__GATEWAY",
            "LEDGERBRIDGE_API__WEBHOOK_TOLERANCE_SECONDS",
            "LEDGERBRIDGE_API__WEBHOOK_MAX_BYTES",
        ),
        f"{API_TESTS}::test_the_pool_and_the_webhook_intake_follow_the_environment",
    ),
}

LOGIN = {"username": "finance", "password": "pw-Tq52", "memorable_word": "word-Lm19"}


def documented_settings() -> list[str]:
    """The settings of the README's configuration table (`__X` after a full name expands
    with that name's section)."""
    readme = (ROOT / "README.md").read_text()
    names: list[str] = []
    for row in re.findall(r"^\| (`[A-Z_].*?) \|", readme, re.MULTILINE):
        section = ""
        for name in re.findall(r"`([A-Z_]+)`", row):
            if name.startswith("__"):
                names.append(section + name)
            else:
                names.append(name)
                section = name[: name.rfind("__")] if "__" in name else ""
    return names


def test_every_documented_setting_has_a_test_that_exists() -> None:
    documented = documented_settings()
    assert "DATABASE_URL" in documented and "LEDGERBRIDGE_KASHFLOW__PASSWORD" in documented
    assert sorted(set(documented) - set(SETTING_TESTS)) == []
    for node in SETTING_TESTS.values():
        path, name = node.split("::")
        assert f"def {name}(" in (ROOT / path).read_text(), node


@pytest.fixture
def isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No TOML file and no home of the developer's in the way; returns the test's folder."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("LEDGERBRIDGE_CONFIG", str(tmp_path / "ledgerbridge.toml"))
    monkeypatch.setenv("LEDGERBRIDGE_HOME", str(tmp_path / "home"))
    return tmp_path


@pytest.fixture
def empty_database(pg_server: str) -> Iterator[str]:
    name = fresh_name("lbsettings")
    yield create_database(pg_server, name)
    drop_database(pg_server, name)


def revision_of(url: str) -> str | None:
    with psycopg.connect(url) as conn:
        row = conn.execute("SELECT to_regclass('public.alembic_version')::text").fetchone()
        if row is None or row[0] is None:
            return None
        version = conn.execute("SELECT version_num FROM public.alembic_version").fetchone()
        return str(version[0]) if version else None


def test_database_url_is_the_ledger_commands_use(
    isolated: Path, empty_database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", empty_database)
    runner = CliRunner()

    assert runner.invoke(app, ["db", "status"]).stdout.splitlines()[2] == (
        "schema:          not migrated: run `ledgerbridge db upgrade`"
    )
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0

    assert revision_of(empty_database) is not None
    status = runner.invoke(app, ["db", "status"])
    assert status.exit_code == 0
    assert "(the newest)" in status.stdout.splitlines()[2]


def test_home_holds_the_embedded_server(isolated: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("LEDGERBRIDGE_HOME", str(isolated / "elsewhere"))

    status = CliRunner().invoke(app, ["db", "status"])

    pgdata = isolated / "elsewhere" / "pg"
    assert status.stdout.splitlines() == [
        f"ledger:          the embedded PostgreSQL under {pgdata}",
        "server:          not running",
        "schema:          unknown until the server runs",
        "embedded server: not running (the next command that needs the ledger starts it)",
    ]
    assert status.exit_code == 1
    assert not (isolated / "elsewhere").exists(), "status starts no server"


def test_the_config_file_named_is_read(
    isolated: Path, empty_database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = isolated / "settings" / "ledger.toml"
    config.parent.mkdir()
    config.write_text(f'database_url = "{empty_database}"\n')
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("LEDGERBRIDGE_CONFIG", str(config))

    assert CliRunner().invoke(app, ["db", "upgrade"]).exit_code == 0

    assert revision_of(empty_database) is not None


def test_log_level_sets_ledgerbridges_own_loggers(
    isolated: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    loggers = [logging.getLogger(name) for name in ("ledgerbridge", "connectors", "alembic")]
    before = [logger.level for logger in loggers]
    try:
        for level in ("ERROR", "debug"):
            monkeypatch.setenv("LEDGERBRIDGE_LOG_LEVEL", level)
            CliRunner().invoke(app, ["db", "status"])
            own = logging.getLevelName(level.upper())
            assert [logger.level for logger in loggers] == [own, own, before[2]]
    finally:
        for logger, level_before in zip(loggers, before, strict=True):
            logger.setLevel(level_before)


@pytest.fixture(scope="module")
def kashflow(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxServer]:
    """A KashFlow sandbox on a loopback port with a login of its own and no rate limit."""
    config = SandboxConfig(
        username=LOGIN["username"],
        password=SecretStr(LOGIN["password"]),
        memorable_word=SecretStr(LOGIN["memorable_word"]),
        rate_limit_per_second=None,
    )
    sandbox = open_sandbox(tmp_path_factory.mktemp("kashflow") / "kashflow.db", config)
    with SandboxServer(sandbox) as server:
        yield server


@pytest.fixture
def kashflow_env(
    kashflow: SandboxServer, isolated: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[httpx.Client]:
    """The sandbox's URL and login in the environment; yields its admin path, reset after."""
    monkeypatch.setenv("LEDGERBRIDGE_KASHFLOW__BASE_URL", kashflow.base_url)
    for name, value in LOGIN.items():
        monkeypatch.setenv(f"LEDGERBRIDGE_KASHFLOW__{name.upper()}", value)
    monkeypatch.setenv("LEDGERBRIDGE_KASHFLOW__REQUESTS_PER_SECOND", "1000")
    with httpx.Client(base_url=kashflow.admin_url, timeout=10) as admin:
        yield admin
        admin.put("/faults", json={}).raise_for_status()


def configured_client() -> KashFlowClient:
    return KashFlowClient.from_settings(load_settings().kashflow)


def test_base_url_is_where_the_client_goes(
    kashflow_env: httpx.Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    with configured_client() as client:
        assert next(iter(client.customers.list()))["Code"]

    monkeypatch.setenv("LEDGERBRIDGE_KASHFLOW__BASE_URL", "http://127.0.0.1:1/v2")
    monkeypatch.setenv("LEDGERBRIDGE_KASHFLOW__MAX_RETRIES", "0")
    with configured_client() as client, pytest.raises(ConnectionLost):
        next(iter(client.customers.list()))


@pytest.mark.parametrize("name", ["username", "password", "memorable_word"])
def test_the_login_is_the_one_configured(
    name: str, kashflow_env: httpx.Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(f"LEDGERBRIDGE_KASHFLOW__{name.upper()}", "not-it")

    with configured_client() as client, pytest.raises(AuthenticationFailed) as refused:
        next(iter(client.customers.list()))
    assert "not-it" not in str(refused.value)


def test_max_retries_bounds_the_retries(
    kashflow_env: httpx.Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LEDGERBRIDGE_KASHFLOW__MAX_RETRIES", "0")
    with configured_client() as client:
        next(iter(client.customers.list()))  # logged in
        kashflow_env.put("/faults", json={"statuses": [503]}).raise_for_status()
        with pytest.raises(ServerError):
            next(iter(client.customers.list()))

    monkeypatch.setenv("LEDGERBRIDGE_KASHFLOW__MAX_RETRIES", "1")
    with configured_client() as client:
        next(iter(client.customers.list()))
        kashflow_env.put("/faults", json={"statuses": [503]}).raise_for_status()
        assert next(iter(client.customers.list()))["Code"]


def test_a_slow_answer_times_out(
    kashflow_env: httpx.Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LEDGERBRIDGE_KASHFLOW__MAX_RETRIES", "0")
    monkeypatch.setenv("LEDGERBRIDGE_KASHFLOW__TIMEOUT_SECONDS", "0.2")
    with configured_client() as client:
        next(iter(client.customers.list()))
        kashflow_env.put("/faults", json={"slow_count": 1, "slow_seconds": 2}).raise_for_status()
        with pytest.raises(ConnectionLost):
            next(iter(client.customers.list()))


def test_requests_are_paced(kashflow_env: httpx.Client, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LEDGERBRIDGE_KASHFLOW__REQUESTS_PER_SECOND", "5")
    with configured_client() as client:
        next(iter(client.customers.list()))  # the login's requests take the first slots
        started = time.monotonic()
        for _ in range(4):
            next(iter(client.customers.list()))
        elapsed = time.monotonic() - started

    # slots are 0.2 s apart on a fixed schedule: four more requests cannot all fit in 0.6 s
    assert elapsed >= 0.6
    assert client.pacer.interval == pytest.approx(0.2)
