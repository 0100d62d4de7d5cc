"""The KashFlow REST v2 client: one httpx connection pool, explicit timeouts, pacing
under the rate limit, retries with backoff honouring `Retry-After`, login and re-login
on `InvalidSessionToken`, and transparent paging over `{"Data", "MetaData"}`.

The transport is the seam: pass an `httpx.Client` or an `httpx.BaseTransport`, and the
same client talks to KashFlow, to the sandbox on a port, or to anything in process.
"""

from __future__ import annotations

import functools
import json
import logging
import re
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx
from pydantic import SecretStr

from canonical.errors import ConnectionLost, LedgerbridgeError, RateLimited, ValidationFailed
from canonical.retry import BeforeRetry
from connectors.kashflow.auth import Credentials, SessionToken, login
from connectors.kashflow.errors import (
    SYSTEM,
    InvalidSessionToken,
    NotSent,
    ServerError,
    error_for,
)
from connectors.kashflow.pacing import Pacer
from connectors.kashflow.resources import (
    BANK_ACCOUNTS,
    CUSTOMERS,
    GL_ACCOUNTS,
    INVOICES,
    PRODUCTS,
    PURCHASES,
    SUPPLIERS,
    Documents,
    Nominals,
    Payments,
    Quotes,
    RawResource,
    Resource,
    bulk_payments,
)
from connectors.kashflow.retry import RetryPolicy
from connectors.kashflow.settings import KashFlowSettings

log = logging.getLogger("connectors.kashflow")

_SESSION_PATH = re.compile(r"(/sessiontoken/)[^\s\"'?/]+")


