"""Reconciling the ledger: payments of both systems against the invoices open on each side.

`reconcile(conn, config)` reads the current payments and invoices of KashFlow and Sage 100
from the ledger (canonical payloads), puts counterparties of both systems under one id
through the identity links, and runs `match_payments` once per system whose invoices
are open: that system's own payments (what they have not yet allocated there) and the
other system's payments (whole, unless linked to one of this system's payments) against
its open invoices. Receipts pair with sales invoices, supplier payments with purchase
invoices. Every allocation is appended as a `MatchResult` of one ``reconcile`` run.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import polars as pl
import psycopg

from canonical import SYSTEMS
from ledger import MatchResult, append_results, current, finish_run, start_run
from matcher.payments import MatchConfig, match_payments
from matcher.sql import query


@dataclass(frozen=True)
class Pairing:
    """Which payments settle which invoices, and who the counterparty is."""

    payment_kind: str
    invoice_entity: str
    party_field: str
    party_entity: str


PAIRINGS = (
    Pairing("receipt", "sales_invoice", "customer_key", "customer"),
    Pairing("supplier_payment", "purchase_invoice", "supplier_key", "supplier"),
)

PAYMENT_SCHEMA = pl.Schema(
    {
        "payment_id": pl.String(),
        "system": pl.String(),
        "counterparty_id": pl.String(),
        "amount": pl.Decimal(38, 2),
        "unallocated": pl.Decimal(38, 2),
        "currency": pl.String(),
        "date": pl.Date(),
        "reference": pl.String(),
        "linked_to": pl.String(),
    }
)
INVOICE_SCHEMA = pl.Schema(
    {
        "invoice_id": pl.String(),
        "system": pl.String(),
        "counterparty_id": pl.String(),
        "number": pl.String(),
        "amount_open": pl.Decimal(38, 2),
        "currency": pl.String(),
        "issue_date": pl.Date(),
        "due_date": pl.Date(),
    }
)
DEFAULT_TERMS = timedelta(days=30)


@dataclass(frozen=True)
class ReconcileSummary:
    run_id: int
    payments: int
    invoices: int
    allocations: int
    auto: int
    suggested: int


Links = dict[tuple[str, str], str]


def current_links(conn: psycopg.Connection[Any], entity: str) -> Links:
    """(system, key) -> one id for both systems' records of a linked pair."""
    links: Links = {}
    for kashflow_key, sage100_key in conn.execute(query("current_links"), {"entity": entity}):
        shared = f"kashflow:{kashflow_key}"
        links[("kashflow", kashflow_key)] = shared
        links[("sage100", sage100_key)] = shared
    return links


def _party(system: str, key: str | None, links: Links) -> str | None:
    if key is None:
        return None
    return links.get((system, key), f"{system}:{key}")


def load_payments(
    conn: psycopg.Connection[Any], pairing: Pairing, parties: Links, payment_links: Links
) -> pl.DataFrame:
    """Current payments of that kind, both systems, in the `match_payments` contract
    (plus ``system``, ``unallocated`` and ``linked_to``: the shared id of a linked pair)."""
    rows = []
    for version in current(conn, entity="payment"):
        payload = version.payload
        if payload is None or payload.get("kind") != pairing.payment_kind:
            continue
        amount = Decimal(str(payload["amount"]))
        allocated = sum(
            (Decimal(str(a["amount"])) for a in payload.get("allocations") or ()), Decimal(0)
        )
        rows.append(
            {
                "payment_id": f"{version.system}:{version.native_key}",
                "system": version.system,
                "counterparty_id": _party(version.system, payload.get("counterparty_key"), parties),
                "amount": amount,
                "unallocated": amount - allocated,
                "currency": payload.get("currency") or "GBP",
                "date": date.fromisoformat(payload["payment_date"]),
                "reference": payload.get("reference"),
                "linked_to": payment_links.get((version.system, version.native_key)),
            }
        )
    return pl.DataFrame(rows, schema=PAYMENT_SCHEMA)


