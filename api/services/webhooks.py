"""Webhook intake for the systems around KashFlow: an eCommerce platform posts orders, a
payment gateway posts payments. Every delivery is recorded in `ledger.webhook_event`,
taken or refused with the reason; nothing refused is processed.

A delivery is taken when, in this order: the source is known and has a secret; the body is
within the size limit; `X-Webhook-Timestamp` (Unix seconds) is within the tolerance of now;
`X-Webhook-Signature` is ``sha256=`` and the hex HMAC-SHA256, under the source's secret,
of the timestamp, a full stop and the raw body; the body is a JSON event
``{"id", "type", "data"}`` holding no NUL character (PostgreSQL's json and text cannot
store one), of a type the source sends, whose data makes a valid canonical record; and its
id has not been taken before. The record (a SalesInvoice of system ``ecommerce`` for an
order, appended after its shop customer when the order carries one as ``data.customer``; a
Customer of that system for a customer event; a Payment of system ``gateway`` for a
payment) is appended to the ledger in the same transaction as the event's row, so a
delivery repeated any number of times reaches the ledger once. Then the polls the event
concerns are asked for, and, once the event is committed, the writer flows that consume
its source are planned by the writer's own planner and their new intents recorded in its
outbox (`WriterWork`), for the writer's applier to write.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Annotated, Any

import orjson
import psycopg
from pydantic import BaseModel, Field, SecretStr, TypeAdapter, ValidationError

from api.services.decisions import RecordRef
from api.services.errors import ServiceError
from api.services.texts import NoNul
from canonical import CanonicalRecord, Customer, LedgerbridgeError, record_type
from ledger import NewVersion, append_versions, finish_run, start_run
from writer.plan import plan_all, submit_plan
from writer.rules import Rules

log = logging.getLogger("api.webhooks")

TIMESTAMP_HEADER = "x-webhook-timestamp"
SIGNATURE_HEADER = "x-webhook-signature"
EVENT_ID_MAX = 200
# The fields a refusal names, as FastAPI names a request's parts: unlike the other services
# this one reads the request itself (the path's source, the headers, the raw body, which no
# model validates), so it names each where it came from, as a route does for the others.
SOURCE = "path.source"
TIMESTAMP = f"header.{TIMESTAMP_HEADER}"
SIGNATURE = f"header.{SIGNATURE_HEADER}"
BODY = "body"


def _in_body(field: str) -> str:
    """A field of the event, as a refusal names it: in the request's body."""
    return f"{BODY}.{field}"


@dataclass(frozen=True)
class EventKind:
    entity: str
    deletes: bool = False


EVENT_TYPES: dict[str, dict[str, EventKind]] = {
    "ecommerce": {
        "order.created": EventKind("sales_invoice"),
        "order.updated": EventKind("sales_invoice"),
        "order.cancelled": EventKind("sales_invoice", deletes=True),
        "customer.created": EventKind("customer"),
        "customer.updated": EventKind("customer"),
    },
    "gateway": {
        "payment.succeeded": EventKind("payment"),
        "payment.updated": EventKind("payment"),
    },
}
POLLS_OF: dict[str, tuple[tuple[str, str], ...]] = {
    # An order becomes a KashFlow invoice (and maybe a new customer) by the platform's
    # integration; a gateway payment is recorded in KashFlow against the invoice.
    "ecommerce": (("kashflow", "customer"), ("kashflow", "sales_invoice")),
    "gateway": (("kashflow", "sales_invoice"),),
}
FLOWS_OF: dict[str, tuple[str, ...]] = {
    # writer.flows.ecommerce plans orders (and their new customers) and gateway payments.
    "ecommerce": ("ecommerce",),
    "gateway": ("ecommerce",),
}
"""The writer flows (names of `writer.plan.FLOWS`) that consume each source's records."""
PollRequest = Callable[[str, str, str], "int | None"]
PLAN_LOCK = "ledgerbridge.writer.plan"
STORABLE: TypeAdapter[str] = TypeAdapter(Annotated[str, NoNul])
"""A text of an event the ledger can store (every one, its keys' too, ends in a json or
text column)."""


