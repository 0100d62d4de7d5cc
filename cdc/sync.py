"""`sync --once`: every stream polled once, in dependency order (masters before the
documents that name them), each as its own run; a failing stream is reported and the
others still run — except the other streams of a system that could not be reached or
refused the login, which are reported as not polled rather than tried again."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import psycopg

from canonical import AuthenticationFailed, ConnectionLost
from cdc.poll import PollFailed, PollReport, poll_stream
from cdc.streams import STREAMS, Sources, Stream


def sync_once(
    url: str,
    sources: Sources,
    streams: Sequence[Stream] = STREAMS,
    *,
    thorough: bool = True,
    on_start: Callable[[Stream], None] = lambda stream: None,
    on_done: Callable[[Stream, PollReport], None] = lambda stream, report: None,
) -> list[PollReport]:
    """Polls each of `streams` once; returns one report per stream (failed ones say why).

    `thorough` (the default here) runs the slower checks now whatever their cadence —
    the KashFlow document sweep and the Sage 100 key-set diff — so one sync leaves the
    ledger holding exactly what both systems hold."""
    reports = []
    unreachable: dict[str, str] = {}
    with psycopg.connect(url, autocommit=True) as conn:
        for stream in streams:
            on_start(stream)
            if stream.system in unreachable:
                report = PollReport(stream.system, stream.entity, 0, status="failed")
                report.error = f"not polled: {unreachable[stream.system]}"
            else:
                try:
                    report = poll_stream(
                        conn, sources, stream, thorough=thorough, reason="sync --once"
                    )
                except PollFailed as failure:  # reported; the other streams still run
                    report = failure.report
                    if isinstance(failure.__cause__, ConnectionLost | AuthenticationFailed):
                        unreachable[stream.system] = f"{stream.name} failed: {report.error}"
            reports.append(report)
            on_done(stream, report)
    return reports
