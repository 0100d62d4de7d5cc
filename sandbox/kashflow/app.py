"""The KashFlow REST API v2 as the sandbox serves it: the real paths under `/v2`, the
`{"Data", "MetaData"}` paging wrapper, `KfToken` auth and `{"Error", "Message"}` bodies.

`/_sandbox/...` is the admin path that exists only here: faults, limits, session expiry
and request counts, for tests and benchmarks.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from functools import partial
from typing import Any, TypeVar
from urllib.parse import urlencode

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from pydantic import BaseModel, ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from sandbox.kashflow import documents as docs
from sandbox.kashflow import quotes, wire
from sandbox.kashflow.books import PAYMENT_METHODS, SORT_FIELDS, Books, NotFoundError
from sandbox.kashflow.config import FaultPlan, LimitsUpdate, SandboxConfig
from sandbox.kashflow.gate import Gate
from sandbox.kashflow.sessions import LoginRefused, Sessions
from sandbox.kashflow.store import Store
from sandbox.kashflow.wire import Body, BodyRefused, Invalid


class ApiError(Exception):
    """Answered as `{"Error": error, "Message": message}` with `status`."""

    def __init__(self, status: int, error: str, message: str, field: str | None = None) -> None:
        self.status = status
        self.error = error
        self.message = message
        self.field = field
        super().__init__(message)


AdminBody = TypeVar("AdminBody", bound=BaseModel)
MAX_MEMORABLE_LETTERS = 100
"""The most memorable-word letters a login may answer (and the highest position)."""
INVALID_TOKEN = ("InvalidSessionToken", "Session token provided is invalid.")


def json_response(payload: Any, status: int = 200) -> Response:
    return Response(wire.dumps(payload), status_code=status, media_type="application/json")


@dataclass
class Sandbox:
    """One running sandbox: its settings, state and the ASGI app to serve."""

    config: SandboxConfig
    store: Store
    books: Books
    sessions: Sessions
    gate: Gate
    api: FastAPI

    @property
    def asgi(self) -> Gate:
        return self.gate


def create_sandbox(config: SandboxConfig, store: Store) -> Sandbox:
    def today() -> date:
        return config.today or date.today()

    books = Books(store, today)
    sessions = Sessions(config)
    api = FastAPI(title="KashFlow REST API v2 (sandbox)", openapi_url=None, docs_url=None)
    gate = Gate(api, config)
    sandbox = Sandbox(config, store, books, sessions, gate, api)
    _errors(api)
    _admin(api, sandbox)
    _auth(api, sessions)
    _masters(api, sandbox)
    _documents(api, sandbox)
    _quotes(api, sandbox)
    _nominals_and_banks(api, sandbox)
    return sandbox


# -- errors ----------------------------------------------------------------------------
def _errors(api: FastAPI) -> None:
    @api.exception_handler(ApiError)
    async def api_error(request: Request, exc: ApiError) -> Response:
        body: dict[str, Any] = {"Error": exc.error, "Message": exc.message}
        if exc.field:
            body["Field"] = exc.field
        return json_response(body, exc.status)

    @api.exception_handler(Invalid)
    async def invalid(request: Request, exc: Invalid) -> Response:
        return json_response(
            {"Error": exc.error, "Message": f"{exc.field}: {exc.message}", "Field": exc.field}, 400
        )

    @api.exception_handler(BodyRefused)
    async def body_refused(request: Request, exc: BodyRefused) -> Response:
        return json_response({"Error": "InvalidRequest", "Message": exc.message}, 400)

    @api.exception_handler(NotFoundError)
    async def not_found(request: Request, exc: NotFoundError) -> Response:
        return json_response({"Error": "NotFound", "Message": exc.message}, 404)

    @api.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        names = {404: "NotFound", 405: "MethodNotAllowed"}
        message = (
            "The resource requested was not found." if exc.status_code == 404 else str(exc.detail)
        )
        return json_response(
            {"Error": names.get(exc.status_code, "Error"), "Message": message}, exc.status_code
        )

    @api.exception_handler(RequestValidationError)
    async def bad_request(request: Request, exc: RequestValidationError) -> Response:
        first = exc.errors()[0] if exc.errors() else {}
        field = str(first.get("loc", ["?"])[-1])
        return json_response(
            {
                "Error": "ValidationError",
                "Message": f"{field}: {first.get('msg', 'invalid')}",
                "Field": field,
            },
            400,
        )


async def read_raw(request: Request) -> bytes:
    """The request body, read no further than `wire.MAX_BODY_BYTES`."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > wire.MAX_BODY_BYTES:
        raise BodyRefused(f"The request body is larger than {wire.MAX_BODY_BYTES} bytes.")
    raw = bytearray()
    async for chunk in request.stream():
        raw += chunk
        if len(raw) > wire.MAX_BODY_BYTES:
            break
    return bytes(raw)


