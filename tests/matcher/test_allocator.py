"""`keep_freed_memory` reaches polars' allocator: set before polars loads, freed buffers are
reused instead of being handed back to the kernel and faulted in again (counted in page
faults of a child process, so nothing here depends on this process having loaded polars).
And glibc's heap, which numpy's arrays come from: large blocks are reused, and handed back
when asked."""

from __future__ import annotations

import os
import platform
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


HEAP_CYCLES = """
import os, resource, sys
import numpy as np
from matcher.allocator import keep_freed_heap_blocks, release_freed_heap
if sys.argv[1] == "keep":
    assert keep_freed_heap_blocks()
def rss_mb():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") // (1 << 20)
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(5):
    column = np.ones(10_000_000)  # 80 MB, as a 10M book's columns are
    del column
faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before
column = np.ones(10_000_000)
del column
held = rss_mb()
released = release_freed_heap()
print(faults, held, rss_mb(), released)
"""


def run_heap_cycles(mode: str) -> tuple[int, int, int, str]:
    # numpy's transparent huge pages off: page faults then count 4 kB pages, whatever the
    # machine's setting.
    env = {**os.environ, "NUMPY_MADVISE_HUGEPAGE": "0"}
    command = [sys.executable, "-c", HEAP_CYCLES, mode]
    done = subprocess.run(command, capture_output=True, text=True, env=env, check=True)
    faults, held, after, released = done.stdout.split()
    return int(faults), int(held), int(after), released


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="glibc's malloc only")
def test_large_numpy_blocks_are_reused_from_the_heap_and_handed_back_when_asked() -> None:
    default_faults, default_held, _, _ = run_heap_cycles("default")
    kept_faults, kept_held, released_to, released = run_heap_cycles("keep")
    # Five 80 MB arrays: glibc's defaults map and zero each afresh, kept it is one.
    assert kept_faults * 3 < default_faults, (kept_faults, default_faults)
    # Freed, the last one stays in the heap until `release_freed_heap` hands it back.
    assert kept_held >= released_to + 60, (kept_held, released_to)
    assert released == "True"
    assert default_held < kept_held
