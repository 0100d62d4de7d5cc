"""The transport is the seam: the same client runs in process over the sandbox's ASGI
app, with no port and no patching; and it is built from Ledgerbridge settings."""

from __future__ import annotations

from pathlib import Path

import httpx
from pydantic import SecretStr

from connectors.kashflow import KashFlowClient, RetryPolicy
from ledgerbridge.config import KashFlowSettings
from sandbox.kashflow import InProcessTransport, SandboxConfig, open_sandbox


def test_the_client_runs_in_process_through_an_injected_transport(tmp_path: Path) -> None:
    sandbox = open_sandbox(tmp_path / "kf.db", SandboxConfig(rate_limit_per_second=None))
    transport = InProcessTransport(sandbox)
    with KashFlowClient(
        base_url="http://kashflow.test/v2", username="sandbox", password="sandbox",
        memorable_word="ledgerbridge", requests_per_second=None, transport=transport,
        retry=RetryPolicy(base_delay=0.01),
    ) as kashflow:  # fmt: skip
        assert kashflow.customers.read("ACME0019").name == "Acme Engineering"
        sandbox.gate.faults.drop_count = 1
        assert len(list(kashflow.invoices.list())) == 200
        assert kashflow.stats.retries == 1
    transport.close()


def test_the_client_takes_a_ready_made_httpx_client(tmp_path: Path) -> None:
    sandbox = open_sandbox(tmp_path / "kf.db", SandboxConfig(rate_limit_per_second=None))
    http = httpx.Client(transport=InProcessTransport(sandbox), timeout=5)
    kashflow = KashFlowClient(
        base_url="http://kashflow.test/v2", username="sandbox", password="sandbox",
        memorable_word="ledgerbridge", http=http, requests_per_second=None,
    )  # fmt: skip
    assert kashflow.bank_accounts.get(1)["Code"] == 1200
    kashflow.close()
    assert not http.is_closed, "a client it was given is the caller's to close"
    http.close()


def test_the_client_is_built_from_settings_read_at_the_edge() -> None:
    settings = KashFlowSettings(
        base_url="http://127.0.0.1:9/v2", username="ops", password=SecretStr("pw-123456"),
        memorable_word=SecretStr("kestrel"), requests_per_second=4, max_retries=2,
    )  # fmt: skip
    with KashFlowClient.from_settings(settings) as kashflow:
        assert kashflow.base_url == "http://127.0.0.1:9/v2"
        assert kashflow.retry.max_retries == 2
        assert kashflow.pacer.interval == 0.25
        assert "pw-123456" not in repr(kashflow) and "kestrel" not in repr(kashflow.credentials)
