"""`ledgerbridge apply` and `ledgerbridge approvals`: applying the write outbox from the
command line, and the approvals that release writes over the threshold. The shell plugs
the configured systems (KashFlow, Sage 100 through the configured BOI backend) into the
writer here, and the CDC poll requests that follow a successful write.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from typing import Any

import procrastinate
import psycopg
import typer
from rich import box
from rich.console import Console
from rich.table import Table

from canonical.retry import RetryPolicy
from cdc.tasks import defer_poll, poll_requester
from connectors.kashflow import KashFlowClient
from connectors.sage100 import Sage100Reader, Sage100Writer
from ledgerbridge.config import Settings, load_settings
from ledgerbridge.database import database_url
from ledgerbridge.lazy_commands import run_alone
from ledgerbridge.plan_view import plan_and_submit
from ledgerbridge.sage100_session import session_from_settings
from writer.alerts import Alerter
from writer.apply import Applier, ApplyReport, PollRequest
from writer.outbox import approve, awaiting_approval, reject
from writer.targets import KashFlowTarget, Sage100Target, Target
from writer.tasks import register_apply_tasks

console = Console()
approvals_app = typer.Typer(help="Writes that wait for a human approval.", no_args_is_help=True)


class _LazyTargets(dict[str, Target]):
    """The configured systems, each opened on first use (an apply that only writes to
    Sage 100 never logs in to KashFlow)."""

    def __init__(self, settings: Settings, stack: ExitStack) -> None:
        super().__init__()
        self._settings = settings
        self._stack = stack
        self._openers: dict[str, Callable[[], Target]] = {
            "kashflow": self._kashflow,
            "sage100": self._sage100,
        }

    def _kashflow(self) -> Target:
        client = self._stack.enter_context(KashFlowClient.from_settings(self._settings.kashflow))
        return KashFlowTarget(client)

    def _sage100(self) -> Target:
        reader = self._stack.enter_context(Sage100Reader.from_settings(self._settings.sage100))
        session = session_from_settings(self._settings.sage100)
        self._stack.callback(session.close)
        return Sage100Target(Sage100Writer(session, reader.lookups()), reader)

    def __missing__(self, system: str) -> Target:
        opener = self._openers.get(system)
        if opener is None:
            raise KeyError(system)
        self[system] = target = opener()
        return target

    def get(self, system: str, default: Any = None) -> Any:
        try:
            return self[system]
        except KeyError:
            return default


@contextmanager
def open_applier(settings: Settings, request_poll: PollRequest | None = None) -> Iterator[Applier]:
    """An applier over the configured systems, its own autocommit connection, the
    configured retry policy, batch size and alert webhook."""
    url = database_url(settings)
    options = settings.writer
    if request_poll is None:
        request_poll = poll_requester(url)
    with ExitStack() as stack:
        conn = stack.enter_context(psycopg.connect(url, autocommit=True))
        yield Applier(
            conn,
            _LazyTargets(settings, stack),
            retry=RetryPolicy(
                max_retries=options.max_retries,
                base_delay=options.base_delay_seconds,
                max_delay=options.max_delay_seconds,
            ),
            batch_size=options.batch_size,
            failing_after_attempts=options.failing_after_attempts,
            alerter=Alerter(
                str(options.alert_webhook_url) if options.alert_webhook_url else None,
                options.alert_timeout_seconds,
            ),
            request_poll=request_poll,
        )


def register_writer(app: procrastinate.App, settings: Settings) -> None:
    """Puts the apply task on the workers' app, planning before each apply; a write's poll
    request goes to the same queue (`cdc.poll` of what it touched)."""

    def poll_now(system: str, entity: str, reason: str) -> object:
        return defer_poll(app, system, entity, reason)

    register_apply_tasks(
        app,
        lambda: open_applier(settings, poll_now),
        tick_seconds=settings.cdc.tick_seconds,
        plan=lambda: plan_and_submit(settings, Console(quiet=True)),
    )


def report_table(report: ApplyReport) -> Table:
    table = Table(title="apply", box=box.SIMPLE_HEAD)
    table.add_column("outcome")
    table.add_column("intents", justify="right")
    for name, value in report.counts().items():
        table.add_row(name.replace("_", " "), str(value))
    return table


KEY_OPTION = typer.Option(None, "--key", help="Only this intent; repeatable.")


def apply_command(key: list[str] | None = KEY_OPTION) -> None:
    """Apply every pending write intent now (dependencies first; approvals and dead
    letters wait) and print what happened."""
    settings = load_settings()
    with open_applier(settings) as applier:
        report = applier.apply(key or None)
    console.print(report_table(report))
    if report.dead_lettered:
        console.print("[yellow]see `ledgerbridge deadletters list`[/yellow]")
        raise typer.Exit(1)


@approvals_app.command("list")
def approvals_list() -> None:
    """Writes that wait for an approval (over the threshold), oldest first."""
    with psycopg.connect(database_url(load_settings()), autocommit=True) as conn:
        waiting = awaiting_approval(conn)
    if not waiting:
        console.print("no write waits for an approval")
        return
    # One line each, never wrapped: the key is what `approvals approve` takes.
    console.print("key  target  entity  record  amount", style="bold", soft_wrap=True)
    for state in waiting:
        amount = state.payload.get("gross_amount") or state.payload.get("amount") or ""
        console.print(
            f"{state.idempotency_key}  {state.target_system}  {state.entity}"
            f"  {state.target_key or ''}  {amount}",
            soft_wrap=True, highlight=False, markup=False,
        )  # fmt: skip


def _decide(key: str, approved: bool, actor: str, reason: str | None) -> None:
    with psycopg.connect(database_url(load_settings()), autocommit=True) as conn:
        if key not in {s.idempotency_key for s in awaiting_approval(conn)}:
            console.print(f"[red]{key}: no write waits for an approval under that key[/red]")
            raise typer.Exit(1)
        (approve if approved else reject)(conn, key, actor, reason)
    console.print(f"{key}: {'approved' if approved else 'rejected'} by {actor}")


ACTOR = typer.Option("cli", "--by", help="Who decides (recorded in the ledger).")
REASON = typer.Option(None, "--reason")


@approvals_app.command("approve")
def approvals_approve(key: str, by: str = ACTOR, reason: str | None = REASON) -> None:
    """Approve a waiting write: it posts on the next apply."""
    _decide(key, True, by, reason)


@approvals_app.command("reject")
def approvals_reject(key: str, by: str = ACTOR, reason: str | None = REASON) -> None:
    """Reject a waiting write: it never posts."""
    _decide(key, False, by, reason)


def register(app: typer.Typer) -> None:
    app.command("apply")(apply_command)
    app.add_typer(approvals_app, name="approvals")


if __name__ == "__main__":
    run_alone(register)  # `python -m ledgerbridge.writer_commands apply`
