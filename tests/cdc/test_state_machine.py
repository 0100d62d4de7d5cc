"""Random edit scripts against the Sage 100 company — creates, edits, deletes, re-creates,
edits in the same TimeUpdated tick, and a writer's clock running behind (within the
overlap window) — with a poll now and then: after every poll the ledger's current state
equals what the company holds."""

from __future__ import annotations

import shutil
from datetime import date, datetime, timedelta
from pathlib import Path

import psycopg
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from canonical import Customer
from cdc.outcome import PollSettings
from cdc.poll import poll_stream
from cdc.streams import Sources, stream
from connectors.sage100 import Sage100Reader, Sage100Writer
from ledger import current
from ledgerbridge.sage100_session import SandboxBOISession
from ledgerbridge.testdb import create_database, drop_database, fresh_name

PREFIX = "01-HYP"
names = st.sampled_from(["Alder Ltd", "Birch PLC", "Cedar & Co", "Damson Group"])


def run_machine(pg_server: str, template: str, company: Path, workdir: Path) -> None:
    class EditScripts(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            self.database = fresh_name("lbhyp")
            url = create_database(pg_server, self.database, template=template)
            self.conn = psycopg.connect(url, autocommit=True)
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
            self.existing: dict[str, str] = {}
            self.deleted: set[str] = set()
            self.numbers = 0
            self.polled = False

        def teardown(self) -> None:
            self.sources.close()
            self.reader.close()
            self.session.close()
            self.conn.close()
            drop_database(pg_server, self.database)

        def _write(self, key: str, name: str) -> None:
            self.writer.write(Customer.build(system="sage100", key=key, name=name))
            self.existing[key] = name
            self.deleted.discard(key)

        @rule(name=names)
        def create(self, name: str) -> None:
            self.numbers += 1
            self._write(f"{PREFIX}{self.numbers:04d}", name)

        @precondition(lambda self: bool(self.existing))
        @rule(data=st.data(), name=names)
        def edit(self, data: st.DataObject, name: str) -> None:
            key = data.draw(st.sampled_from(sorted(self.existing)))
            self._write(key, f"{name} {self.now.microsecond % 7}")

        @precondition(lambda self: bool(self.existing))
        @rule(data=st.data())
        def delete(self, data: st.DataObject) -> None:
            key = data.draw(st.sampled_from(sorted(self.existing)))
            self.writer.delete_customer(key)
            del self.existing[key]
            self.deleted.add(key)

        @precondition(lambda self: bool(self.deleted))
        @rule(data=st.data(), name=names)
        def recreate(self, data: st.DataObject, name: str) -> None:
            self._write(data.draw(st.sampled_from(sorted(self.deleted))), name)

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

        @invariant()
        def ledger_equals_source_after_a_poll(self) -> None:
            if not self.polled:
                return
            self.polled = False
            in_ledger = {
                v.native_key: (v.payload or {}).get("name")
                for v in current(self.conn, "sage100", "customer")
                if v.native_key.startswith(PREFIX)
            }
            assert in_ledger == self.existing

    EditScripts.TestCase.settings = settings(
        max_examples=8,
        stateful_step_count=12,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow],
    )
    state_machine = EditScripts.TestCase()
    state_machine.runTest()


def test_ledger_state_equals_source_state_after_every_poll(
    pg_server: str, ledger_template: str, seeded_template: Path, tmp_path: Path
) -> None:
    run_machine(pg_server, ledger_template, seeded_template, tmp_path)
