"""Reconciling the ledger: one run links masters, pairs payments, flags anomalies and
suggests GL accounts, and appends every finding as a `MatchResult` of that run.

`reconcile(conn, config)` reads the current canonical records of KashFlow and Sage 100
from the ledger and runs, in this order, inside one ``reconcile`` sync run:

1. masters: customers, suppliers and products not yet linked on either side go through
   `link_masters` (KashFlow left, Sage 100 right); every link found is a ``master``
   result, and the ``auto`` ones are appended to ``ledger.link`` (method ``matched``)
   at once, so the steps after see both systems' counterparties as one. Pairs someone
   unlinked are never linked again.
2. payments: counterparties of both systems are put under one id through the identity
   links, and `match_payments` runs once per system whose invoices are open: that
   system's own payments (what they have not yet allocated there) and the other
   system's payments (whole, unless linked to one of this system's payments) against
   its open invoices. Receipts pair with sales invoices, supplier payments with purchase
   invoices. Every allocation is a ``payment`` result.
3. anomalies: the sales and purchase invoices of each system are scored by
   `score_transactions`; the flagged ones are ``anomaly`` results with their reasons.
4. GL suggestions: each line of a KashFlow purchase invoice not yet in Sage 100 gets the
   Sage GL accounts most likely for it, from a `GLSuggester` trained on the lines of the
   purchase invoices Sage already holds (see `gl_history`), or, with too little history,
   from the nominal mapping table alone (see `nominal_map`); ``gl_suggestion`` results.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import polars as pl
import psycopg

from canonical import SYSTEMS
from ledger import (
    IdentityLink,
    MatchResult,
    StoredVersion,
    append_links,
    append_results,
    current,
    current_links,
    finish_run,
    start_run,
    withdrawn_links,
)
from matcher.anomalies import AnomalyConfig, score_transactions
from matcher.gl_suggest import GLSuggester
from matcher.masters import MasterConfig, link_masters
from matcher.normalise import clean_text, normalise_reference
from matcher.payments import MatchConfig, match_payments


@dataclass(frozen=True)
class GLConfig:
    """How GL suggestions are made."""

    min_history: int = 30
    """Labelled Sage lines (of two accounts or more) needed before a model is trained;
    with fewer, suggestions come from the nominal mapping table alone."""
    top_k: int = 3


@dataclass(frozen=True)
class ReconcileConfig:
    """Settings of every step of a reconcile run."""

    payments: MatchConfig = field(default_factory=MatchConfig)
    masters: MasterConfig = field(default_factory=MasterConfig)
    anomalies: AnomalyConfig = field(default_factory=AnomalyConfig)
    gl: GLConfig = field(default_factory=GLConfig)


@dataclass(frozen=True)
class MasterSummary:
    """One entity's master linking: what was linked before and what this run found."""

    entity: str
    already_linked: int
    auto: int
    suggested: int
    unlinked_kashflow: int
    """KashFlow records left without a link in force (suggested ones included)."""
    unlinked_sage100: int


@dataclass(frozen=True)
class AnomalySummary:
    scored: int
    flagged: int


@dataclass(frozen=True)
class GLSummary:
    history: int
    """Labelled Sage purchase lines learnt from."""
    lines: int
    """KashFlow purchase lines not yet in Sage, to suggest for."""
    suggested: int
    source: str
    """"model" (trained on history) or "mapping" (too little history)."""


@dataclass(frozen=True)
class ReconcileSummary:
    """What one reconcile run did, step by step (payment counts at the top level)."""

    run_id: int
    payments: int
    invoices: int
    allocations: int
    auto: int
    suggested: int
    masters: tuple[MasterSummary, ...] = ()
    links_appended: int = 0
    anomalies: AnomalySummary = AnomalySummary(0, 0)
    gl: GLSummary = GLSummary(0, 0, 0, "mapping")

    def counts(self) -> dict[str, Any]:
        """The run's counts as the ledger records them with its end."""
        return {
            "masters": {
                m.entity: {
                    "already_linked": m.already_linked,
                    "auto": m.auto,
                    "suggested": m.suggested,
                    "unlinked_kashflow": m.unlinked_kashflow,
                    "unlinked_sage100": m.unlinked_sage100,
                }
                for m in self.masters
            },
            "links_appended": self.links_appended,
            "payments": self.payments,
            "invoices": self.invoices,
            "allocations": self.allocations,
            "auto": self.auto,
            "suggested": self.suggested,
            "anomalies": {"scored": self.anomalies.scored, "flagged": self.anomalies.flagged},
            "gl": {
                "history": self.gl.history,
                "lines": self.gl.lines,
                "suggested": self.gl.suggested,
                "source": self.gl.source,
            },
        }


