"""`ledgerbridge sync`, `worker` and `schedule`: change capture from the command line.

The systems polled are the ones the configuration names (`LEDGERBRIDGE_KASHFLOW__*`,
`LEDGERBRIDGE_SAGE100__ODBC_CONNECTION_STRING`); intervals come from
`LEDGERBRIDGE_CDC__INTERVALS` and `ledgerbridge schedule set`, which is stored in the
ledger (append-only: the newest row per stream wins).
"""

from __future__ import annotations

import psycopg
import typer
from rich import box
from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from cdc.poll import PollReport
from cdc.settings import interval_text, parse_interval
from cdc.streams import STREAMS, Sources, Stream, stream
from cdc.sync import sync_once
from cdc.tasks import build_app, interval_of
from connectors.kashflow import KashFlowClient
from connectors.sage100.odbc import Sage100Reader
from ledger.schedules import current_schedules, last_poll_starts, set_schedule
from ledgerbridge.config import Settings, load_settings
from ledgerbridge.database import database_url
from ledgerbridge.lazy_commands import run_alone
from ledgerbridge.plan_view import plan_and_submit, plan_command
from ledgerbridge.writer_commands import register_writer

console = Console()
schedule_app = typer.Typer(help="How often each stream is polled.", no_args_is_help=True)


def sources_of(settings: Settings) -> Sources:
    """The systems the configuration names, opened on first use."""
    return Sources(
        sage100=lambda: Sage100Reader.from_settings(settings.sage100),
        kashflow=lambda: KashFlowClient.from_settings(settings.kashflow),
        settings=settings.cdc.poll_settings(),
    )


def _streams(names: list[str] | None) -> list[Stream]:
    if not names:
        return list(STREAMS)
    chosen = []
    for name in names:
        system, _, entity = name.partition(":")
        try:
            chosen.append(stream(system, entity))
        except Exception as unknown:
            raise typer.BadParameter(str(unknown), param_hint="--stream") from None
    return [s for s in STREAMS if s in chosen]


STREAM_OPTION = typer.Option(None, "--stream", help="Only this stream (system:entity); repeatable.")


def sync(
    once: bool = typer.Option(False, "--once", help="Poll every stream once, then stop."),
    streams: list[str] | None = STREAM_OPTION,
    dry_run: bool = typer.Option(
        False, "--dry-run", help="Print the writes every flow would make; apply nothing."
    ),
) -> None:
    """Poll every stream once in dependency order and print what each did, then plan the
    writes every flow makes and store them for `ledgerbridge apply` (without --once: run a
    worker, as `ledgerbridge worker`). With --dry-run, print the planned writes instead of
    storing them (after polling, with --once)."""
    settings = load_settings()
    if not once and not dry_run:
        worker(concurrency=1)
        return
    failed = False
    if once:
        url = database_url(settings)
        with sources_of(settings) as sources:
            reports = run_sync_once(url, sources, _streams(streams), console)
        failed = any(r.status == "failed" for r in reports)
    if dry_run:
        plan_command(flow=[])
    else:
        plan_and_submit(settings, console)
    if failed:
        raise typer.Exit(1)


def run_sync_once(
    url: str, sources: Sources, streams: list[Stream], out: Console
) -> list[PollReport]:
    """`sync --once` with a progress bar and a final table (the demo uses it too)."""
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total} streams"),
        TimeElapsedColumn(),
        console=out,
        transient=True,
    ) as progress:
        task = progress.add_task("polling", total=len(streams))

        def started(target: Stream) -> None:
            progress.update(task, description=f"polling {target.name}")

        def done(target: Stream, report: PollReport) -> None:
            progress.advance(task)

        reports = sync_once(url, sources, streams, on_start=started, on_done=done)
    out.print(sync_table(reports))
    for report in reports:
        if report.error:
            out.print(f"[red]{report.system}:{report.entity} failed:[/red] {report.error}")
    return reports


