"""`ledgerbridge demo`: the storyline end to end on embedded defaults.

Starts (or reuses) the embedded PostgreSQL, migrates the ledger, records what both
systems hold of the sample company, records a change made in KashFlow, and shows that
record's history. Running it again changes nothing: every re-read is a no-op.
"""

from __future__ import annotations

from collections import Counter

import psycopg
from rich.console import Console
from rich.table import Table

from canonical import Customer
from ledger import NewVersion, append_versions, current, finish_run, history, start_run
from ledger.migrate import upgrade
from ledgerbridge.config import Settings
from ledgerbridge.database import database_url, redact
from ledgerbridge.history_view import history_table
from sandbox.datagen import generate_company


def run_demo(settings: Settings, console: Console) -> None:
    url = database_url(settings)
    console.rule("Ledgerbridge demo")
    console.print(f"ledger database: {redact(url)}")
    upgrade(url)
    company = generate_company("small", seed=42)
    with psycopg.connect(url) as conn:
        for system in ("kashflow", "sage100"):
            view = company.view(system)
            run_id = start_run(conn, "demo", system)
            versions = [
                NewVersion.of(record) for records in view.by_entity.values() for record in records
            ]
            result = append_versions(conn, versions, run_id)
            finish_run(
                conn, run_id, counts={"appended": result.appended, "unchanged": result.unchanged}
            )
            console.print(
                f"{system:>9}: {len(versions)} records read, {result.appended} new versions,"
                f" {result.unchanged} unchanged"
            )

        customer = next(
            c for c in company.view("kashflow").of("customer") if isinstance(c, Customer)
        )
        renamed = customer.model_copy(
            update={"name": f"{customer.name} (Trading)", "email": "ledger@example.co.uk"}
        )
        run_id = start_run(conn, "demo", "kashflow", "customer")
        result = append_versions(conn, [NewVersion.of(renamed)], run_id)
        finish_run(conn, run_id, counts={"appended": result.appended})
        console.print(
            f"KashFlow customer {customer.key} edited: {result.appended} new version"
            f" ({'already recorded by an earlier demo run' if not result.appended else 'recorded'})"
        )

        summary = Table(title="Current state in the ledger")
        summary.add_column("system")
        summary.add_column("entity")
        summary.add_column("records", justify="right")
        counts = Counter((v.system, v.entity) for v in current(conn))
        for (system, entity), count in sorted(counts.items()):
            summary.add_row(system, entity, str(count))
        console.print(summary)
        console.print(history_table(history(conn, "kashflow", "customer", customer.key)))
    console.print(
        f"See any record's history with: ledgerbridge history kashflow customer {customer.key}"
    )
