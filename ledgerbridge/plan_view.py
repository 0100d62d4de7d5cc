"""`ledgerbridge plan` and `sync --dry-run`: the planned writes as tables, nothing
applied; and the planning step of `sync --once`, which stores the plan for `apply`.

`plan_command` plans every flow over the ledger with the rules and prints one row per
write (flow, target, key, fields, approval needed, warnings), then the conflicts the
merge resolved and the records no write could be planned for. `plan_tables` renders a
`writer.plan.Plan` for any caller.
"""

from __future__ import annotations

from typing import Any

import psycopg
import typer
from rich.console import Console, Group
from rich.table import Table

from ledgerbridge.config import Settings, SettingsError, load_settings
from ledgerbridge.database import database_url
from writer.alerts import Alerter
from writer.intents import WriteIntent
from writer.plan import FLOWS, Plan, Submitted, plan_all, submit_plan
from writer.rules import Rules, RulesError, load_rules

MAX_FIELDS = 6
MAX_VALUE = 40
console = Console()
FLOW_HELP = f"Only these flows (repeatable): {', '.join(FLOWS)}."


def _short(value: Any) -> str:
    text = value if isinstance(value, str) else repr(value) if value is not None else "-"
    return text if len(text) <= MAX_VALUE else text[: MAX_VALUE - 1] + "…"


def _fields(intent: WriteIntent) -> str:
    payload = intent.record.payload()
    shown = [
        f"{name}={_short(value)}"
        for name, value in payload.items()
        if value not in (None, [], (), "")
    ][:MAX_FIELDS]
    more = len([v for v in payload.values() if v not in (None, [], (), "")]) - len(shown)
    return ", ".join(shown) + (f", … {more} more" if more > 0 else "")


def plan_tables(plan: Plan) -> Group:
    """The plan as tables: writes, conflicts resolved, records refused."""
    writes = Table(title=f"Planned writes: {len(plan.intents)} (nothing applied)", show_lines=True)
    for column in ("flow", "target", "key", "fields", "approval", "warnings"):
        writes.add_column(column, overflow="fold")
    for intent in plan.intents:
        writes.add_row(
            intent.flow,
            f"{intent.target_system} {intent.entity} ({intent.operation})",
            intent.target_key,
            _fields(intent),
            "needs approval" if intent.requires_approval else "",
            "\n".join(intent.warnings),
        )
    parts: list[Table] = [writes]
    if plan.conflicts:
        conflicts = Table(
            title=f"Conflicts resolved by the system of record: {len(plan.conflicts)}"
        )
        for column in (
            "entity",
            "kashflow",
            "sage100",
            "field",
            "kashflow value",
            "sage100 value",
            "winner",
        ):
            conflicts.add_column(column, overflow="fold")
        for c in plan.conflicts:
            conflicts.add_row(
                c.entity,
                c.kashflow_key,
                c.sage100_key,
                c.field,
                _short(c.kashflow_value),
                _short(c.sage100_value),
                c.winner,
            )
        parts.append(conflicts)
    if plan.rejections:
        refused = Table(title=f"Not planned (fix and plan again): {len(plan.rejections)}")
        refused.add_column("flow")
        refused.add_column("record and reason", overflow="fold")
        for r in plan.rejections:
            refused.add_row(r.flow, r.line())
        parts.append(refused)
    return Group(*parts)


def configured_rules(settings: Settings) -> Rules:
    """The writer's rules as configured (`rules_file` over the defaults)."""
    try:
        return load_rules(settings.rules_file)
    except RulesError as exc:
        raise SettingsError(f"invalid rules: {exc}") from None


def plan_command(
    flow: list[str] = typer.Option([], "--flow", "-f", help=FLOW_HELP),  # noqa: B008
) -> None:
    """Print the writes every flow would make now (flow, target, key, fields, approval
    needed, warnings), the conflicts resolved and the records refused; apply nothing."""
    unknown = [name for name in flow if name not in FLOWS]
    if unknown:
        raise typer.BadParameter(f"unknown flow {', '.join(unknown)}; one of {', '.join(FLOWS)}")
    settings = load_settings()
    with psycopg.connect(database_url(settings)) as conn:
        plan = _plan(conn, settings, flow or None)
    print_plan(plan, console)


def _plan(conn: psycopg.Connection[Any], settings: Settings, flows: list[str] | None) -> Plan:
    return plan_all(
        conn, configured_rules(settings), approval_threshold=settings.approval_threshold,
        flows=flows,
    )  # fmt: skip


def plan_and_submit(settings: Settings, out: Console) -> Submitted:
    """Plans every flow and stores the plan for `ledgerbridge apply` (intents in the
    outbox, conflicts as decisions, refusals as dead letters); prints what it added."""
    options = settings.writer
    alerter = Alerter(
        str(options.alert_webhook_url) if options.alert_webhook_url else None,
        options.alert_timeout_seconds,
    )
    with psycopg.connect(database_url(settings)) as conn:
        submitted = submit_plan(conn, _plan(conn, settings, None), alerter=alerter)
    out.print(
        f"planned: {submitted.intents} new write(s) to apply (`ledgerbridge apply`),"
        f" {submitted.conflicts} conflict(s) settled, {submitted.dead_letters} record(s)"
        " refused (`ledgerbridge deadletters list`)"
    )
    return submitted


def print_plan(plan: Plan, to: Console) -> None:
    to.print(plan_tables(plan))
