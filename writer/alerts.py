"""Alerts: when dead letters appear or an intent keeps failing, one log line at ERROR
and, when a webhook URL is configured, a POST of a JSON summary to it. A webhook that
cannot be reached is logged, never raised: an alert must not stop the writer."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

import httpx

log = logging.getLogger("writer.alerts")


class Alerter:
    def __init__(self, webhook_url: str | None = None, timeout_seconds: float = 5.0) -> None:
        self.webhook_url = webhook_url
        self.timeout_seconds = timeout_seconds
        self.sent: list[dict[str, Any]] = []
        """Every summary raised, newest last (what the webhook was sent)."""

    def dead_letters(self, letters: Sequence[Mapping[str, Any]]) -> None:
        if letters:
            self._raise_alert("dead_letters", f"{len(letters)} write(s) dead-lettered", letters)

    def keeps_failing(self, failures: Sequence[Mapping[str, Any]]) -> None:
        if failures:
            self._raise_alert(
                "keeps_failing", f"{len(failures)} write(s) keep failing transiently", failures
            )

    def _raise_alert(self, kind: str, summary: str, items: Sequence[Mapping[str, Any]]) -> None:
        body = {"alert": kind, "summary": summary, "count": len(items), "items": list(items)}
        self.sent.append(body)
        first = items[0]
        log.error(
            "writer alert: %s (first: %s %s %s: %s)",
            summary, first.get("system"), first.get("entity"), first.get("key"),
            first.get("message"),
        )  # fmt: skip
        if self.webhook_url is None:
            return
        try:
            httpx.post(self.webhook_url, json=body, timeout=self.timeout_seconds).raise_for_status()
        except httpx.HTTPError as failed:
            log.error("writer alert webhook failed: %s", type(failed).__name__)