def reconcile(
    conn: psycopg.Connection[Any], config: ReconcileConfig | None = None
) -> ReconcileSummary:
    """Match everything the ledger holds now and append the results as one run."""
    cfg = config or ReconcileConfig()
    run_id = start_run(
        conn, "reconcile", parameters={"steps": ["masters", "payments", "anomalies", "gl"]}
    )
    try:
        masters, links_appended = link_step(conn, run_id, cfg.masters)
        payments = payment_step(conn, run_id, cfg.payments)
        anomalies = anomaly_step(conn, run_id, cfg.anomalies)
        gl = gl_step(conn, run_id, cfg.gl)
    except Exception as error:
        finish_run(conn, run_id, "failed", error=str(error))
        raise
    summary = ReconcileSummary(
        run_id=run_id,
        payments=payments.payments,
        invoices=payments.invoices,
        allocations=payments.allocations,
        auto=payments.auto,
        suggested=payments.allocations - payments.auto,
        masters=masters,
        links_appended=links_appended,
        anomalies=anomalies,
        gl=gl,
    )
    finish_run(conn, run_id, counts=summary.counts())
    return summary


# 1. Masters -----------------------------------------------------------------------------

MASTER_ENTITIES = ("customer", "supplier", "product")
PARTY_COLUMNS = ("name", "email", "phone", "address", "city", "postcode", "country", "tax_number")
PRODUCT_COLUMNS = ("code", "name")


def master_frame(system: str, entity: str, versions: Iterable[StoredVersion]) -> pl.DataFrame:
    """Records of one system in the `link_masters` contract.

    Customers and suppliers give name, email, phone, address (the address lines joined),
    city, postcode, country, tax number and their code (the canonical `party_number`, e.g.
    Sage 100 "ACME0019" of key "01-ACME0019"; the key when a version has none); products
    give their code (the key) and name.
    """
    columns = PRODUCT_COLUMNS if entity == "product" else (*PARTY_COLUMNS, "code")
    rows: list[dict[str, str | None]] = []
    for version in versions:
        payload = version.payload or {}
        if entity == "product":
            rows.append(
                {"id": version.native_key, "code": version.native_key, "name": payload.get("name")}
            )
            continue
        key = version.native_key
        rows.append(
            {
                "id": key,
                "name": payload.get("name"),
                "email": payload.get("email"),
                "phone": payload.get("phone"),
                "address": " ".join(payload.get("address_lines") or ()) or None,
                "city": payload.get("city"),
                "postcode": payload.get("postcode"),
                "country": payload.get("country"),
                "tax_number": payload.get("tax_number"),
                "code": payload.get("party_number") or key,
            }
        )
    return pl.DataFrame(rows, schema=dict.fromkeys(("id", *columns), pl.Utf8))


