"""A ledger built from both sandboxes, once per test session: the seeded Sage 100 company
read over ODBC and the seeded KashFlow company read over HTTP, with the master records
both hold linked (as a confirmed reconcile would). Each test gets a copy of it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from pipeline import link_masters

from canonical import CanonicalRecord
from connectors.kashflow import KashFlowClient, RetryPolicy
from connectors.kashflow.mapping import payments_of
from connectors.sage100.odbc import ENTITIES as SAGE100_ENTITIES
from connectors.sage100.odbc import Sage100Reader
from ledger import NewVersion, append_versions
from ledgerbridge.testdb import create_database, create_migrated_database, drop_database, fresh_name
from sandbox.kashflow import SandboxConfig, SandboxServer, open_sandbox


def _read_sage100(reader: Sage100Reader) -> Iterator[tuple[str, list[CanonicalRecord]]]:
    for entity in SAGE100_ENTITIES:
        yield entity, list(reader.read_all(entity))


def _read_kashflow(client: KashFlowClient) -> Iterator[tuple[str, list[CanonicalRecord]]]:
    vocabulary = client.payments.vocabulary()
    yield "gl_account", list(client.gl_accounts.records())
    yield "customer", list(client.customers.records())
    yield "supplier", list(client.suppliers.records())
    yield "product", list(client.products.records())
    for entity, kind, documents in (
        ("sales_invoice", "receipt", client.invoices),
        ("purchase_invoice", "supplier_payment", client.purchases),
    ):
        records: list[CanonicalRecord] = []
        payments: list[CanonicalRecord] = []
        for summary in documents.list():
            raw = documents.get(documents.key_of(summary))
            records.append(documents.to_record(raw))
            payments.extend(payments_of(raw, kind, vocabulary))
        yield entity, records
        yield "payment", payments


def _read_into(conn: psycopg.Connection[Any], batches: Any) -> None:
    for _entity, records in batches:
        records_list: list[CanonicalRecord] = list(records)
        append_versions(conn, [NewVersion.of(r) for r in records_list])


@pytest.fixture(scope="session")
def sandbox_ledger(
    pg_server: str, seeded_template: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    name, url = create_migrated_database(pg_server, "lbtest_sandboxes")
    kashflow_db = tmp_path_factory.mktemp("kashflow_writer") / "kashflow.db"
    sandbox = open_sandbox(kashflow_db, SandboxConfig(rate_limit_per_second=None))
    with (
        SandboxServer(sandbox) as server,
        KashFlowClient(
            base_url=server.base_url,
            username="sandbox",
            password="sandbox",
            memorable_word="ledgerbridge",
            requests_per_second=None,
            timeout_seconds=10.0,
            retry=RetryPolicy(max_retries=4, base_delay=0.01, max_delay=0.1),
        ) as client,
        Sage100Reader(f"DRIVER=SQLite3;Database={seeded_template}") as reader,
        psycopg.connect(url) as conn,
    ):
        _read_into(conn, _read_sage100(reader))
        _read_into(conn, _read_kashflow(client))
        link_masters(conn)
    yield name
    drop_database(pg_server, name)


@pytest.fixture
def ledger(pg_server: str, sandbox_ledger: str) -> Iterator[psycopg.Connection[Any]]:
    """A connection to a fresh copy of the ledger built from the sandboxes."""
    name = fresh_name("lbtest_flows")
    url = create_database(pg_server, name, template=sandbox_ledger)
    with psycopg.connect(url) as conn:
        yield conn
    drop_database(pg_server, name)