def load_invoices(conn: psycopg.Connection[Any], pairing: Pairing, parties: Links) -> pl.DataFrame:
    """Current invoices of that entity, both systems, with what is still open on each."""
    rows = []
    for version in current(conn, entity=pairing.invoice_entity):
        payload = version.payload
        if payload is None:
            continue
        issued = date.fromisoformat(payload["issue_date"])
        due = payload.get("due_date")
        rows.append(
            {
                "invoice_id": f"{version.system}:{version.native_key}",
                "system": version.system,
                "counterparty_id": _party(version.system, payload[pairing.party_field], parties),
                "number": version.native_key,
                "amount_open": Decimal(str(payload["gross_amount"]))
                - Decimal(str(payload.get("amount_paid") or 0)),
                "currency": payload.get("currency") or "GBP",
                "issue_date": issued,
                "due_date": date.fromisoformat(due) if due else issued + DEFAULT_TERMS,
            }
        )
    return pl.DataFrame(rows, schema=INVOICE_SCHEMA)


def match_side(
    payments: pl.DataFrame, invoices: pl.DataFrame, system: str, config: MatchConfig
) -> pl.DataFrame:
    """Allocations to the invoices open in `system`: its own payments' unallocated part,
    the other system's payments whole unless they are linked to one of `system`'s."""
    own_links = payments.filter(pl.col("system") == system)["linked_to"].drop_nulls()
    candidates = payments.filter(
        (pl.col("system") == system)
        | pl.col("linked_to").is_null()
        | ~pl.col("linked_to").is_in(own_links.implode())
    ).with_columns(
        pl.when(pl.col("system") == system)
        .then(pl.col("unallocated"))
        .otherwise(pl.col("amount"))
        .alias("amount")
    )
    return match_payments(candidates, invoices.filter(pl.col("system") == system), config)


def _results(allocations: pl.DataFrame, system: str, pairing: Pairing) -> Iterable[MatchResult]:
    for row in allocations.iter_rows(named=True):
        pay_system, pay_key = row["payment_id"].split(":", 1)
        inv_system, inv_key = row["invoice_id"].split(":", 1)
        yield MatchResult(
            kind="payment",
            group_id=f"{system}:{row['match_id']}",
            score=row["score"],
            status=row["status"],
            left=(pay_system, "payment", pay_key),
            right=(inv_system, pairing.invoice_entity, inv_key),
            amount=row["allocated_amount"],
            rules=tuple(row["rules"]),
            detail={"write_off": str(row["write_off_amount"]), "invoices_of": system},
        )


def reconcile(conn: psycopg.Connection[Any], config: MatchConfig | None = None) -> ReconcileSummary:
    """Match everything the ledger holds now and append the results as one run."""
    cfg = config or MatchConfig()
    run_id = start_run(conn, "reconcile", parameters={"matcher": "payments"})
    try:
        payment_links = current_links(conn, "payment")
        results: list[MatchResult] = []
        n_payments = n_invoices = 0
        for pairing in PAIRINGS:
            parties = current_links(conn, pairing.party_entity)
            payments = load_payments(conn, pairing, parties, payment_links)
            invoices = load_invoices(conn, pairing, parties)
            n_payments += payments.height
            n_invoices += invoices.height
            for system in SYSTEMS:
                allocations = match_side(payments, invoices, system, cfg)
                results.extend(_results(allocations, system, pairing))
        append_results(conn, run_id, results)
    except Exception as error:
        finish_run(conn, run_id, "failed", error=str(error))
        raise
    auto = sum(r.status == "auto" for r in results)
    summary = ReconcileSummary(
        run_id=run_id,
        payments=n_payments,
        invoices=n_invoices,
        allocations=len(results),
        auto=auto,
        suggested=len(results) - auto,
    )
    finish_run(
        conn,
        run_id,
        counts={
            "payments": n_payments,
            "invoices": n_invoices,
            "allocations": len(results),
            "auto": auto,
            "suggested": len(results) - auto,
        },
    )
    return summary