async def read_body(request: Request) -> Body:
    """The request body as one JSON object."""
    return Body(wire.request_object(await read_raw(request)))


def admin_body(model: type[AdminBody], body: Body) -> AdminBody:
    """An admin body read into `model`, its first problem answered as a 400 naming the field."""
    try:
        return model.model_validate(dict(body.raw))
    except ValidationError as refused:
        first = refused.errors()[0]
        field = ".".join(str(part) for part in first["loc"]) or "body"
        raise Invalid(field, first["msg"]) from None


def session_of(request: Request, sessions: Sessions) -> str:
    header = request.headers.get("authorization", "").strip()
    if header[:7].lower() != "kftoken":
        raise ApiError(401, *INVALID_TOKEN)
    token = header[7:].strip()
    if not token or not sessions.check(token):
        raise ApiError(401, *INVALID_TOKEN)
    return token


# -- admin (sandbox only) ----------------------------------------------------------------
def _admin(api: FastAPI, sandbox: Sandbox) -> None:
    @api.get("/_sandbox/faults")
    async def get_faults() -> Response:
        return Response(sandbox.gate.faults.model_dump_json(), media_type="application/json")

    @api.put("/_sandbox/faults")
    async def put_faults(request: Request) -> Response:
        plan = admin_body(FaultPlan, await read_body(request))
        sandbox.gate.set_faults(plan)
        return Response(plan.model_dump_json(), media_type="application/json")

    @api.put("/_sandbox/limits")
    async def put_limits(request: Request) -> Response:
        update = admin_body(LimitsUpdate, await read_body(request))
        config = sandbox.config
        given = update.model_fields_set
        if "rate_limit_per_second" in given or "rate_limit_burst" in given:
            rate = update.rate_limit_per_second if "rate_limit_per_second" in given else None
            sandbox.gate.set_limit(rate or None, update.rate_limit_burst)
        if "session_timeout_seconds" in given:
            config.session_timeout_seconds = update.session_timeout_seconds
        if "retry_after_format" in given:
            config.retry_after_format = update.retry_after_format
        return json_response(
            {
                "rate_limit_per_second": config.rate_limit_per_second,
                "rate_limit_burst": config.rate_limit_burst,
                "session_timeout_seconds": config.session_timeout_seconds,
                "retry_after_format": config.retry_after_format,
            }
        )

    @api.post("/_sandbox/sessions/expire")
    async def expire_sessions() -> Response:
        return json_response({"Expired": sandbox.sessions.expire_all()})

    @api.get("/_sandbox/stats")
    async def stats() -> Response:
        return json_response({**sandbox.gate.stats(), "Logins": sandbox.sessions.logins})

    @api.post("/_sandbox/stats/reset")
    async def reset_stats() -> Response:
        sandbox.gate.reset_stats()
        return json_response({"Reset": True})


