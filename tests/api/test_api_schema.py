"""The API against its own OpenAPI document (schemathesis), served by uvicorn on a
loopback port: for generated requests to every operation, no 5xx, and every response
matches the status codes, content types and schemas documented; every operation
documents an example."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
import uvicorn
from api_company import WEBHOOK_SECRETS, auth
from hypothesis import HealthCheck, settings
from polls_recorder import QueuedPolls
from pydantic import SecretStr
from schemathesis import checks

from api.app import create_app
from api.settings import ApiSettings
from ledgerbridge.testdb import create_database, drop_database, fresh_name

DOCUMENT = create_app("postgresql://127.0.0.1/not-connected").openapi()
schema = schemathesis.openapi.from_dict(DOCUMENT)
schema.config.phases.update(phases=["examples", "fuzzing"])
"""The documented examples, then generated requests (the exhaustive coverage phase would
take minutes)."""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def live_api(pg_server: str, api_template: str) -> Iterator[str]:
    """The app on a copy of the company's ledger, served on a loopback port."""
    name = fresh_name("lbapi_schema")
    url = create_database(pg_server, name, template=api_template)
    app = create_app(
        url, ApiSettings(webhook_secrets={k: SecretStr(v) for k, v in WEBHOOK_SECRETS.items()}),
        QueuedPolls(url), pool_size=4,
    )  # fmt: skip
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    for _ in range(200):
        if server.started:
            break
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(10)
    drop_database(pg_server, name)


CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_headers_conformance,
    checks.response_schema_conformance,
]
"""What the OpenAPI document promises. (Not "schema-valid data is accepted": a cursor or a
manual match can be schema-valid and still refused, with a 422 naming the field.)"""


@schema.parametrize()
@settings(max_examples=4, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
def test_every_operation_keeps_to_its_schema(case: Any, live_api: str) -> None:
    case.call_and_validate(base_url=live_api, headers=auth("admin"), checks=CHECKS)


def test_every_operation_has_an_example() -> None:
    for path, operations in DOCUMENT["paths"].items():
        for method, operation in operations.items():
            responses = operation["responses"]
            success = [r for status, r in responses.items() if status.startswith("2")]
            assert success, (method, path)
            for response in success:
                for media in response["content"].values():
                    assert "example" in media, (method, path)
            for status, response in responses.items():
                if int(status) >= 400:
                    assert "application/problem+json" in response["content"], (method, path)
