"""How long the `ledgerbridge` command takes to start: the wall time of a few commands that
only print their help (so nothing but imports and argument parsing is measured), each run
in a fresh interpreter several times, alternating, reporting the median.

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
import statistics
import subprocess
import sys
import time

COMMANDS = {
    "help": ["--help"],
    "db_help": ["db", "--help"],
    "reconcile_help": ["reconcile", "--help"],
    "serve_help": ["serve", "--help"],
}
"""Name -> the arguments of one `ledgerbridge` start."""

LAUNCH = "import sys; from ledgerbridge.cli import main; sys.argv[0] = 'ledgerbridge'; main()"
"""What the installed `ledgerbridge` script runs."""


def start_seconds(args: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-c", LAUNCH, *args],
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        timeout=300,
    )
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2 rounds (default 7)")
    parser.add_argument("--rounds", type=int, default=None)
    parser.add_argument(
        "--pythonpath", default=None, help="Measure the checkout at DIR (default: this one)."
    )
    args = parser.parse_args()
    rounds = args.rounds or (2 if args.quick else 7)
    env = dict(os.environ)
    if args.pythonpath:
        env["PYTHONPATH"] = args.pythonpath
    env["COLUMNS"] = "100"
    times: dict[str, list[float]] = {name: [] for name in COMMANDS}
    for _ in range(rounds):
        for name, command in COMMANDS.items():
            times[name].append(start_seconds(command, env))
    load = os.getloadavg()[0]
    print(f"# {rounds} rounds; load average (1 min) at the end: {load:.2f}")
    for name, command in COMMANDS.items():
        runs = ", ".join(f"{t:.2f}" for t in times[name])
        print(f"ledgerbridge {' '.join(command):18} median {statistics.median(times[name]):6.2f} s"
              f"  ({runs})")  # fmt: skip
    print(" ".join(f"{name}_seconds={statistics.median(t):.2f}" for name, t in times.items()))


if __name__ == "__main__":
    main()