# -- authentication ----------------------------------------------------------------------
def _auth(api: FastAPI, sessions: Sessions) -> None:
    @api.post("/v2/sessiontoken")
    async def start_login(request: Request) -> Response:
        body = await read_body(request)
        try:
            token, positions = sessions.start(body.string("UserName"), body.string("Password"))
        except LoginRefused as refused:
            raise ApiError(401, refused.error, refused.message) from None
        return json_response(
            {
                "TemporaryToken": token,
                "MemorableWordList": [{"Position": p, "Value": ""} for p in positions],
                "IsAdmin": True,
                "PackageName": "KashFlow Business",
                "SubscriptionExpired": False,
                "HasTemporaryPassword": False,
                "PartnerId": None,
            }
        )

    @api.put("/v2/sessiontoken")
    async def finish_login(request: Request) -> Response:
        body = await read_body(request)
        answers: dict[int, str] = {}
        for item in body.children("MemorableWordList", limit=MAX_MEMORABLE_LETTERS):
            position = docs.read_int(item, "Position", low=1, high=MAX_MEMORABLE_LETTERS)
            if position is not None:
                answers[position] = item.string("Value") or ""
        try:
            token = sessions.confirm(body.string("TemporaryToken"), answers)
        except LoginRefused as refused:
            raise ApiError(401, refused.error, refused.message) from None
        return json_response(
            {
                "SessionToken": token,
                "CompanyName": "Ledgerbridge Sandbox Ltd",
                "IsAdmin": True,
                "SubscriptionExpired": False,
                "SubscriptionExpiryDate": "2099-12-31 00:00:00",
                "PackageName": "KashFlow Business",
            }
        )

    @api.delete("/v2/sessiontoken/{token}")
    async def end_session(token: str) -> Response:
        if not sessions.end(token):
            raise ApiError(401, *INVALID_TOKEN)
        return Response(status_code=200)

    @api.delete("/v2/sessiontoken")
    async def end_own_session(request: Request) -> Response:
        sessions.end(session_of(request, sessions))
        return Response(status_code=200)


# -- paging ------------------------------------------------------------------------------
def list_page(
    request: Request,
    sandbox: Sandbox,
    resource: str,
    where: tuple[str, str] | None = None,
) -> Response:
    params = {k.lower(): v for k, v in request.query_params.items()}
    config = sandbox.config
    query = Body(params)
    page = docs.read_int(query, "page", low=1) or 1
    perpage = docs.read_int(query, "perpage", low=1) or config.default_perpage
    perpage = min(perpage, config.max_perpage)
    sorts = SORT_FIELDS[resource]
    sortby = params.get("sortby")
    if sortby is not None and sortby.lower() not in sorts:
        raise ApiError(
            400, "ValidationError", f"sortby: {sortby} is not one of {', '.join(sorts)}.", "sortby"
        )
    sort_field = sorts[sortby.lower()] if sortby else None
    order = params.get("order", "Asc")
    if order.lower() not in ("asc", "desc"):
        raise ApiError(400, "ValidationError", "order: must be Asc or Desc.", "order")
    total = sandbox.store.count(resource, where)
    rows = sandbox.store.page(
        resource,
        offset=(page - 1) * perpage,
        limit=perpage,
        sort_field=sort_field,
        descending=order.lower() == "desc",
        where=where,
    )
    last = max(1, math.ceil(total / perpage))
    base = str(request.url.replace(query=""))

    def url(number: int) -> str:
        query = {
            k: v for k, v in request.query_params.items() if k.lower() not in ("page", "perpage")
        }
        query.update({"page": str(number), "perpage": str(perpage)})
        return f"{base}?{urlencode(query)}"

    meta = {
        "FirstPageUrl": url(1),
        "LastPageUrl": url(last),
        "NextPageUrl": url(page + 1) if page < last else None,
        "PreviousPageUrl": url(page - 1) if page > 1 else None,
        "TotalRecords": total,
    }
    text = '{"Data":[' + ",".join(rows) + '],"MetaData":' + wire.dumps(meta) + "}"
    return Response(text, media_type="application/json")


# -- customers, suppliers, invoices, purchases and quotes --------------------------------
def _code(code: str) -> str:
    return code


def _number(number: int) -> int:
    return number


def _nominal_id(nominal_id: int) -> int:
    return nominal_id


_KEYS: dict[str, Callable[..., Any]] = {
    "code": _code,
    "number": _number,
    "nominal_id": _nominal_id,
}
"""How a record's key is read from its path: a party by its code, a document by its number,
a nominal by its id (a number that is not an integer is refused as FastAPI refuses any path
parameter)."""


@dataclass(frozen=True)
class _Records:
    """A resource whose records are listed, created, read, updated and deleted by key."""

    resource: str
    what: str
    """What a record is called when it is not found."""
    key: str
    """The path parameter that keys a record (`_KEYS`)."""
    put: Callable[[Body, Any, dict[str, Any] | None], dict[str, Any]]
    """Creates (key and existing record None) or changes a record from a request body."""
    delete: Callable[[Any], None]
    party_filter: tuple[str, str] | None = None
    """The query parameter a list may be filtered by, and the field it filters."""


