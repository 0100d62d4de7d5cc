"""`keep_freed_memory` reaches polars' allocator: set before polars loads, freed buffers are
reused instead of being handed back to the kernel and faulted in again (counted in page
faults of a child process, so nothing here depends on this process having loaded polars)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

from matcher.allocator import ALLOCATOR_ENV, KEEP_FREED_CONF, keep_freed_memory

CYCLES = """
import os, resource, sys, time
if sys.argv[1] == "keep":
    from matcher.allocator import keep_freed_memory
    assert keep_freed_memory()
    assert not keep_freed_memory()
import polars as pl
print(os.environ.get("{env}", ""))
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(5):
    frame = pl.DataFrame({{"x": pl.arange(0, 20_000_000, eager=True)}})
    frame.select(pl.col("x") * 2).sum()
    del frame
    time.sleep(1.5)  # longer than polars' own decay (1 s at most), far short of ours
print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
"""


def run_cycles(mode: str) -> tuple[str, int]:
    script = textwrap.dedent(CYCLES.format(env=ALLOCATOR_ENV))
    env = {k: v for k, v in os.environ.items() if k != ALLOCATOR_ENV}
    done = subprocess.run(
        [sys.executable, "-c", script, mode], capture_output=True, text=True, env=env, check=True
    )
    conf, faults = done.stdout.split()
    return conf, int(faults)


def test_freed_memory_is_kept_for_reuse_when_set_before_polars_loads() -> None:
    default_conf, default_faults = run_cycles("default")
    kept_conf, kept_faults = run_cycles("keep")
    assert KEEP_FREED_CONF not in default_conf
    assert kept_conf.endswith(KEEP_FREED_CONF)  # after polars' own, so it wins
    # Five cycles of 320 MB: polars' settings fault them in each time, ours about once.
    assert kept_faults * 2 < default_faults, (kept_faults, default_faults)


def test_too_late_once_polars_is_loaded(monkeypatch: pytest.MonkeyPatch) -> None:
    import polars  # noqa: F401

    monkeypatch.delenv(ALLOCATOR_ENV, raising=False)
    assert keep_freed_memory() is False
    assert ALLOCATOR_ENV not in os.environ
