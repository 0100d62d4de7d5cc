"""What stands in front of the sandbox's routes: request counting, the per-token rate
limit (429 with `Retry-After`) and fault injection (status bursts, slow answers, dropped
connections, truncated bodies).

It is plain ASGI so it can do what a route cannot: lose the connection halfway.
"""

from __future__ import annotations

import asyncio
import json
import math
import random
import threading
import time
from collections import Counter
from collections.abc import Awaitable, Callable, MutableMapping
from email.utils import formatdate
from typing import Any

from sandbox.kashflow.config import FaultPlan, SandboxConfig

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

ERROR_TEXT = {
    429: ("TooManyRequests", "Too many requests. Retry after the time given in Retry-After."),
    500: ("InternalServerError", "An unexpected error occurred."),
    502: ("BadGateway", "The server received an invalid response from upstream."),
    503: ("ServiceUnavailable", "The service is temporarily unavailable."),
    504: ("GatewayTimeout", "The upstream server did not answer in time."),
}


COUNTED_FAULTS = ("drop", "truncate", "drop_after_commit", "slow")
"""The faults a `FaultPlan` counts down in `<fault>_count`, in the order they are taken."""


class ConnectionDropped(Exception):
    """Raised inside the server to make uvicorn close the connection mid-answer."""


class TokenBucket:
    """`rate` requests a second on average, up to `burst` at once."""

    def __init__(self, rate: float, burst: int, now: float) -> None:
        self.rate = rate
        self.burst = burst
        self.tokens = float(burst)
        self.stamp = now

    def take(self, now: float) -> float:
        """0 when the request may go; otherwise seconds until it could."""
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens >= 1:
            self.tokens -= 1
            return 0.0
        return (1 - self.tokens) / self.rate


class Gate:
    def __init__(self, app: ASGIApp, config: SandboxConfig) -> None:
        self.app = app
        self.config = config
        self.faults = config.faults.model_copy(deep=True)
        self._buckets: dict[str, TokenBucket] = {}
        self._lock = threading.Lock()
        self._random = random.Random(config.seed)
        self.requests: Counter[str] = Counter()
        self.rate_limited = 0
        self.started = time.monotonic()

    # -- configuration from the admin path ---------------------------------------------
    def set_faults(self, plan: FaultPlan) -> None:
        with self._lock:
            self.faults = plan

    def set_limit(self, rate: float | None, burst: int | None) -> None:
        with self._lock:
            self.config.rate_limit_per_second = rate
            self.config.rate_limit_burst = burst
            self._buckets.clear()

    def stats(self) -> dict[str, Any]:
        with self._lock:
            return {
                "Requests": sum(self.requests.values()),
                "ByPath": dict(self.requests),
                "RateLimited": self.rate_limited,
            }

    def reset_stats(self) -> None:
        with self._lock:
            self.requests.clear()
            self.rate_limited = 0

    # -- the gate ----------------------------------------------------------------------
    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or not path.startswith("/v2"):
            await self.app(scope, receive, send)
            return
        method = scope["method"]
        with self._lock:
            self.requests[f"{method} {path}"] += 1
        fault = self._next_fault(method, path)
        if fault == "slow":
            await asyncio.sleep(self.faults.slow_seconds)
        elif fault is not None and fault.isdigit():
            await self._error(send, int(fault), self.faults.retry_after)
            return
        elif fault == "drop":
            await send(
                {"type": "http.response.start", "status": 200, "headers": _json_headers(4096)}
            )
            raise ConnectionDropped("sandbox fault: connection dropped")
        wait = self._rate_wait(scope)
        if wait > 0:
            with self._lock:
                self.rate_limited += 1
            await self._error(send, 429, self._retry_after(wait))
            return
        if fault in ("truncate", "drop_after_commit"):
            await self._cut_short(scope, receive, send, fault)
            return
        await self.app(scope, receive, send)

    def _next_fault(self, method: str, path: str) -> str | None:
        with self._lock:
            plan = self.faults
            if not path.startswith(plan.path_prefix):
                return None
            if plan.methods is not None and method.upper() not in [m.upper() for m in plan.methods]:
                return None
            if plan.statuses:
                return str(plan.statuses.pop(0))
            for fault in COUNTED_FAULTS:
                left = getattr(plan, f"{fault}_count")
                if left > 0:
                    setattr(plan, f"{fault}_count", left - 1)
                    return fault
            if plan.random_5xx_rate and self._random.random() < plan.random_5xx_rate:
                return "503"
        return None

    def _rate_wait(self, scope: Scope) -> float:
        rate = self.config.rate_limit_per_second
        if not rate:
            return 0.0
        key = _token(scope) or f"anonymous:{(scope.get('client') or ('?',))[0]}"
        now = time.monotonic()
        with self._lock:
            bucket = self._buckets.get(key)
            if bucket is None:
                bucket = self._buckets[key] = TokenBucket(rate, self.config.burst, now)
            return bucket.take(now)

    def _retry_after(self, wait: float) -> str:
        seconds = max(1, math.ceil(wait))
        if self.config.retry_after_format == "http-date":
            return formatdate(time.time() + seconds, usegmt=True)
        return str(seconds)

    async def _error(self, send: Send, status: int, retry_after: str | None) -> None:
        error, message = ERROR_TEXT.get(status, ("Error", "Injected fault."))
        body = json.dumps({"Error": error, "Message": message}).encode()
        headers = _json_headers(len(body))
        if status == 429 and retry_after:
            headers.append((b"retry-after", retry_after.encode()))
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    async def _cut_short(self, scope: Scope, receive: Receive, send: Send, fault: str) -> None:
        """Runs the request for real, then loses the connection before the answer is whole."""
        start: Message | None = None
        chunks: list[bytes] = []

        async def capture(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                start = message
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        await self.app(scope, receive, capture)
        body = b"".join(chunks)
        assert start is not None
        await send(start)
        if fault == "truncate" and body:
            await send(
                {"type": "http.response.body", "body": body[: len(body) // 2], "more_body": True}
            )
        raise ConnectionDropped(f"sandbox fault: {fault}")


def _json_headers(length: int) -> list[tuple[bytes, bytes]]:
    return [(b"content-type", b"application/json"), (b"content-length", str(length).encode())]


def _token(scope: Scope) -> str | None:
    for name, value in scope.get("headers", []):
        if name == b"authorization":
            text = value.decode("latin-1").strip()
            if text[:7].lower() == "kftoken":
                return text[7:].strip() or None
    return None
