"""`ledgerbridge demo`: the storyline end to end on embedded defaults, with the real parts.

1. Starts (or reuses) the embedded PostgreSQL and migrates the ledger.
2. Seeds the sample company into both sandboxes (once): a Sage 100 company in SQLite and
   a KashFlow sandbox served over HTTP on a loopback port.
3. Polls every CDC stream once (`sync --once`): Sage 100 over ODBC (unixODBC + the
   SQLite ODBC driver + pyodbc) and KashFlow over its REST API, into the ledger.
4. Edits a customer through the KashFlow API, polls the KashFlow customer stream again,
   and shows the record's history with the field-level diff.
5. Reconciles the two systems and shows what does not match.

Running it again changes nothing that did not change: every re-read is a no-op.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any, Final

import psycopg
from pydantic import SecretStr
from rich.console import Console
from rich.table import Table

from canonical import Customer
from cdc.poll import poll_stream
from cdc.streams import STREAMS, Sources, stream
from ledger import MatchResult, current, history, results_of_run
from ledgerbridge.cdc_commands import run_sync_once, sources_of
from ledgerbridge.config import Settings, load_settings
from ledgerbridge.database import database_url, prepare_ledger, redact
from ledgerbridge.history_view import history_table
from ledgerbridge.reconcile import reconcile
from sandbox.datagen import generate_company
from sandbox.kashflow.config import SandboxConfig
from sandbox.kashflow.server import SandboxServer, open_sandbox
from sandbox.sage100.seed import seed_company

SIZE: Final = "small"
SEED: Final = 42
RATE_LIMIT = 200.0


def demo_command() -> None:
    """Run the storyline end to end on embedded defaults (safe to run again)."""
    run_demo(load_settings(), Console())


def run_demo(settings: Settings, console: Console) -> None:
    url = database_url(settings)
    console.rule("Ledgerbridge demo")
    console.print(f"ledger database: {redact(url)}")
    for warning in prepare_ledger(settings):
        console.print(f"warning: {warning}")
    sandboxes = settings.home / "sandbox"
    sandboxes.mkdir(parents=True, exist_ok=True)
    sage_db = _sage100_company(sandboxes / "sage100.db", console)
    kashflow = open_sandbox(
        sandboxes / "kashflow.db",
        SandboxConfig(size=SIZE, seed=SEED, rate_limit_per_second=RATE_LIMIT),
    )
    with SandboxServer(kashflow) as server:
        console.print(f"KashFlow sandbox serving {server.base_url}")
        # The demo points the configuration at its own sandboxes, whatever it said.
        settings = settings.model_copy(
            update={
                "kashflow": settings.kashflow.model_copy(
                    update={"base_url": server.base_url, "requests_per_second": RATE_LIMIT * 0.9}
                ),
                "sage100": settings.sage100.model_copy(
                    update={
                        "odbc_connection_string": SecretStr(f"DRIVER=SQLite3;Database={sage_db}")
                    }
                ),
            }
        )
        with sources_of(settings) as sources:
            run_sync_once(url, sources, list(STREAMS), console)
            customer = _edit_a_customer(url, sources, console)
        with psycopg.connect(url) as conn:
            _show_state(conn, console)
            console.print(history_table(history(conn, "kashflow", "customer", customer.key)))
            _reconcile(conn, console)
    console.print(
        f"See any record's history with: ledgerbridge history kashflow customer {customer.key}"
    )


def _sage100_company(path: Path, console: Console) -> Path:
    if not path.exists():
        counts = seed_company(path, generate_company(SIZE, SEED))
        console.print(f"seeded the Sage 100 sandbox company: {sum(counts.values())} rows")
    return path


def _edit_a_customer(url: str, sources: Sources, console: Console) -> Customer:
    client = sources.kashflow()
    customer = client.customers.read(next(iter(client.customers.list()))["Code"])
    suffix = " (Trading)"
    name = (
        customer.name[: -len(suffix)] if customer.name.endswith(suffix) else customer.name + suffix
    )
    edited = client.customers.update_record(customer.model_copy(update={"name": name}))
    with psycopg.connect(url, autocommit=True) as conn:
        report = poll_stream(conn, sources, stream("kashflow", "customer"), reason="demo edit")
    console.print(
        f"edited KashFlow customer {customer.key} through the API: {customer.name!r} -> "
        f"{edited.name!r}; polled kashflow:customer again: {report.appended} new version"
        f" ({report.requests} requests)"
    )
    return edited


def _show_state(conn: psycopg.Connection[Any], console: Console) -> None:
    table = Table(title="Current state in the ledger")
    table.add_column("entity")
    table.add_column("kashflow", justify="right")
    table.add_column("sage100", justify="right")
    counts = Counter((v.entity, v.system) for v in current(conn))
    for entity in sorted({entity for entity, _ in counts}):
        table.add_row(entity, str(counts[(entity, "kashflow")]), str(counts[(entity, "sage100")]))
    console.print(table)


def _reconcile(conn: psycopg.Connection[Any], console: Console) -> None:
    """Reconciles what was just read and shows what does not reconcile, with examples."""
    summary = reconcile(conn)
    results = results_of_run(conn, summary.run_id)
    table = Table(title=f"What does not reconcile (reconcile run {summary.run_id})")
    table.add_column("check")
    table.add_column("count", justify="right")
    table.add_column("examples")
    for masters in summary.masters:
        table.add_row(
            f"{masters.entity} links",
            str(masters.already_linked + masters.auto),
            f"{masters.auto} auto-linked now, {masters.already_linked} before;"
            f" {masters.suggested} to review; without a counterpart:"
            f" {masters.unlinked_kashflow} KashFlow, {masters.unlinked_sage100} Sage 100",
        )
    payments = Counter(r.status for r in results if r.kind == "payment")
    table.add_row(
        "payment matches",
        str(summary.allocations),
        ", ".join(f"{count} {status}" for status, count in sorted(payments.items()))
        or "nothing left to match",
    )
    table.add_row("anomalies", *_count_and_examples(results, "anomaly", _anomaly_example))
    table.add_row("GL suggestions", *_count_and_examples(results, "gl_suggestion", _gl_example))
    console.print(table)
    for problem in summary.problems:
        console.print(f"[yellow]not reconciled[/yellow] {problem.line()}")


def _count_and_examples(
    results: list[MatchResult], kind: str, example: Callable[[MatchResult], str | None]
) -> tuple[str, str]:
    """How many results of `kind`, and the first three of them, each told by `example`."""
    of_kind = [r for r in results if r.kind == kind]
    told = (example(r) for r in of_kind[:3])
    return str(len(of_kind)), "\n".join(line for line in told if line is not None)


def _anomaly_example(r: MatchResult) -> str | None:
    if not (r.left and r.detail.get("reasons")):
        return None
    return f"{r.left[0]} {r.left[2]}: {r.detail['reasons'][0]}"


def _gl_example(r: MatchResult) -> str | None:
    if not r.right:
        return None
    return f"purchase {r.group_id} -> {r.right[2]} ({r.score:.0%}, {r.detail['source']})"
