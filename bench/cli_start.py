"""How long the `ledgerbridge` command takes to start: the wall time, and the CPU time
(user + system, which a loaded machine shifts less), of a few commands that only print
their help (so nothing but imports and argument parsing is measured), each run in a
fresh interpreter several times, alternating, reporting the medians.

`ledgerbridge --help` lists every command; `db --help`, `reconcile --help` and
`serve --help` load one command's module each (the ledger's, the matcher's with
scikit-learn, the control API's with FastAPI). The machine's load shifts every figure:
compare runs made side by side (the same rounds against another checkout with
`--pythonpath`).

    python bench/cli_start.py [--quick] [--rounds N] [--pythonpath DIR]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

COMMANDS = {
    "help": ["--help"],
    "db_help": ["db", "--help"],
    "reconcile_help": ["reconcile", "--help"],
    "serve_help": ["serve", "--help"],
}
"""Name -> the arguments of one `ledgerbridge` start."""

LAUNCH = "import sys; from ledgerbridge.cli import main; sys.argv[0] = 'ledgerbridge'; main()"
"""What the installed `ledgerbridge` script runs."""


def start_seconds(args: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall and CPU seconds of one start."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-P", "-c", LAUNCH, *args],  # -P: the code is PYTHONPATH's, not cwd's
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        timeout=300,
    )
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2 rounds (default 7)")
    parser.add_argument("--rounds", type=int, default=None)
    parser.add_argument(
        "--pythonpath", default=None, help="Measure the checkout at DIR (default: this one)."
    )
    args = parser.parse_args()
    rounds = args.rounds or (2 if args.quick else 7)
    env = {**os.environ, "PYTHONPATH": args.pythonpath or str(ROOT), "COLUMNS": "100"}
    wall: dict[str, list[float]] = {name: [] for name in COMMANDS}
    cpu: dict[str, list[float]] = {name: [] for name in COMMANDS}
    for _ in range(rounds):
        for name, command in COMMANDS.items():
            seconds, cpu_seconds = start_seconds(command, env)
            wall[name].append(seconds)
            cpu[name].append(cpu_seconds)
    load = os.getloadavg()[0]
    print(f"# {env['PYTHONPATH']}: {rounds} rounds; load average (1 min) at the end: {load:.2f}")
    for name, command in COMMANDS.items():
        runs = ", ".join(f"{t:.2f}" for t in wall[name])
        print(f"ledgerbridge {' '.join(command):18} wall {statistics.median(wall[name]):6.2f} s"
              f"  cpu {statistics.median(cpu[name]):6.2f} s  (wall: {runs})")  # fmt: skip
    print(
        " ".join(
            f"{name}_seconds={statistics.median(wall[name]):.2f}"
            f" {name}_cpu_seconds={statistics.median(cpu[name]):.2f}"
            for name in COMMANDS
        )
    )


if __name__ == "__main__":
    main()