def link_step(
    conn: psycopg.Connection[Any], run_id: int, config: MasterConfig
) -> tuple[tuple[MasterSummary, ...], int]:
    """Links customers, suppliers and products not yet linked; appends the ``auto``
    links to ``ledger.link`` and every link found as a ``master`` result."""
    results: list[MatchResult] = []
    new_links: list[IdentityLink] = []
    summaries: list[MasterSummary] = []
    for entity in MASTER_ENTITIES:
        in_force = current_links(conn, entity)
        linked_kashflow = {link.kashflow_key for link in in_force}
        linked_sage100 = {link.sage100_key for link in in_force}
        left = master_frame(
            "kashflow",
            entity,
            (v for v in current(conn, "kashflow", entity) if v.native_key not in linked_kashflow),
        )
        right = master_frame(
            "sage100",
            entity,
            (v for v in current(conn, "sage100", entity) if v.native_key not in linked_sage100),
        )
        found = _master_links(left, right, config, withdrawn_links(conn, entity))
        auto = 0
        for row in found.iter_rows(named=True):
            evidence: str = row["evidence"]
            results.append(
                MatchResult(
                    kind="master",
                    group_id=f"{entity}:{row['left_id']}",
                    score=row["score"],
                    status=row["status"],
                    left=("kashflow", entity, row["left_id"]),
                    right=("sage100", entity, row["right_id"]),
                    rules=_agreeing_fields(evidence),
                    detail={"evidence": evidence, "margin": round(row["margin"], 4)},
                )
            )
            if row["status"] == "auto":
                auto += 1
                new_links.append(
                    IdentityLink(entity, row["left_id"], row["right_id"], score=row["score"])
                )
        summaries.append(
            MasterSummary(
                entity=entity,
                already_linked=len(in_force),
                auto=auto,
                suggested=found.height - auto,
                unlinked_kashflow=left.height - auto,
                unlinked_sage100=right.height - auto,
            )
        )
    appended = append_links(conn, run_id, new_links)
    append_results(conn, run_id, results)
    return tuple(summaries), appended


def _master_links(
    left: pl.DataFrame,
    right: pl.DataFrame,
    config: MasterConfig,
    withdrawn: set[tuple[str, str]],
) -> pl.DataFrame:
    """`link_masters` of the two frames, without the pairs someone unlinked."""
    if left.is_empty() or right.is_empty():
        return link_masters(left.clear(), right.clear(), config)
    found = link_masters(left, right, config)
    if not withdrawn:
        return found
    keep = [
        (left_id, right_id) not in withdrawn
        for left_id, right_id in found.select("left_id", "right_id").iter_rows()
    ]
    return found.filter(pl.Series(keep, dtype=pl.Boolean))


def _agreeing_fields(evidence: str) -> tuple[str, ...]:
    """The fields that agreed, from `link_masters` evidence ("name 0.96, email=" -> email)."""
    return tuple(part[:-1] for part in evidence.split(", ") if part.endswith("="))


# 2. Payments ----------------------------------------------------------------------------


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

Links = dict[tuple[str, str], str]


@dataclass(frozen=True)
class PaymentSummary:
    payments: int
    invoices: int
    allocations: int
    auto: int


def shared_ids(conn: psycopg.Connection[Any], entity: str) -> Links:
    """(system, key) -> one id for both systems' records of a linked pair."""
    links: Links = {}
    for link in current_links(conn, entity):
        shared = f"kashflow:{link.kashflow_key}"
        links[("kashflow", link.kashflow_key)] = shared
        links[("sage100", link.sage100_key)] = shared
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


def _payment_results(
    allocations: pl.DataFrame, system: str, pairing: Pairing
) -> Iterable[MatchResult]:
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


def payment_step(conn: psycopg.Connection[Any], run_id: int, config: MatchConfig) -> PaymentSummary:
    """Pairs payments with the invoices open on each side; ``payment`` results."""
    payment_links = shared_ids(conn, "payment")
    results: list[MatchResult] = []
    n_payments = n_invoices = 0
    for pairing in PAIRINGS:
        parties = shared_ids(conn, pairing.party_entity)
        payments = load_payments(conn, pairing, parties, payment_links)
        invoices = load_invoices(conn, pairing, parties)
        n_payments += payments.height
        n_invoices += invoices.height
        for system in SYSTEMS:
            allocations = match_side(payments, invoices, system, config)
            results.extend(_payment_results(allocations, system, pairing))
    append_results(conn, run_id, results)
    return PaymentSummary(
        payments=n_payments,
        invoices=n_invoices,
        allocations=len(results),
        auto=sum(r.status == "auto" for r in results),
    )


# 3. Anomalies ---------------------------------------------------------------------------