def sync_table(reports: list[PollReport]) -> Table:
    """One row per stream; a stream that failed is red, one with dead letters yellow."""
    table = Table(
        title="sync --once",
        caption="errors: records dead-lettered; cost: KashFlow requests, Sage 100 rows read",
        box=box.SIMPLE_HEAD,
    )
    table.add_column("stream", no_wrap=True)
    for column in ("read", "appended", "unchanged", "deleted", "errors", "cost"):
        table.add_column(column, justify="right", no_wrap=True)
    for r in reports:
        cost = r.requests if r.system == "kashflow" else r.rows_read
        style = {"failed": "red", "partial": "yellow"}.get(r.status)
        table.add_row(
            f"{r.system}:{r.entity}", str(r.read), str(r.appended), str(r.unchanged),
            str(r.deleted), str(r.errors), str(cost), style=style,
        )  # fmt: skip
    return table


def worker(
    concurrency: int = typer.Option(
        1, "--concurrency", min=1, max=64, help="Polls this worker runs at once."
    ),
    read_only: bool = typer.Option(
        False,
        "--read-only",
        help="Only poll into the ledger: plan and apply no writes to either system.",
    ),
) -> None:
    """Run a worker: polls every stream on its schedule and, unless --read-only, plans and
    applies the writer's flows, until stopped (Ctrl-C). Run any number, on any machine
    that reaches the database."""
    settings = load_settings()
    url = database_url(settings)
    app = build_app(url, lambda: sources_of(settings), settings.cdc)
    if not read_only:
        register_writer(app, settings)  # the writer's apply task runs beside the polls
    console.print(
        f"worker polling {len(STREAMS)} streams, concurrency {concurrency}"
        + (", read-only: no writes" if read_only else "")
    )
    app.run_worker(
        concurrency=concurrency,
        update_heartbeat_interval=settings.cdc.heartbeat_seconds,
        stalled_worker_timeout=settings.cdc.stalled_seconds,
        delete_jobs="successful",
    )


@schedule_app.command("set")
def schedule_set(
    system: str = typer.Argument(..., help="kashflow or sage100"),
    entity: str = typer.Argument(..., help="customer, sales_invoice, ..."),
    interval: str = typer.Argument(..., help="30s, 5m, 1h, or off"),
) -> None:
    """Set how often one stream is polled (stored in the ledger; workers pick it up)."""
    try:
        target = stream(system, entity)
    except Exception as unknown:
        raise typer.BadParameter(str(unknown)) from None
    try:
        seconds = parse_interval(interval)
    except ValueError as bad:
        raise typer.BadParameter(str(bad), param_hint="INTERVAL") from None
    with psycopg.connect(database_url(load_settings()), autocommit=True) as conn:
        set_schedule(conn, target.system, target.entity, seconds)
    console.print(
        f"{target.name}: every {interval_text(seconds)}" if seconds else f"{target.name}: off"
    )


@schedule_app.command("list")
def schedule_list() -> None:
    """Every stream, its interval, where the interval comes from, and its last poll."""
    settings = load_settings()
    with psycopg.connect(database_url(settings), autocommit=True) as conn:
        stored = current_schedules(conn)
        started = last_poll_starts(conn, "poll")
    table = Table(title="CDC schedule")
    for column in ("stream", "interval", "from", "last poll started"):
        table.add_column(column)
    for target in STREAMS:
        key = (target.system, target.entity)
        source = (
            f"schedule set ({stored[key].set_by})" if key in stored
            else "configuration" if target.name in settings.cdc.intervals
            else "default"
        )  # fmt: skip
        last = started.get(key)
        table.add_row(
            target.name,
            interval_text(interval_of(target, settings.cdc, stored)),
            source,
            last.isoformat(timespec="seconds") if last else "never",
        )
    console.print(table)


def register(app: typer.Typer) -> None:
    app.command("sync")(sync)
    app.command("worker")(worker)
    app.add_typer(schedule_app, name="schedule")


if __name__ == "__main__":
    run_alone(register)  # `python -m ledgerbridge.cdc_commands worker`