@dataclass(frozen=True)
class WriterWork:
    """How an event reaches the writer: the flows it concerns are planned over the ledger
    with the writer's rules and approval threshold, and the plan is stored: new intents in
    the outbox, each once (its idempotency key decides), where the workers' apply tick
    (`writer.tasks`) finds them; refusals as dead letters."""

    rules: Rules
    approval_threshold: Decimal

    def plan(
        self, conn: psycopg.Connection[Any], flows: Sequence[str], record: RecordRef
    ) -> tuple[int, list[str]]:
        """Plans `flows` and stores the plan as `ledgerbridge sync` does (`submit_plan`:
        new intents in the outbox, conflicts as decisions, refusals as dead letters); how
        many intents were new, and why the planner refused `record` if it did (one line
        each). Commits, which ends the planner's lock."""
        # One planner at a time: two plans at once could number two orders alike.
        conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (PLAN_LOCK,))
        planned = plan_all(
            conn, self.rules, approval_threshold=self.approval_threshold, flows=flows
        )
        added = submit_plan(conn, planned).intents
        refused = [
            r.line() for r in planned.rejections
            if (r.system, r.entity, r.key) == (record.system, record.entity, record.key)
        ]  # fmt: skip
        return added, refused


class WebhookRefused(ServiceError):
    """A delivery refused: the status, a short code for the records, and why."""

    def __init__(self, status: int, code: str, detail: str, field: str | None = None) -> None:
        super().__init__(detail, field)
        self.status = status
        self.code = code
        self.title = {
            400: "Bad webhook request", 401: "Webhook signature refused",
            404: "Unknown webhook source", 409: "Webhook event replayed",
            413: "Webhook body too large", 422: "Webhook event invalid",
        }.get(status, "Webhook refused")  # fmt: skip


class WebhookTaken(BaseModel):
    """A delivery taken: the event, the record it became and the polls it asked for."""

    event_id: str = Field(examples=["evt_1001"])
    event_type: str = Field(examples=["order.created"])
    record: RecordRef
    version: int | None = Field(description="The version appended; null when unchanged.")
    run_id: int
    polls_requested: list[str] = Field(examples=[["kashflow:sales_invoice"]])
    flows_planned: list[str] = Field(
        default=[], description="The writer flows planned for it.", examples=[["ecommerce"]]
    )
    intents_recorded: int = Field(
        default=0, description="New writes the writer will make because of it.", examples=[1]
    )
    writer_refused: list[str] = Field(
        default=[], description="Why the writer planned no write for its record, if it did not.",
        examples=[["ecommerce sales_invoice SO-1001: customer_key: the shop's customer"
                   " jane@example.com is not in the ledger"]],
    )  # fmt: skip


@dataclass(frozen=True)
class WebhookPolicy:
    secrets: Mapping[str, SecretStr]
    tolerance_seconds: int
    max_bytes: int


@dataclass
class Delivery:
    source: str
    body: bytes
    headers: Mapping[str, str]
    now: float
    """Unix seconds at receipt."""
    oversized: bool = False
    body_bytes: int = 0


def record_delivery(
    conn: psycopg.Connection[Any],
    delivery: Delivery,
    outcome: str,
    status: int,
    reason: str | None = None,
    event: Mapping[str, Any] | None = None,
    record: RecordRef | None = None,
    run_id: int | None = None,
) -> None:
    event_id = event.get("id") if event else None
    event_type = event.get("type") if event else None
    conn.execute(
        "INSERT INTO ledger.webhook_event (source, event_id, event_type, outcome, status_code,"
        " reason, body_sha256, body_bytes, record_system, record_entity, record_key, run_id)"
        " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
        (
            delivery.source[:100], _column(event_id, EVENT_ID_MAX), _column(event_type, 100),
            outcome, status, reason,
            hashlib.sha256(delivery.body).hexdigest() if not delivery.oversized else None,
            delivery.body_bytes or len(delivery.body),
            record.system if record else None, record.entity if record else None,
            record.key if record else None, run_id,
        ),
    )  # fmt: skip


def _column(value: Any, limit: int) -> str | None:
    """An event's id or type as its column keeps it: at most `limit` characters, a NUL
    written \\x00 (an event refused for holding one is recorded too)."""
    return None if value is None else str(value).replace("\x00", "\\x00")[:limit]


