"""Prometheus metrics (prometheus-client, text format at `/metrics`): API latency histograms
by route, measured in a middleware, and the ledger's figures read at scrape time: records
synced per stream, lag per stream, open dead letters, job queue depth, webhook deliveries."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, NamedTuple

from fastapi import FastAPI
from prometheus_client import CollectorRegistry, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from psycopg_pool import ConnectionPool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.services.health import LedgerFigures, ledger_figures

log = logging.getLogger("api")
LEDGER_UP = "ledgerbridge_ledger_up"
UP_HELP = "Whether the ledger answered."


class LedgerCollector(Collector):
    """Reads the ledger's figures when Prometheus scrapes (one short query each)."""

    def __init__(self, pool: ConnectionPool[Any]) -> None:
        self.pool = pool

    def collect(self) -> Iterator[Metric]:
        try:
            with self.pool.connection(timeout=5) as conn:
                figures = ledger_figures(conn)
        except Exception as error:  # a scrape must not fail because the database is down
            log.warning("metrics: the ledger did not answer", extra={"error": type(error).__name__})
            yield _family(GaugeMetricFamily, LEDGER_UP, UP_HELP, [], [([], 0)])
            return
        yield _family(GaugeMetricFamily, LEDGER_UP, UP_HELP, [], [([], 1)])
        for kind, name, documentation, labels, samples in FIGURES:
            yield _family(kind, name, documentation, labels, samples(figures))


Samples = Iterable[tuple[Sequence[str], float]]


class _Figure(NamedTuple):
    """One of the ledger's figures as a metric family, and how to read its samples."""

    kind: type[GaugeMetricFamily | CounterMetricFamily]
    name: str
    documentation: str
    labels: list[str]
    samples: Callable[[LedgerFigures], Samples]


FIGURES: tuple[_Figure, ...] = (
    _Figure(
        CounterMetricFamily,
        "ledgerbridge_records_synced",
        "Record versions appended by polls and webhooks.",
        ["system", "entity"],
        lambda f: sorted(f.records_synced.items()),
    ),
    _Figure(
        GaugeMetricFamily,
        "ledgerbridge_stream_lag_seconds",
        "Seconds since the stream's last poll that worked.",
        ["stream"],
        lambda f: [([s.stream], s.lag_seconds) for s in f.streams if s.lag_seconds is not None],
    ),
    _Figure(
        GaugeMetricFamily,
        "ledgerbridge_dead_letters_open",
        "Dead letters no one has asked to retry.",
        [],
        lambda f: [([], f.open_dead_letters)],
    ),
    _Figure(
        GaugeMetricFamily,
        "ledgerbridge_queue_depth",
        "Jobs waiting or running.",
        ["status"],
        lambda f: [([status], f.queue_depth.get(status, 0)) for status in ("todo", "doing")],
    ),
    _Figure(
        CounterMetricFamily,
        "ledgerbridge_webhook_events",
        "Webhook deliveries, taken or refused.",
        ["source", "outcome"],
        lambda f: sorted(f.webhook_events.items()),
    ),
)
"""The ledger's figures Prometheus reads at each scrape."""


def _family(
    kind: type[GaugeMetricFamily | CounterMetricFamily],
    name: str,
    documentation: str,
    labels: list[str],
    samples: Samples,
) -> Metric:
    """A metric family of `kind` holding one sample per (label values, value)."""
    family = kind(name, documentation, labels=labels)
    for values, value in samples:
        family.add_metric(list(values), value)
    return family


class ApiMetrics:
    """One registry per app (so two apps in one process never collide)."""

    def __init__(self, pool: ConnectionPool[Any]) -> None:
        self.registry = CollectorRegistry()
        self.latency = Histogram(
            "ledgerbridge_api_request_seconds",
            "API request latency by route template, method and status.",
            ["method", "route", "status"],
            registry=self.registry,
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
        )
        self.registry.register(LedgerCollector(pool))

    def install(self, app: FastAPI) -> None:
        app.add_middleware(LatencyMiddleware, histogram=self.latency)


class LatencyMiddleware:
    """Times every HTTP request by its route template (a plain ASGI middleware: no
    per-request task or body buffering)."""

    def __init__(self, app: ASGIApp, histogram: Histogram) -> None:
        self.app = app
        self.histogram = histogram
        self.children: dict[tuple[str, str, int], Any] = {}
        """The histogram's series by method, route and status (`labels` looks them up
        under a lock each time)."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def sent(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, sent)
        finally:
            route = scope.get("route")
            template = getattr(route, "path", None) or "unmatched-route"
            key = (scope["method"], template, status)
            child = self.children.get(key)
            if child is None:
                child = self.children[key] = self.histogram.labels(*key[:2], str(status))
            child.observe(time.perf_counter() - started)
