"""What the CDC state machines share (Sage 100 in test_state_machine.py, KashFlow in
test_state_machine_kashflow.py): a fresh ledger per example, the source state the edit
script leaves, and the invariant that after every poll the ledger's current state equals
it."""

from __future__ import annotations

import psycopg
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from ledger import current
from ledgerbridge.testdb import create_database, drop_database, fresh_name

names = st.sampled_from(["Alder Ltd", "Birch PLC", "Cedar & Co", "Damson Group"])


class LedgerMatchesSource(RuleBasedStateMachine):
    """Subclasses name the ledger server and template, the system and the key prefix of
    the customers the script edits, write and delete them in the source
    (`write_source`, `delete_source`), and record each poll in `polled`."""

    server_url = ""
    template = ""
    system = ""
    prefix = ""

    def __init__(self) -> None:
        super().__init__()
        self.database = fresh_name("lbhyp")
        url = create_database(self.server_url, self.database, template=self.template)
        self.conn = psycopg.connect(url, autocommit=True)
        self.existing: dict[str, str] = {}
        """Key -> name of every customer the script created and did not delete."""
        self.deleted: set[str] = set()
        self.numbers = 0
        self.polled = False

    def write_source(self, key: str, name: str) -> None:
        raise NotImplementedError

    def delete_source(self, key: str) -> None:
        raise NotImplementedError

    def _write(self, key: str, name: str) -> None:
        self.write_source(key, name)
        self.existing[key] = name
        self.deleted.discard(key)

    @rule(name=names)
    def create(self, name: str) -> None:
        self.numbers += 1
        self._write(f"{self.prefix}{self.numbers:04d}", name)

    @precondition(lambda self: bool(self.existing))
    @rule(data=st.data())
    def delete(self, data: st.DataObject) -> None:
        key = data.draw(st.sampled_from(sorted(self.existing)))
        self.delete_source(key)
        del self.existing[key]
        self.deleted.add(key)

    @precondition(lambda self: bool(self.deleted))
    @rule(data=st.data(), name=names)
    def recreate(self, data: st.DataObject, name: str) -> None:
        self._write(data.draw(st.sampled_from(sorted(self.deleted))), name)

    def drop_ledger(self) -> None:
        self.conn.close()
        drop_database(self.server_url, self.database)

    @invariant()
    def ledger_equals_source_after_a_poll(self) -> None:
        if not self.polled:
            return
        self.polled = False
        in_ledger = {
            v.native_key: (v.payload or {}).get("name")
            for v in current(self.conn, self.system, "customer")
            if v.native_key.startswith(self.prefix)
        }
        assert in_ledger == self.existing


def run_examples(machine: type[LedgerMatchesSource], examples: int) -> None:
    machine.TestCase.settings = settings(
        max_examples=examples,
        stateful_step_count=12,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow],
    )
    machine.TestCase().runTest()
