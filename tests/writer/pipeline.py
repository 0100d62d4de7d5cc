"""The writer's whole path over both sandboxes, for the end-to-end tests: poll both
systems into the ledger (the CDC pollers, over ODBC and HTTP), plan every flow, store the
plan and apply it to the sandboxes, then poll again so the ledger sees what was written.
Also the master links a confirmed reconcile would make between the two seeded companies
(which hold the same masters under the same codes)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import psycopg

from cdc.streams import STREAMS, Sources, stream
from cdc.sync import sync_once
from connectors.kashflow import KashFlowClient
from connectors.sage100 import Sage100Reader, keys
from ledger import IdentityLink, append_links, current
from writer.apply import Applier, ApplyReport
from writer.intents import WriteIntent
from writer.plan import Plan, plan_all, submit_plan
from writer.rules import load_rules

RULES = load_rules()
THRESHOLD = Decimal(5000)


def link_masters(conn: psycopg.Connection[Any]) -> None:
    """KashFlow code X is Sage 100 01-X (customers, suppliers) or X (products)."""
    links = []
    for entity in ("customer", "supplier", "product"):
        sage = {v.native_key for v in current(conn, "sage100", entity)}
        for version in current(conn, "kashflow", entity):
            code = version.native_key
            other = code if entity == "product" else f"{keys.DEFAULT_DIVISION}-{code}"
            if other in sage:
                links.append(IdentityLink(entity, code, other, "confirmed"))
    append_links(conn, None, links)


@dataclass
class Pipeline:
    """Ledger, sandboxes and an applier over them."""

    url: str
    odbc: str
    open_kashflow: Callable[[], KashFlowClient]
    kashflow: KashFlowClient
    """A client of the KashFlow sandbox, for the changes a test makes there."""
    applier: Applier
    tick: Callable[[], object] = lambda: None
    """Moves the Sage 100 emulator's clock on before each apply (its writes are stamped)."""

    def poll(self, *names: str) -> None:
        """Polls the streams named system:entity (default: all), as `sync --once` does."""
        chosen = [stream(*name.split(":")) for name in names] if names else list(STREAMS)
        with Sources(sage100=lambda: Sage100Reader(self.odbc), kashflow=self.open_kashflow) as s:
            reports = sync_once(self.url, s, chosen)
        failed = [f"{r.system}:{r.entity}: {r.error}" for r in reports if r.status == "failed"]
        assert not failed, failed

    def plan(self) -> Plan:
        with psycopg.connect(self.url) as conn:
            return plan_all(conn, RULES, approval_threshold=THRESHOLD)

    def apply(self, plan: Plan, intents: Iterable[WriteIntent]) -> ApplyReport:
        """Stores the whole plan, then applies `intents` with what they depend on."""
        with psycopg.connect(self.url) as conn:
            submit_plan(conn, plan)
        by_key = {i.idempotency_key: i for i in plan.intents}
        wanted = [i.idempotency_key for i in intents]
        keys_ = set(wanted)
        while wanted:
            for dependency in by_key[wanted.pop()].depends_on:
                if dependency in by_key and dependency not in keys_:
                    keys_.add(dependency)
                    wanted.append(dependency)
        self.tick()
        return self.applier.apply(sorted(keys_))


def about(plan: Plan, *keys_: str) -> list[WriteIntent]:
    """The planned intents from or to any of `keys_` (source or target key)."""
    return [i for i in plan.intents if i.source_key in keys_ or i.target_key in keys_]
