"""Random edit scripts against the KashFlow sandbox through its REST write paths —
creates, edits, deletes, re-creates, and two edits within one second — with a poll now
and then (committed in chunks of two): after every poll the ledger's current state
equals what KashFlow holds."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from edit_scripts import LedgerMatchesSource, names, run_examples
from hypothesis import strategies as st
from hypothesis.stateful import precondition, rule

from canonical import Customer
from cdc.outcome import PollSettings
from cdc.poll import poll_stream
from cdc.streams import Sources, stream
from connectors.kashflow import KashFlowClient
from connectors.sage100 import Sage100Reader


def run_machine(
    pg_server: str, ledger_template: str, clients: Callable[..., KashFlowClient], company: Path
) -> None:
    examples = iter(range(1_000))

    class KashFlowEdits(LedgerMatchesSource):
        server_url, template, system = pg_server, ledger_template, "kashflow"

        def __init__(self) -> None:
            super().__init__()
            self.prefix = f"HK{next(examples):02d}"  # the sandbox outlives an example
            self.client = clients()
            self.sources = Sources(
                sage100=lambda: Sage100Reader(f"DRIVER=SQLite3;Database={company}"),
                kashflow=clients,
                settings=PollSettings(chunk_records=2),
            )

        def teardown(self) -> None:
            self.sources.close()
            self.client.close()
            self.drop_ledger()

        def write_source(self, key: str, name: str) -> None:
            record = Customer(system="kashflow", key=key, name=name)
            if key in self.existing:
                self.client.customers.update_record(record)
            else:
                self.client.customers.create_record(record)

        def delete_source(self, key: str) -> None:
            self.client.customers.delete(key)

        @precondition(lambda self: bool(self.existing))
        @rule(data=st.data(), name=names)
        def edit(self, data: st.DataObject, name: str) -> None:
            self._write(data.draw(st.sampled_from(sorted(self.existing))), f"{name} edited")

        @precondition(lambda self: bool(self.existing))
        @rule(data=st.data(), first=names, second=names)
        def two_edits_in_one_second(self, data: st.DataObject, first: str, second: str) -> None:
            key = data.draw(st.sampled_from(sorted(self.existing)))
            self._write(key, f"{first} 1")
            self._write(key, f"{second} 2")

        @rule(thorough=st.booleans())
        def poll(self, thorough: bool) -> None:
            poll_stream(self.conn, self.sources, stream("kashflow", "customer"), thorough=thorough)
            self.polled = True

    run_examples(KashFlowEdits, 6)


def test_ledger_state_equals_kashflow_state_after_every_poll(
    pg_server: str,
    ledger_template: str,
    client_factory: Callable[..., KashFlowClient],
    company_db: Path,
) -> None:
    run_machine(pg_server, ledger_template, client_factory, company_db)
