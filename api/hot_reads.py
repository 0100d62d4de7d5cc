"""The three hottest reads (the unmatched listing, a record's audit, `/health`) served ahead
of FastAPI's routing and dependency solving, which cost more CPU than the reads themselves.

`HotReads` is an ASGI middleware inside the latency histogram: a GET of one of those paths
is answered here when everything goes well (the token known and of a scope that reaches
read, the parameters valid, the service's answer found), with the same functions the routes
call: the token check (`api.auth.admitted`), the parameters' model, the service. Anything
else, a refusal or an error included, goes on to the app, whose route answers it as always
(problem details, the same checks again: the reads change nothing, so reading twice is
harmless). The routes stay the API's documentation and its reference behaviour."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qsl

from fastapi import HTTPException
from fastapi.routing import APIRoute
from pydantic import ValidationError
from starlette.datastructures import State
from starlette.types import ASGIApp, Receive, Scope, Send

from api.auth import Caller, admitted
from api.routes import operations, reconciliation, system
from api.services.errors import ServiceError

Answer = tuple[int, bytes] | None
"""A status and a JSON body, or None: let the app's route answer."""
AUDIT = re.compile(r"/audit/([^/]+)/([^/]+)/([^/]+)")
JSON_HEADERS = [(b"content-type", b"application/json")]


def _route(routes: list[Any], path: str) -> APIRoute:
    """The route of `path` (its template labels the latency histogram)."""
    return next(r for r in routes if isinstance(r, APIRoute) and r.path == path)


class HotReads:
    """Answers the hot reads' GETs that go well; passes everything else on to `app`."""

    def __init__(self, app: ASGIApp, state: State) -> None:
        self.app = app
        self.state = state
        self.unmatched = _route(reconciliation.router.routes, "/reconciliation/unmatched")
        self.audit = _route(operations.router.routes, "/audit/{system}/{entity}/{key}")
        self.health = _route(system.router.routes, "/health")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "GET" and not scope.get("root_path"):
            answer = await self._answer(scope)
            if answer is not None:
                status, body = answer
                await send({
                    "type": "http.response.start", "status": status,
                    "headers": [*JSON_HEADERS, (b"content-length", str(len(body)).encode())],
                })  # fmt: skip
                await send({"type": "http.response.body", "body": body})
                return
        await self.app(scope, receive, send)

    async def _answer(self, scope: Scope) -> Answer:
        path: str = scope["path"]
        if path == "/health":
            scope["route"] = self.health
            return await system.health_answer(self.state.database)
        if path == "/reconciliation/unmatched":
            return await self._as_reader(scope, self.unmatched, self._unmatched)
        found = AUDIT.fullmatch(path)
        if found is None:
            return None
        try:
            record = operations.RECORD_PATH.validate_python(found.groups())
        except ValidationError:
            return None
        return await self._as_reader(
            scope, self.audit, lambda caller, _: operations.record_audit_body(caller, *record)
        )

    async def _as_reader(
        self,
        scope: Scope,
        route: APIRoute,
        read: Callable[[Caller, Scope], Awaitable[bytes]],
    ) -> Answer:
        """`read`'s body, 200, for a caller whose token reaches read; None when the token,
        the parameters or the service refuse (the route then says why)."""
        token = _bearer(scope)
        if token is None:
            return None
        try:
            caller = await admitted(self.state, token, "read", "GET")
            body = await read(caller, scope)
        except (HTTPException, ValidationError, ServiceError):
            return None
        scope["route"] = route
        return 200, body

    async def _unmatched(self, caller: Caller, scope: Scope) -> bytes:
        text = scope["query_string"].decode("latin-1")
        asked = reconciliation.UnmatchedQuery.model_validate(
            dict(parse_qsl(text, keep_blank_values=True))
        )
        return await reconciliation.unmatched_page(caller, asked)


def _bearer(scope: Scope) -> str | None:
    """The token of the first Authorization header, when it is `Bearer <token>`."""
    for name, value in scope["headers"]:
        if name == b"authorization":
            scheme, _, token = value.decode("latin-1").partition(" ")
            return token if scheme.lower() == "bearer" and token else None
    return None