INVOICE_PARTIES = {"sales_invoice": "customer_key", "purchase_invoice": "supplier_key"}
TRANSACTION_SCHEMA = pl.Schema(
    {
        "transaction_id": pl.String(),
        "counterparty_id": pl.String(),
        "number": pl.String(),
        "date": pl.Date(),
        "due_date": pl.Date(),
        "net_amount": pl.Float64(),
        "tax_amount": pl.Float64(),
        "tax_rate": pl.Float64(),
        "gross_amount": pl.Float64(),
        "line_count": pl.Int64(),
        "min_quantity": pl.Float64(),
    }
)


def transactions(entity: str, versions: Iterable[StoredVersion]) -> pl.DataFrame:
    """Invoices of one system in the `score_transactions` contract.

    The number is the invoice's key for sales invoices and, for purchase invoices, the
    supplier's own number (the reference) when there is one. The tax rate is the lines'
    rate weighted by their net amounts, so net x rate is the VAT the lines' rates give
    (none without lines, or when the net is zero).
    """
    party_field = INVOICE_PARTIES[entity]
    rows = []
    for version in versions:
        payload = version.payload
        if payload is None:
            continue
        lines = payload.get("lines") or ()
        net = Decimal(str(payload["net_amount"]))
        line_vat = sum(
            (Decimal(str(line["net_amount"])) * Decimal(str(line.get("tax_rate") or 0)))
            for line in lines
        )
        due = payload.get("due_date")
        number = version.native_key
        if entity == "purchase_invoice" and payload.get("reference"):
            number = payload["reference"]
        rows.append(
            {
                "transaction_id": version.native_key,
                "counterparty_id": payload[party_field],
                "number": number,
                "date": date.fromisoformat(payload["issue_date"]),
                "due_date": date.fromisoformat(due) if due else None,
                "net_amount": float(net),
                "tax_amount": float(Decimal(str(payload.get("tax_amount") or 0))),
                "tax_rate": float(line_vat / net) if lines and net else None,
                "gross_amount": float(Decimal(str(payload["gross_amount"]))),
                "line_count": len(lines) or 1,
                "min_quantity": (
                    min(float(Decimal(str(line.get("quantity", 1)))) for line in lines)
                    if lines
                    else None
                ),
            }
        )
    return pl.DataFrame(rows, schema=TRANSACTION_SCHEMA)


def anomaly_step(
    conn: psycopg.Connection[Any], run_id: int, config: AnomalyConfig
) -> AnomalySummary:
    """Scores the sales and purchase invoices of each system; ``anomaly`` results."""
    results: list[MatchResult] = []
    scored_count = 0
    for system in SYSTEMS:
        for entity in INVOICE_PARTIES:
            frame = transactions(entity, current(conn, system, entity))
            if frame.is_empty():
                continue
            scored = score_transactions(frame, config)
            scored_count += scored.height
            for row in scored.filter(pl.col("is_anomaly")).iter_rows(named=True):
                results.append(
                    MatchResult(
                        kind="anomaly",
                        group_id=f"{system}:{entity}:{row['transaction_id']}",
                        score=min(max(row["anomaly_score"], 0.0), 1.0),
                        status="flagged",
                        left=(system, entity, row["transaction_id"]),
                        amount=Decimal(str(row["gross_amount"])),
                        rules=tuple(row["rules"]),
                        detail={"reasons": list(row["reasons"])},
                    )
                )
    append_results(conn, run_id, results)
    return AnomalySummary(scored=scored_count, flagged=len(results))


# 4. GL suggestions ----------------------------------------------------------------------

GL_LINE_SCHEMA = pl.Schema(
    {
        "id": pl.String(),
        "description": pl.String(),
        "counterparty": pl.String(),
        "amount": pl.Float64(),
        "nominal_code": pl.String(),
        "gl_account": pl.String(),
    }
)