def _verify(delivery: Delivery, policy: WebhookPolicy) -> None:
    if delivery.source not in EVENT_TYPES:
        raise WebhookRefused(404, "unknown_source", f"no webhook source {delivery.source!r};"
                             f" sources: {', '.join(EVENT_TYPES)}", SOURCE)  # fmt: skip
    secret = policy.secrets.get(delivery.source)
    if secret is None or not secret.get_secret_value():
        raise WebhookRefused(404, "no_secret", f"webhooks from {delivery.source} are not"
                             " configured here (no secret set)", SOURCE)  # fmt: skip
    if delivery.oversized or len(delivery.body) > policy.max_bytes:
        raise WebhookRefused(413, "oversized", f"body is over the limit of {policy.max_bytes}"
                             " bytes", BODY)  # fmt: skip
    stamp = delivery.headers.get(TIMESTAMP_HEADER, "")
    if not stamp.isdigit() or len(stamp) > 12:
        raise WebhookRefused(400, "no_timestamp", f"{TIMESTAMP_HEADER} must be Unix seconds",
                             TIMESTAMP)  # fmt: skip
    skew = abs(delivery.now - int(stamp))
    if skew > policy.tolerance_seconds:
        raise WebhookRefused(400, "stale_timestamp", f"timestamp is {int(skew)} s from now,"
                             f" more than the {policy.tolerance_seconds} s allowed",
                             TIMESTAMP)  # fmt: skip
    given = delivery.headers.get(SIGNATURE_HEADER, "")
    expected = sign(secret.get_secret_value(), stamp, delivery.body)
    if not given.startswith("sha256="):
        raise WebhookRefused(401, "no_signature", f"{SIGNATURE_HEADER} must be sha256=<hex"
                             " HMAC-SHA256 of timestamp.body>", SIGNATURE)  # fmt: skip
    if not hmac.compare_digest(given.encode(), expected.encode()):
        raise WebhookRefused(401, "bad_signature", "signature does not match the body and"
                             " timestamp under this source's secret", SIGNATURE)  # fmt: skip


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """The signature header's value for a body sent at `timestamp` (what senders compute)."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + digest.hexdigest()


def _event(delivery: Delivery) -> dict[str, Any]:
    try:
        event = orjson.loads(delivery.body)
    except orjson.JSONDecodeError:
        raise WebhookRefused(400, "malformed", "body is not JSON", BODY) from None
    if not isinstance(event, dict):
        raise WebhookRefused(400, "malformed", "body must be a JSON object", BODY)
    event_id = event.get("id")
    if not isinstance(event_id, str) or not 0 < len(event_id) <= EVENT_ID_MAX:
        raise WebhookRefused(400, "malformed", f"id must be a string of 1 to {EVENT_ID_MAX}"
                             " characters", _in_body("id"))  # fmt: skip
    if not isinstance(event.get("type"), str):
        raise WebhookRefused(400, "malformed", "type must be a string", _in_body("type"))
    if not isinstance(event.get("data"), dict):
        raise WebhookRefused(400, "malformed", "data must be an object", _in_body("data"))
    return event


def _texts(value: Any, place: str = "") -> Iterator[tuple[str, str]]:
    """Every text of a JSON value, its objects' keys included, with the field it is at."""
    if isinstance(value, str):
        yield place, value
    elif isinstance(value, dict):
        for key, item in value.items():
            field = f"{place}.{key}" if place else key
            yield field, key
            yield from _texts(item, field)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _texts(item, f"{place}.{index}")


def _storable(event: Mapping[str, Any]) -> None:
    """Refuses an event holding a NUL character in any text or key (named \\x00 in the
    field), which neither its row nor its record could store."""
    for field, text in _texts(event):
        try:
            STORABLE.validate_python(text)
        except ValidationError as error:
            named = field.replace("\x00", "\\x00")
            why = f"event {event['id']!r}: {named}: {error.errors()[0]['msg']}"
            raise WebhookRefused(422, "nul", why, _in_body(named)) from None


def _versions(source: str, event: Mapping[str, Any]) -> list[NewVersion]:
    """The versions an event appends, its own record last: an order may carry its shop
    customer as `data.customer` (``{"key", "name", "email", ...}``), which is appended
    before it, so the order of a customer the ledger has not seen can be invoiced."""
    kinds = EVENT_TYPES[source]
    kind = kinds.get(event["type"])
    if kind is None:
        raise WebhookRefused(422, "unknown_type", f"{source} sends no event of type"
                             f" {event['type']!r}; types: {', '.join(kinds)}",
                             _in_body("type"))  # fmt: skip
    data = dict(event["data"])
    key = _key(data, "data.key", "the order, payment or customer number")
    if kind.deletes:
        return [NewVersion.deleted(source, kind.entity, key, raw=event)]
    versions = []
    embedded = data.pop("customer", None) if kind.entity == "sales_invoice" else None
    if embedded is not None:
        if not isinstance(embedded, Mapping):
            raise WebhookRefused(422, "invalid", f"{event['type']} {key}: data.customer is"
                                 " not an object", _in_body("data.customer"))  # fmt: skip
        customer = dict(embedded)
        customer_key = _key(customer, "data.customer.key", "the shop's customer key")
        if data.setdefault("customer_key", customer_key) != customer_key:
            raise WebhookRefused(422, "invalid", f"{event['type']} {key}: data.customer_key"
                                 f" {data['customer_key']!r} is not data.customer.key"
                                 f" {customer_key!r}", _in_body("data.customer_key"))  # fmt: skip
        record = _record(Customer, source, customer_key, customer, event, "data.customer")
        versions.append(NewVersion.of(record, raw=event))
    record = _record(record_type(kind.entity), source, key, data, event, "data")
    versions.append(NewVersion.of(record, raw=event))
    return versions


