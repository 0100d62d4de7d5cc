"""`POST /webhooks/{source}`: events from the eCommerce platform and the payment gateway,
signed with HMAC-SHA256; see `api.services.webhooks` for what is checked, in which order."""

from __future__ import annotations

import time
from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from api.auth import Conn
from api.problems import problem_response
from api.routes.common import NamePath, problems
from api.services.webhooks import (
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    Delivery,
    WebhookRefused,
    WebhookTaken,
    hand_to_writer,
    take_delivery,
)

router = APIRouter(tags=["webhooks"])
EVENT_EXAMPLE = {
    "id": "evt_1001",
    "type": "order.created",
    "data": {
        "key": "1001", "customer_key": "jane@example.com", "issue_date": "2026-11-02",
        "currency": "GBP", "net_amount": "50.00", "tax_amount": "10.00", "gross_amount": "60.00",
    },
}  # fmt: skip


async def _body(request: Request, limit: int) -> tuple[bytes, bool, int]:
    """The raw body, read no further than one byte past `limit`: (body, oversized, size)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        return b"", True, int(declared)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            return b"", True, size
        chunks.append(chunk)
    return b"".join(chunks), False, size


@router.post(
    "/webhooks/{source}",
    status_code=202,
    response_model=WebhookTaken,
    responses=problems(400, 404, 409, 413),
    openapi_extra={
        "parameters": [
            {"name": TIMESTAMP_HEADER, "in": "header", "required": True,
             "schema": {"type": "string"}, "description": "Unix seconds when it was sent."},
            {"name": SIGNATURE_HEADER, "in": "header", "required": True,
             "schema": {"type": "string"},
             "description": "sha256=<hex HMAC-SHA256 of timestamp, '.', raw body>."},
        ],
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": {"type": "object"},
                                             "example": EVENT_EXAMPLE}},
        },
    },
)  # fmt: skip
async def take_webhook(request: Request, conn: Conn, source: NamePath) -> Any:
    """Take one event: recorded whatever happens; appended to the ledger once if valid."""
    settings = request.app.state.webhooks
    body, oversized, size = await _body(request, settings.max_bytes)
    delivery = Delivery(source, body, dict(request.headers), time.time(), oversized, size)
    writer = request.app.state.writer
    request_poll = request.app.state.request_poll

    def take() -> WebhookTaken | WebhookRefused:
        """The database work, on a worker thread so the event loop never waits on it."""
        try:
            taken = take_delivery(conn, delivery, settings, request_poll)
        except WebhookRefused as refused:
            conn.commit()  # the refusal stays on record
            return refused
        conn.commit()
        if writer is not None:
            taken = hand_to_writer(conn, taken, source, writer)
            conn.commit()
        return taken

    taken = await run_in_threadpool(take)
    if isinstance(taken, WebhookRefused):
        return problem_response(request, taken.status, taken.title, taken.detail, taken.field)
    return JSONResponse(taken.model_dump(mode="json"), status_code=202)
