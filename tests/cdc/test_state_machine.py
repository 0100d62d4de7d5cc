"""Random edit scripts against the Sage 100 company — creates, edits, deletes, re-creates,
edits in the same TimeUpdated tick, and a writer's clock running behind (within the
overlap window) — with a poll now and then: after every poll the ledger's current state
equals what the company holds."""

from __future__ import annotations

import shutil
from datetime import date, datetime, timedelta
from pathlib import Path

from edit_scripts import LedgerMatchesSource, names, run_examples
from hypothesis import strategies as st
from hypothesis.stateful import precondition, rule

from canonical import Customer
from cdc.outcome import PollSettings
from cdc.poll import poll_stream
from cdc.streams import Sources, stream
from connectors.sage100 import Sage100Reader, Sage100Writer
from ledgerbridge.sage100_session import SandboxBOISession

PREFIX = "01-HYP"


def run_machine(pg_server: str, ledger_template: str, company: Path, workdir: Path) -> None:
    class EditScripts(LedgerMatchesSource):
        server_url, system, prefix = pg_server, "sage100", PREFIX
        template = ledger_template

        def __init__(self) -> None:
            super().__init__()
            self.company = workdir / f"{self.database}.db"
            shutil.copyfile(company, self.company)
            self.now = datetime(2026, 11, 2, 9, 0, 0)
            self.newest = self.now
            self.session = SandboxBOISession(
                self.company, clock=lambda: self.now, today=date(2026, 11, 2)
            )
            connection = f"DRIVER=SQLite3;Database={self.company}"
            self.reader = Sage100Reader(connection)
            self.writer = Sage100Writer(self.session, self.reader.lookups())
            self.sources = Sources(
                sage100=lambda: Sage100Reader(connection),
                kashflow=lambda: (_ for _ in ()).throw(AssertionError("no KashFlow here")),
                settings=PollSettings(key_diff_seconds=0.001),
            )

        def teardown(self) -> None:
            self.sources.close()
            self.reader.close()
            self.session.close()
            self.drop_ledger()

        def write_source(self, key: str, name: str) -> None:
            self.writer.write(Customer.build(system="sage100", key=key, name=name))

        def delete_source(self, key: str) -> None:
            self.writer.delete_customer(key)

        @precondition(lambda self: bool(self.existing))
        @rule(data=st.data(), name=names)
        def edit(self, data: st.DataObject, name: str) -> None:
            key = data.draw(st.sampled_from(sorted(self.existing)))
            self._write(key, f"{name} {self.now.microsecond % 7}")

        @rule(seconds=st.sampled_from([0.0, 0.01, 0.04, 1.0, 59.0, 3600.0]))
        def time_passes(self, seconds: float) -> None:
            """0: the next write lands in the same TimeUpdated tick."""
            self.now += timedelta(seconds=seconds)
            self.newest = max(self.newest, self.now)

        @rule(seconds=st.integers(min_value=1, max_value=90))
        def writer_clock_behind(self, seconds: int) -> None:
            """A writer whose clock lags: stamps go back, at most 90 s behind the newest
            stamp so far (inside the 120 s overlap window; beyond it a change can be
            missed, which the README says)."""
            lagging = self.now - timedelta(seconds=seconds)
            self.now = max(lagging, self.newest - timedelta(seconds=90))

        @rule()
        def poll(self) -> None:
            poll_stream(self.conn, self.sources, stream("sage100", "customer"))
            self.polled = True

    run_examples(EditScripts, 8)


def test_ledger_state_equals_source_state_after_every_poll(
    pg_server: str, ledger_template: str, seeded_template: Path, tmp_path: Path
) -> None:
    run_machine(pg_server, ledger_template, seeded_template, tmp_path)