def _key(data: dict[str, Any], field: str, what: str) -> str:
    key = data.pop("key", None)
    if not isinstance(key, str | int) or not str(key).strip():
        raise WebhookRefused(422, "invalid", f"{field} ({what}) is missing", _in_body(field))
    return str(key)


def _record(
    record_type: type[CanonicalRecord],
    source: str,
    key: str,
    data: Mapping[str, Any],
    event: Mapping[str, Any],
    where: str,
) -> CanonicalRecord:
    try:
        return record_type.build(system=source, key=key, **data)
    except LedgerbridgeError as error:
        field = f"{where}.{error.field}" if error.field else where
        raise WebhookRefused(422, "invalid", f"{event['type']} {key}: {error.message}",
                             _in_body(field)) from None  # fmt: skip
    except TypeError as error:
        raise WebhookRefused(422, "invalid", f"{event['type']} {key}: {error}",
                             _in_body(where)) from None  # fmt: skip


def take_delivery(
    conn: psycopg.Connection[Any],
    delivery: Delivery,
    policy: WebhookPolicy,
    request_poll: PollRequest | None = None,
) -> WebhookTaken:
    """Checks, records and appends one delivery; raises `WebhookRefused` (after recording
    the refusal) for anything refused."""
    event: dict[str, Any] | None = None
    try:
        _verify(delivery, policy)
        event = _event(delivery)
        _storable(event)
        versions = _versions(delivery.source, event)
    except WebhookRefused as refused:
        _refuse(conn, delivery, refused, event)
        raise
    version = versions[-1]
    ref = RecordRef(system=version.system, entity=version.entity, key=version.key)
    try:
        with conn.transaction():
            run_id = start_run(conn, "webhook", version.system, version.entity,
                               {"event_id": event["id"], "event_type": event["type"]})  # fmt: skip
            record_delivery(conn, delivery, "accepted", 202, None, event, ref, run_id)
            appended = append_versions(conn, versions, run_id)
            finish_run(conn, run_id, counts={"appended": appended.appended,
                                             "unchanged": appended.unchanged})  # fmt: skip
    except psycopg.errors.UniqueViolation:
        replayed = WebhookRefused(409, "replayed", f"event {event['id']} of {delivery.source}"
                                  " was taken already", _in_body("id"))  # fmt: skip
        _refuse(conn, delivery, replayed, event)
        raise replayed from None
    written = [
        w for w in appended.appended_keys if (w[0], w[1], w[2]) == (ref.system, ref.entity, ref.key)
    ]
    polls = []
    for system, entity in POLLS_OF[delivery.source]:
        if request_poll is None:
            break
        try:
            request_poll(system, entity, f"webhook {delivery.source} {event['id']}")
            polls.append(f"{system}:{entity}")
        except Exception as error:  # the event is in the ledger; a poll will come anyway
            stream = f"{system}:{entity}"
            log.warning("could not ask for a poll",
                        extra={"stream": stream, "error": type(error).__name__})  # fmt: skip
    return WebhookTaken(
        event_id=event["id"], event_type=event["type"], record=ref,
        version=written[0][3] if written else None, run_id=run_id, polls_requested=polls,
    )  # fmt: skip


def _refuse(
    conn: psycopg.Connection[Any],
    delivery: Delivery,
    refused: WebhookRefused,
    event: Mapping[str, Any] | None,
) -> None:
    with conn.transaction():
        record_delivery(conn, delivery, "refused", refused.status,
                        f"{refused.code}: {refused.detail}", event)  # fmt: skip
    log.info("webhook refused", extra={"source": delivery.source[:100], "reason": refused.code})


def hand_to_writer(
    conn: psycopg.Connection[Any], taken: WebhookTaken, source: str, writer: WriterWork | None
) -> WebhookTaken:
    """`taken` (committed already) after the writer flows of its source are planned; when
    planning fails the event stays in the ledger and the next plan picks it up."""
    flows = FLOWS_OF[source]
    if writer is None:
        return taken
    try:
        added, refused = writer.plan(conn, flows, taken.record)
    except (LedgerbridgeError, psycopg.Error) as error:
        conn.rollback()
        log.warning("could not plan the writer flows of a webhook event",
                    extra={"event_id": taken.event_id, "flows": list(flows),
                           "error": f"{type(error).__name__}: {error}"})  # fmt: skip
        return taken
    return taken.model_copy(
        update={"flows_planned": list(flows), "intents_recorded": added, "writer_refused": refused}
    )