class _SessionPathFilter(logging.Filter):
    """httpx logs every request URL; `DELETE /sessiontoken/{token}` carries the token."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.args and any("/sessiontoken/" in str(a) for a in record.args):
            args = record.args if isinstance(record.args, tuple) else (record.args,)
            record.args = tuple(
                _SESSION_PATH.sub(r"\1***", str(a)) if "/sessiontoken/" in str(a) else a
                for a in args
            )
        return True


if not any(isinstance(f, _SessionPathFilter) for f in logging.getLogger("httpx").filters):
    logging.getLogger("httpx").addFilter(_SessionPathFilter())

DEFAULT_BASE_URL = "https://api.kashflow.com/v2"
SAFE_METHODS = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS"})


@dataclass(frozen=True)
class _Call:
    """One KashFlow request: what is sent, and which record it concerns (for errors)."""

    method: str
    path: str
    params: Mapping[str, Any] | None = None
    json: Any = None
    entity: str | None = None
    key: str | None = None


@dataclass
class ClientStats:
    """What the client did: for logs, tests and the benchmark."""

    requests: int = 0
    retries: int = 0
    logins: int = 0
    rate_limited: int = 0
    rate_limited_at: list[float] = field(default_factory=list)
    """The client clock (`time.monotonic` by default) at each 429 received."""
    paced_seconds: float = 0.0
    by_status: dict[int, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Page:
    records: list[dict[str, Any]]
    total: int | None
    next_params: dict[str, str] | None


def parse_json(content: bytes) -> Any:
    """KashFlow JSON with fractional numbers read as exact decimals."""
    return json.loads(content, parse_float=Decimal)


def dumps(value: Any) -> bytes:
    """JSON for a request body, decimals written exactly (no float on the way)."""

    def encode(item: Any) -> str:
        if isinstance(item, Decimal):
            return format(item, "f")
        if isinstance(item, Mapping):
            return (
                "{" + ",".join(f"{json.dumps(str(k))}:{encode(v)}" for k, v in item.items()) + "}"
            )
        if isinstance(item, list | tuple):
            return "[" + ",".join(encode(v) for v in item) + "]"
        return json.dumps(item, ensure_ascii=False)

    return encode(value).encode()


class KashFlowClient:
    """`KashFlowClient(username=..., password=..., memorable_word=...)`; use as a context
    manager or call `close()`. Resources: `customers`, `suppliers`, `invoices`,
    `purchases`, `quotes`, `nominals`, `products`, `bank_accounts`, `payments`.
    """

    def __init__(
        self,
        *,
        username: str,
        password: SecretStr | str,
        memorable_word: SecretStr | str,
        base_url: str = DEFAULT_BASE_URL,
        requests_per_second: float | None = 10.0,
        timeout_seconds: float = 30.0,
        max_retries: int = 6,
        retry: RetryPolicy | None = None,
        http: httpx.Client | None = None,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.credentials = Credentials(
            username,
            password if isinstance(password, SecretStr) else SecretStr(password),
            memorable_word if isinstance(memorable_word, SecretStr) else SecretStr(memorable_word),
        )
        self.base_url = base_url.rstrip("/")
        self.timeout = httpx.Timeout(timeout_seconds)
        self.retry = retry or RetryPolicy(max_retries=max_retries)
        self._own_http = http is None
        self.http = http or httpx.Client(
            transport=transport,
            timeout=self.timeout,
            limits=httpx.Limits(max_keepalive_connections=10, max_connections=20),
            headers={"Accept": "application/json", "User-Agent": "ledgerbridge-kashflow/0.1"},
        )
        self.pacer = Pacer(requests_per_second, clock=clock, sleep=sleep)
        self._sleep = sleep
        self._clock = clock
        self._token: SessionToken | None = None
        self.stats = ClientStats()
        self.customers = Resource(self, CUSTOMERS)
        self.suppliers = Resource(self, SUPPLIERS)
        self.invoices = Documents(self, INVOICES)
        self.purchases = Documents(self, PURCHASES)
        self.quotes = Quotes(self)
        self.nominals = Nominals(self)
        self.gl_accounts = Resource(self, GL_ACCOUNTS)
        self.products = Resource(self, PRODUCTS)
        self.bank_accounts = RawResource(self, BANK_ACCOUNTS)
        self.invoice_bulk_payments = RawResource(self, bulk_payments("invoices"))
        self.purchase_bulk_payments = RawResource(self, bulk_payments("purchases"))
        self.payments = Payments(self)

    @classmethod
    def from_settings(cls, settings: KashFlowSettings, **overrides: Any) -> KashFlowClient:
        """From `KashFlowSettings`, read once at the edge; `overrides` take precedence."""
        options: dict[str, Any] = {
            "base_url": settings.base_url,
            "username": settings.username,
            "password": settings.password,
            "memorable_word": settings.memorable_word,
            "requests_per_second": settings.requests_per_second,
            "timeout_seconds": settings.timeout_seconds,
            "max_retries": settings.max_retries,
        }
        options.update(overrides)
        return cls(**options)

    def __repr__(self) -> str:
        return f"KashFlowClient(base_url={self.base_url!r}, username={self.credentials.username!r})"

    # -- lifecycle ------------------------------------------------------------------------
    def __enter__(self) -> KashFlowClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._own_http:
            self.http.close()

    def login(self) -> None:
        """Runs the two-step login now (it otherwise happens on first use)."""
        self._token = login(self._send_login, self.credentials)
        self.stats.logins += 1
        log.info("kashflow login", extra={"system": SYSTEM, "logins": self.stats.logins})

    def logout(self) -> None:
        """Ends the session (`DELETE /sessiontoken/{token}`)."""
        token, self._token = self._token, None
        if token is None:
            return
        try:
            self._attempt(_Call("DELETE", f"/sessiontoken/{token.reveal()}"), token)
        except LedgerbridgeError as exc:
            log.info(
                "kashflow logout refused", extra={"system": SYSTEM, "error": type(exc).__name__}
            )

    def payment_methods(self, kind: str = "invoice") -> list[dict[str, Any]]:
        """`GET /paymentmethods/{type}` (`invoice` or `purchase`)."""
        methods = self.request("GET", f"/paymentmethods/{kind}", entity="payment_method")
        return [dict(m) for m in methods or []]

    @property
    def logged_in(self) -> bool:
        return self._token is not None

    # -- requests -------------------------------------------------------------------------
    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        entity: str | None = None,
        key: str | None = None,
        idempotent: bool | None = None,
    ) -> Any:
        """One KashFlow call with login, pacing and retries; returns the parsed JSON.

        A non-idempotent call (POST) is retried only when it surely did not happen
        (429, connection refused); other uncertain failures are raised for the caller,
        which looks the record up before posting again (see `resources`).
        """
        method = method.upper()
        idempotent = method in SAFE_METHODS if idempotent is None else idempotent
        call = _Call(method, path, params, json, entity, key)
        relogins = 0
        while True:
            if self._token is None:
                self.login()
            token = self._token
            assert token is not None
            try:
                return self.retry.call(
                    functools.partial(self._attempt, call, token),
                    may_retry=lambda exc: self.may_retry(exc, idempotent=idempotent),
                    sleep=self._sleep,
                    before_retry=self._retrying_told(method, path),
                )
            except InvalidSessionToken:
                # Not a failure to back off from: log in again (twice at most).
                if relogins >= 2:
                    raise
                relogins += 1
                if self._token is token:
                    self._token = None
                log.info("kashflow session expired; logging in again", extra={"system": SYSTEM})

    def may_retry(self, exc: BaseException, *, idempotent: bool) -> bool:
        """Whether the shared retry policy may try `exc`'s call again: transient errors
        only, and a non-idempotent call only when it surely did not happen."""
        if not isinstance(exc, RateLimited | ServerError | ConnectionLost):
            return False
        if isinstance(exc, ServerError) and exc.status not in self.retry.statuses:
            return False
        if idempotent or isinstance(exc, RateLimited):
            return True
        return isinstance(exc, NotSent)

    def _retrying_told(self, method: str, path: str) -> BeforeRetry:
        def told(exc: BaseException, attempt: int, delay: float) -> None:
            self.before_retry(exc, attempt, delay, method, path)

        return told

    def before_retry(
        self, exc: BaseException, attempt: int, delay: float, method: str, path: str
    ) -> None:
        """Counted, logged, and a `Retry-After` holds every request of this client."""
        if isinstance(exc, RateLimited) and exc.retry_after is not None:
            self.pacer.hold(delay)
        self.stats.retries += 1
        log.warning(
            "kashflow call failed; retrying",
            extra={
                "system": SYSTEM,
                "method": method,
                "path": _redacted(path),
                "error": type(exc).__name__,
                "attempt": attempt + 1,
                "delay_seconds": round(delay, 3),
            },
        )

    def _attempt(self, call: _Call, token: SessionToken | None = None) -> Any:
        """One HTTP exchange, paced, its outcome typed."""
        method, path, entity, key = call.method, call.path, call.entity, call.key
        self.stats.paced_seconds += self.pacer.wait()
        headers = {"Authorization": token.header} if token is not None else {}
        content = None
        if call.json is not None:
            content = dumps(call.json)
            headers["Content-Type"] = "application/json"
        url = f"{self.base_url}{path}"
        self.stats.requests += 1
        started = self._clock()
        try:
            response = self.http.request(
                method, url, params=dict(call.params or {}), content=content, headers=headers,
                timeout=self.timeout,
            )  # fmt: skip
        except httpx.TransportError as exc:
            kind = NotSent if isinstance(exc, httpx.ConnectError) else ConnectionLost
            raise kind(
                f"{type(exc).__name__} talking to KashFlow",
                system=SYSTEM,
                entity=entity,
                key=key,
                remote_message=self._scrub(str(exc)),
            ) from None
        status = response.status_code
        self.stats.by_status[status] = self.stats.by_status.get(status, 0) + 1
        log.debug(
            "kashflow call",
            extra={
                "system": SYSTEM,
                "method": method,
                "path": _redacted(path),
                "status": status,
                "seconds": round(self._clock() - started, 4),
            },
        )
        if status == 429:
            self.stats.rate_limited += 1
            self.stats.rate_limited_at.append(self._clock())
        if status >= 400:
            raise error_for(response, entity=entity, key=key, now=time.time())
        if not response.content.strip():
            return None
        try:
            return parse_json(response.content)
        except ValueError:
            raise ConnectionLost(
                "KashFlow answer was cut short (not complete JSON)",
                system=SYSTEM,
                entity=entity,
                key=key,
            ) from None

    def _send_login(self, method: str, path: str, body: dict[str, Any]) -> Any:
        """A login step: paced and retried like any call, but with no session header.
        Both steps are safe to repeat (step one only issues a new temporary token), but
        the PUT of step two is retried only when rate limited."""

        def may_retry(exc: BaseException) -> bool:
            if method == "PUT" and not isinstance(exc, RateLimited):
                return False
            return self.may_retry(exc, idempotent=True)

        return self.retry.call(
            lambda: self._attempt(_Call(method, path, json=body, entity="session")),
            may_retry=may_retry,
            sleep=self._sleep,
            before_retry=self._retrying_told(method, path),
        )

    def _scrub(self, text: str) -> str:
        secrets = [
            self.credentials.password.get_secret_value(),
            self.credentials.memorable_word.get_secret_value(),
        ]
        if self._token is not None:
            secrets.append(self._token.reveal())
        for secret in secrets:
            if secret and len(secret) >= 4:
                text = text.replace(secret, "***")
        return _redacted(text)

    # -- paging ---------------------------------------------------------------------------
    def page(self, path: str, params: Mapping[str, Any], *, entity: str | None = None) -> Page:
        body = self.request("GET", path, params=params, entity=entity)
        if isinstance(body, list):  # some lists come bare, without the wrapper
            return Page(body, len(body), None)
        if not isinstance(body, Mapping):
            raise ValidationFailed(
                "KashFlow list answer is neither a list nor {Data, MetaData}",
                system=SYSTEM,
                entity=entity,
            )
        folded = {str(k).lower(): v for k, v in body.items()}
        records = list(folded.get("data") or [])
        meta = {str(k).lower(): v for k, v in (folded.get("metadata") or {}).items()}
        total = meta.get("totalrecords")
        next_url = meta.get("nextpageurl")
        next_params = dict(parse_qsl(urlsplit(next_url).query)) if next_url else None
        return Page(records, int(total) if total is not None else None, next_params)

    def paginate(
        self,
        path: str,
        params: Mapping[str, Any] | None = None,
        *,
        perpage: int = 100,
        entity: str | None = None,
    ) -> Iterator[dict[str, Any]]:
        """Every record of a list, page after page, following `MetaData.NextPageUrl`
        (only its query is used, against our own base URL)."""
        query: dict[str, Any] = {"page": 1, "perpage": perpage, **(params or {})}
        seen = 0
        while True:
            page = self.page(path, query, entity=entity)
            yield from page.records
            seen += len(page.records)
            if not page.records or page.next_params is None:
                return
            if page.total is not None and seen >= page.total:
                return
            query = {**query, **page.next_params}


def _redacted(path: str) -> str:
    """Paths that carry the session token never reach a log."""
    if "/sessiontoken/" in path:
        head, _, _ = path.partition("/sessiontoken/")
        return f"{head}/sessiontoken/***"
    return path