def _masters(api: FastAPI, sandbox: Sandbox) -> None:
    books = sandbox.books
    for resource, what in (("customers", "Customer"), ("suppliers", "Supplier")):
        put, delete = partial(books.put_party, resource), partial(books.delete_party, resource)
        _record_routes(api, sandbox, _Records(resource, what, "code", put, delete))


def _documents(api: FastAPI, sandbox: Sandbox) -> None:
    books = sandbox.books
    for resource in ("invoices", "purchases"):
        _bulk_routes(api, sandbox, resource)
    for resource in ("invoices", "purchases", "quotes"):
        party = "Supplier" if resource == "purchases" else "Customer"
        documents = _Records(
            resource,
            resource[:-1].capitalize(),
            "number",
            partial(books.put_document, resource),
            partial(books.delete_document, resource),
            (f"{party.lower()}code", f"{party}Code"),
        )
        _record_routes(api, sandbox, documents)
    for resource in ("invoices", "purchases"):
        _payment_routes(api, sandbox, resource)


def _record_routes(api: FastAPI, sandbox: Sandbox, records: _Records) -> None:
    resource, what = records.resource, records.what
    books, sessions = sandbox.books, sandbox.sessions
    path = f"/v2/{resource}/{{{records.key}}}"
    key_of = Depends(_KEYS[records.key])

    @api.get(f"/v2/{resource}", name=f"list_{resource}")
    async def list_records(request: Request) -> Response:
        session_of(request, sessions)
        params = {k.lower(): v for k, v in request.query_params.items()}
        where = None
        if records.party_filter and records.party_filter[0] in params:
            where = (records.party_filter[1], params[records.party_filter[0]])
        return list_page(request, sandbox, resource, where)

    @api.post(f"/v2/{resource}", name=f"create_{resource}")
    async def create_record(request: Request) -> Response:
        session_of(request, sessions)
        return json_response(records.put(await read_body(request), None, None), 201)

    @api.get(path, name=f"get_{resource}")
    async def get_record(request: Request, key: Any = key_of) -> Response:
        session_of(request, sessions)
        return json_response(books.require(resource, str(key), what))

    @api.put(path, name=f"update_{resource}")
    async def update_record(request: Request, key: Any = key_of) -> Response:
        session_of(request, sessions)
        existing = books.require(resource, str(key), what)
        return json_response(records.put(await read_body(request), key, existing))

    @api.delete(path, name=f"delete_{resource}")
    async def delete_record(request: Request, key: Any = key_of) -> Response:
        session_of(request, sessions)
        records.delete(key)
        return Response(status_code=200)


def _bulk_routes(api: FastAPI, sandbox: Sandbox, resource: str) -> None:
    kind = "invoice_bulk_payments" if resource == "invoices" else "purchase_bulk_payments"
    sessions = sandbox.sessions

    @api.get(f"/v2/{resource}/bulk/payments", name=f"list_{kind}")
    async def list_bulk(request: Request) -> Response:
        session_of(request, sessions)
        return list_page(request, sandbox, kind)

    @api.post(f"/v2/{resource}/bulk/payments", name=f"create_{kind}")
    async def create_bulk(request: Request) -> Response:
        session_of(request, sessions)
        record = sandbox.books.add_bulk_payment(resource, await read_body(request))
        return json_response(record, 201)

    @api.get(f"/v2/{resource}/bulk/payments/{{number}}", name=f"get_{kind}")
    async def get_bulk(number: int, request: Request) -> Response:
        session_of(request, sessions)
        record = sandbox.books.require(kind, str(number), "Bulk payment")
        return json_response(record)


def _payment_routes(api: FastAPI, sandbox: Sandbox, resource: str) -> None:
    sessions, books = sandbox.sessions, sandbox.books

    @api.get(f"/v2/{resource}/{{number}}/payments", name=f"list_{resource}_payments")
    async def list_payments(number: int, request: Request) -> Response:
        session_of(request, sessions)
        record = books.require(resource, str(number), resource[:-1].capitalize())
        return json_response(record.get("PaymentLines") or [])

    @api.post(f"/v2/{resource}/{{number}}/payments", name=f"create_{resource}_payment")
    async def create_payment(number: int, request: Request) -> Response:
        session_of(request, sessions)
        line = books.add_payment(resource, number, await read_body(request))
        return json_response(line, 201)

    @api.delete(
        f"/v2/{resource}/{{number}}/payments/{{payment_id}}", name=f"delete_{resource}_payment"
    )
    async def delete_payment(number: int, payment_id: int, request: Request) -> Response:
        session_of(request, sessions)
        books.delete_payment(resource, number, payment_id)
        return Response(status_code=200)


