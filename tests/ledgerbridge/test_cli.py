"""The `ledgerbridge` command tells a configuration that cannot work in one line on
stderr, naming the setting, with exit status 2: no traceback, no secret."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from ledgerbridge.cli import main


def test_a_bad_setting_is_one_line_on_stderr(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("LEDGERBRIDGE_CONFIG", str(tmp_path / "absent.toml"))
    monkeypatch.setenv("LEDGERBRIDGE_SAGE100__BOI_BACKEND", "windows")
    monkeypatch.setenv("LEDGERBRIDGE_KASHFLOW__PASSWORD", "correct-horse-9")

    with pytest.raises(SystemExit) as exited:
        main(["db", "upgrade"])

    out, err = capsys.readouterr()
    assert exited.value.code == 2
    assert out == ""
    assert err == (
        "ledgerbridge: invalid configuration: sage100.boi_backend "
        "(LEDGERBRIDGE_SAGE100__BOI_BACKEND): Input should be 'sandbox' or 'com'\n"
    )


def test_the_installed_command_refuses_the_real_kashflow_with_the_sandbox_login(
    tmp_path: Path,
) -> None:
    command = Path(sys.executable).with_name("ledgerbridge")
    env = {
        **os.environ,
        "LEDGERBRIDGE_CONFIG": str(tmp_path / "absent.toml"),
        "LEDGERBRIDGE_KASHFLOW__BASE_URL": "https://api.kashflow.com/v2",
    }

    run = subprocess.run(
        [str(command), "demo"], env=env, capture_output=True, text=True, timeout=120
    )

    assert run.returncode == 2
    assert run.stdout == ""
    assert run.stderr.splitlines() == [
        "ledgerbridge: invalid configuration: kashflow: base_url points at the real KashFlow "
        "(api.kashflow.com) but username, password, memorable_word are still the sandbox's "
        "default; set the real login"
    ]