def nominal_map(
    kashflow_accounts: Iterable[StoredVersion], sage100_accounts: Iterable[StoredVersion]
) -> dict[str, str]:
    """KashFlow nominal code -> Sage 100 GL account, for accounts both charts hold.

    A nominal maps to the Sage account whose main segment is its code ("7500" ->
    "7500-00-00") when exactly one is, else to the one Sage account of the same name.
    """
    by_main: dict[str, list[str]] = {}
    by_name: dict[str, list[str]] = {}
    for version in sage100_accounts:
        by_main.setdefault(version.native_key.split("-", 1)[0], []).append(version.native_key)
        name = clean_text((version.payload or {}).get("name"))
        by_name.setdefault(name, []).append(version.native_key)
    mapping: dict[str, str] = {}
    for version in kashflow_accounts:
        same_code = by_main.get(version.native_key, [])
        same_name = by_name.get(clean_text((version.payload or {}).get("name")), [])
        if len(same_code) == 1:
            mapping[version.native_key] = same_code[0]
        elif len(same_name) == 1:
            mapping[version.native_key] = same_name[0]
    return mapping


def same_purchases(
    kashflow: Iterable[StoredVersion], sage100: Iterable[StoredVersion], suppliers: Links
) -> dict[str, StoredVersion]:
    """KashFlow purchase key -> the Sage 100 purchase invoice of the same purchase.

    Two purchase invoices are the same purchase when their suppliers are linked and
    their references (the supplier's invoice number) agree, or else their invoice
    numbers (the KashFlow key, the number after "|" in a Sage key) agree, or else their
    gross amounts and issue dates agree. Each Sage invoice is the pair of one only.
    """
    index: dict[tuple[str | None, str], StoredVersion] = {}
    for version in sage100:
        payload = version.payload or {}
        party = _party("sage100", payload.get("supplier_key"), suppliers)
        for match_key in _purchase_keys(version.native_key.rpartition("|")[2], payload):
            index.setdefault((party, match_key), version)
    pairs: dict[str, StoredVersion] = {}
    taken: set[str] = set()
    for version in kashflow:
        payload = version.payload or {}
        party = _party("kashflow", payload.get("supplier_key"), suppliers)
        for match_key in _purchase_keys(version.native_key, payload):
            found = index.get((party, match_key))
            if found is not None and found.native_key not in taken:
                pairs[version.native_key] = found
                taken.add(found.native_key)
                break
    return pairs


def _purchase_keys(number: str, payload: Mapping[str, Any]) -> list[str]:
    """What identifies a purchase invoice within its supplier, most telling first."""
    keys = []
    reference = normalise_reference(payload.get("reference"))
    if reference:
        keys.append(f"reference:{reference}")
    keys.append(f"number:{normalise_reference(number)}")
    keys.append(f"amount:{Decimal(str(payload['gross_amount']))}@{payload['issue_date']}")
    return keys


def gl_history(
    sage100: Iterable[StoredVersion],
    pairs: Mapping[str, StoredVersion],
    kashflow: Mapping[str, StoredVersion],
    suppliers: Links,
    supplier_names: Mapping[str, str],
) -> pl.DataFrame:
    """Labelled lines: every Sage 100 purchase invoice line that has a GL account.

    Each line's description, net amount and GL account; its supplier's name (the
    KashFlow name when the suppliers are linked, as the lines to suggest for have it);
    and, when the same purchase is in KashFlow (`pairs`), the nominal code of the
    KashFlow line with the same line number.
    """
    kashflow_of = {sage.native_key: kashflow[key] for key, sage in pairs.items()}
    rows = []
    for version in sage100:
        payload = version.payload or {}
        twin = kashflow_of.get(version.native_key)
        twin_lines = {
            line["line_no"]: line
            for line in ((twin.payload or {}).get("lines") or () if twin else ())
        }
        party = _party("sage100", payload["supplier_key"], suppliers)
        counterparty = supplier_names.get(party or "", "")
        for line in payload.get("lines") or ():
            if not line.get("gl_account"):
                continue
            rows.append(
                {
                    "id": f"{version.native_key}:{line['line_no']}",
                    "description": line.get("description") or "",
                    "counterparty": counterparty,
                    "amount": float(Decimal(str(line["net_amount"]))),
                    "nominal_code": twin_lines.get(line["line_no"], {}).get("gl_account"),
                    "gl_account": line["gl_account"],
                }
            )
    return pl.DataFrame(rows, schema=GL_LINE_SCHEMA)


