"""`ledgerbridge db status|stop`, `--version`, and `make clean` stopping the embedded
PostgreSQL before it removes its data: against a real embedded server (pgserver) started
under a temporary LEDGERBRIDGE_HOME."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from importlib.metadata import version
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ledgerbridge.cli import app
from ledgerbridge.db_commands import embedded_server, stop_embedded_server

ROOT = Path(__file__).resolve().parents[2]


def start_embedded_server(home: Path) -> int:
    """Starts the embedded server under `home/pg` the way any command does, in a process
    of its own that leaves it running; returns the postmaster's pid."""
    subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from pathlib import Path;"
            " from ledgerbridge.database import embedded_server_url;"
            " embedded_server_url(Path(sys.argv[1]))",
            str(home),
        ],
        check=True,
        timeout=120,
        capture_output=True,
    )
    return int((home / "pg" / "postmaster.pid").read_text().split("\n", 1)[0])


def stop_script(home: Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    """What `make clean` runs first, for the server under `home`."""
    script = ROOT / "scripts" / "stop-embedded-postgres.sh"
    return subprocess.run(
        ["sh", str(script), str(home)], cwd=cwd, capture_output=True, text=True, timeout=60
    )


def gone(pid: int) -> bool:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.1)
    return False


@pytest.fixture(scope="module")
def shared_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """One working folder for the module's tests (the server is initialised once); no
    server is left running, whatever a test did."""
    path = tmp_path_factory.mktemp("embedded") / "lb"
    yield path
    server = embedded_server(path)
    if server.running:
        stop_embedded_server(server)


@pytest.fixture
def home(shared_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("LEDGERBRIDGE_CONFIG", str(tmp_path / "ledgerbridge.toml"))
    monkeypatch.setenv("LEDGERBRIDGE_HOME", str(shared_home))
    return shared_home


def test_status_and_stop_of_the_embedded_server(home: Path) -> None:
    pid = start_embedded_server(home)
    pgdata = home.resolve() / "pg"
    runner = CliRunner()

    status = runner.invoke(app, ["db", "status"])
    lines = status.stdout.splitlines()
    assert lines[0] == f"ledger:          the embedded PostgreSQL under {pgdata}"
    assert lines[1].startswith("server:          reachable, PostgreSQL ")
    assert lines[2:] == [
        "schema:          not migrated: run `ledgerbridge db upgrade`",
        f"embedded server: running (pid {pid})",
    ]
    assert status.exit_code == 1, "a ledger not migrated is not usable"

    stopped = runner.invoke(app, ["db", "stop"])
    assert (stopped.exit_code, stopped.stdout) == (
        0,
        f"stopped the embedded PostgreSQL under {pgdata} (pid {pid})\n",
    )
    assert gone(pid)

    again = runner.invoke(app, ["db", "stop"])
    assert (again.exit_code, again.stdout) == (
        0,
        f"no embedded PostgreSQL is running under {pgdata}\n",
    )


def test_make_clean_stops_the_server_before_removing_its_folder(home: Path, tmp_path: Path) -> None:
    dry_run = subprocess.run(
        ["make", "-n", "clean"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.splitlines()
    stop = dry_run.index("sh scripts/stop-embedded-postgres.sh .ledgerbridge")
    remove = next(i for i, line in enumerate(dry_run) if line.startswith("rm -rf"))
    assert stop < remove and ".ledgerbridge" in dry_run[remove].split()

    pid = start_embedded_server(home)
    # from a folder without .venv: the script's own fast shutdown, as after a lost venv
    run = stop_script(home, cwd=tmp_path)
    assert (run.returncode, run.stdout) == (
        0,
        f"stopped the embedded PostgreSQL under {home}/pg (pid {pid})\n",
    )
    assert gone(pid)
    nothing = stop_script(home, cwd=tmp_path)
    assert (nothing.returncode, nothing.stdout) == (0, "")


def test_version() -> None:
    result = CliRunner().invoke(app, ["--version"])
    assert (result.exit_code, result.stdout) == (0, f"ledgerbridge {version('ledgerbridge')}\n")