# -- nominals, bank accounts, payment methods ---------------------------------------------
# -- quote categories, settings and conversion ------------------------------------------
def _quotes(api: FastAPI, sandbox: Sandbox) -> None:
    sessions, books, store = sandbox.sessions, sandbox.books, sandbox.store

    @api.get("/v2/quotecategories")
    async def list_quote_categories(request: Request) -> Response:
        session_of(request, sessions)
        return json_response(quotes.categories(store))

    @api.post("/v2/quotecategories")
    async def create_quote_category(request: Request) -> Response:
        session_of(request, sessions)
        return json_response(quotes.put_category(store, await read_body(request), None), 201)

    @api.get("/v2/quotecategories/{number}")
    async def get_quote_category(number: int, request: Request) -> Response:
        session_of(request, sessions)
        return json_response(books.require(quotes.CATEGORIES, str(number), "Quote category"))

    @api.put("/v2/quotecategories/{number}")
    async def update_quote_category(number: int, request: Request) -> Response:
        session_of(request, sessions)
        existing = books.require(quotes.CATEGORIES, str(number), "Quote category")
        return json_response(quotes.put_category(store, await read_body(request), existing))

    @api.delete("/v2/quotecategories/{number}")
    async def delete_quote_category(number: int, request: Request) -> Response:
        session_of(request, sessions)
        books.require(quotes.CATEGORIES, str(number), "Quote category")
        quotes.delete_category(store, number)
        return Response(status_code=200)

    @api.get("/v2/settings/quote")
    async def quote_settings(request: Request) -> Response:
        session_of(request, sessions)
        return json_response(quotes.SETTINGS)

    @api.post("/v2/internal/invoices")
    async def convert_into_invoices(request: Request) -> Response:
        session_of(request, sessions)
        params = {k.lower(): v for k, v in request.query_params.items()}
        retain = params.get("retainafterconversion")
        if retain is not None and retain.lower() not in ("true", "false"):
            raise Invalid("retainafterconversion", f"{retain!r} is not true or false")
        converted = books.convert_quotes(
            wire.request_json(await read_raw(request)),
            params.get("convertfrom", ""),
            None if retain is None else retain.lower() == "true",
        )
        return json_response(converted, 201)


def _nominals_and_banks(api: FastAPI, sandbox: Sandbox) -> None:
    sessions, books, store = sandbox.sessions, sandbox.books, sandbox.store

    def put_nominal(
        body: Body, nominal_id: int | None, existing: dict[str, Any] | None
    ) -> dict[str, Any]:
        return books.put_nominal(body, existing)  # a new nominal's id is the store's next

    def delete_nominal(nominal_id: int) -> None:
        if not store.delete("nominals", str(nominal_id)):
            raise NotFoundError(f"Nominal {nominal_id} was not found.")

    nominals = _Records("nominals", "Nominal", "nominal_id", put_nominal, delete_nominal)
    _record_routes(api, sandbox, nominals)

    @api.get("/v2/bankaccounts")
    async def list_bank_accounts(request: Request) -> Response:
        session_of(request, sessions)
        return list_page(request, sandbox, "bankaccounts")

    @api.get("/v2/bankaccounts/{account_id}")
    async def get_bank_account(account_id: int, request: Request) -> Response:
        session_of(request, sessions)
        record = books.require("bankaccounts", str(account_id), "Bank account")
        return json_response(record)

    @api.get("/v2/paymentmethods/{kind}")
    async def payment_methods(kind: str, request: Request) -> Response:
        session_of(request, sessions)
        if kind.lower() not in ("invoice", "invoices", "purchase", "purchases", "sales"):
            raise NotFoundError(f"Payment method type {kind} was not found.")
        return json_response([{"Id": i, "Name": n, "Code": n} for i, n in PAYMENT_METHODS])