PENDING_LINE_SCHEMA = pl.Schema(
    {**GL_LINE_SCHEMA, "purchase_key": pl.String(), "line_no": pl.Int64(), "net": pl.Decimal(38, 2)}
)


def pending_lines(
    kashflow: Iterable[StoredVersion], supplier_names: Mapping[str, str]
) -> pl.DataFrame:
    """The lines of the KashFlow purchase invoices given, to suggest accounts for (with
    their purchase key, line number and exact net amount)."""
    rows = []
    for version in kashflow:
        payload = version.payload or {}
        for line in payload.get("lines") or ():
            net = Decimal(str(line["net_amount"]))
            rows.append(
                {
                    "id": f"{version.native_key}:{line['line_no']}",
                    "description": line.get("description") or "",
                    "counterparty": supplier_names.get(f"kashflow:{payload['supplier_key']}", ""),
                    "amount": float(net),
                    "nominal_code": line.get("gl_account"),
                    "gl_account": None,
                    "purchase_key": version.native_key,
                    "line_no": line["line_no"],
                    "net": net,
                }
            )
    return pl.DataFrame(rows, schema=PENDING_LINE_SCHEMA)


def train_suggester(
    history: pl.DataFrame, mapping: Mapping[str, str], config: GLConfig
) -> tuple[GLSuggester, str]:
    """A suggester trained on `history`, or the mapping table alone with a note why."""
    suggester = GLSuggester(mapping)
    accounts = history["gl_account"].n_unique()
    if history.height < config.min_history or accounts < 2:
        return suggester, (
            f"too little history ({history.height} labelled Sage lines, {accounts} accounts;"
            f" {config.min_history} lines of two accounts needed): suggested from the"
            " nominal mapping table"
        )
    try:
        suggester.fit(history)
    except ValueError as error:  # e.g. descriptions too sparse for the vocabularies
        return GLSuggester(mapping), f"model not trained ({error}): from the mapping table"
    return suggester, f"model trained on {history.height} labelled Sage lines"


def gl_step(conn: psycopg.Connection[Any], run_id: int, config: GLConfig) -> GLSummary:
    """Suggests Sage GL accounts for KashFlow purchase lines not yet in Sage."""
    suppliers = shared_ids(conn, "supplier")
    supplier_names = {
        f"{v.system}:{v.native_key}": str((v.payload or {}).get("name") or "")
        for v in current(conn, entity="supplier")
    }
    kashflow = {v.native_key: v for v in current(conn, "kashflow", "purchase_invoice")}
    sage100 = current(conn, "sage100", "purchase_invoice")
    pairs = same_purchases(kashflow.values(), sage100, suppliers)
    history = gl_history(sage100, pairs, kashflow, suppliers, supplier_names)
    mapping = nominal_map(
        current(conn, "kashflow", "gl_account"), current(conn, "sage100", "gl_account")
    )
    suggester, note = train_suggester(history, mapping, config)
    source = "model" if suggester.is_fitted else "mapping"
    lines = pending_lines((v for key, v in kashflow.items() if key not in pairs), supplier_names)
    results: list[MatchResult] = []
    if not lines.is_empty():
        suggestions = suggester.suggest(lines, config.top_k)
        for (line,), top in suggestions.sort("line", "rank").group_by("line", maintain_order=True):
            pending = lines.row(line, named=True)
            best = top.row(0, named=True)
            results.append(
                MatchResult(
                    kind="gl_suggestion",
                    group_id=pending["id"],
                    score=min(max(best["probability"], 0.0), 1.0),
                    status="suggested",
                    left=("kashflow", "purchase_invoice", pending["purchase_key"]),
                    right=("sage100", "gl_account", best["gl_account"]),
                    amount=pending["net"],
                    rules=(best["source"],),
                    detail={
                        "line_no": pending["line_no"],
                        "top": [
                            [account, round(probability, 4)]
                            for account, probability in top.select(
                                "gl_account", "probability"
                            ).iter_rows()
                        ],
                        "source": best["source"],
                        "note": note,
                    },
                )
            )
    append_results(conn, run_id, results)
    return GLSummary(
        history=history.height, lines=lines.height, suggested=len(results), source=source
    )
