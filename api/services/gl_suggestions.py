"""GL account suggestions for KashFlow purchase lines not yet in Sage 100: list, accept (the
suggested account or another one) and reject. An accepted line, with its description,
supplier, amount and nominal, is kept with the decision: the next reconcile run trains on
it (`matcher.gl_feedback`) and the writer reads the account chosen
(`ledger.decisions.accepted_gl_accounts`)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Literal

import psycopg
from pydantic import BaseModel, Field

from api.services.decisions import DecisionOut, ReasonText, RunRef, decide
from api.services.errors import Conflict, InvalidRequest
from api.services.pages import Page
from api.services.results import ResultFilters, ResultRow, newest_results_page, one_result
from api.services.texts import RecordKey

KIND = "gl_suggestion"
LISTING = "gl-suggestions"
GLStatus = Literal["suggested", "accepted", "rejected"]


class RankedAccount(BaseModel):
    account: str = Field(examples=["6100-00-00"])
    probability: float = Field(ge=0, le=1)


class GLSuggestionOut(BaseModel):
    id: int
    run_id: int
    line: str = Field(
        description="The purchase line: `purchase key:line number`.", examples=["P123:1"]
    )
    purchase_key: str = Field(examples=["P123"])
    line_no: int
    amount: Decimal | None = Field(examples=["84.50"])
    suggested_account: str | None = Field(examples=["6100-00-00"])
    score: float = Field(ge=0, le=1)
    top: list[RankedAccount]
    source: str | None = Field(description="model, mapping, chart or model+mapping.")
    note: str | None = None
    status: GLStatus
    account: str | None = Field(default=None, description="The account accepted, when accepted.")
    decided_by: str | None = None


class GLSuggestionPage(Page[GLSuggestionOut]):
    run: RunRef | None


class GLAcceptIn(BaseModel):
    account: RecordKey | None = Field(
        default=None,
        description="Another account than the one suggested; omit to accept the suggestion.",
        examples=["6200-00-00"],
    )
    reason: ReasonText = None


class GLFilters(BaseModel):
    status: GLStatus | None = None
    min_score: float | None = Field(default=None, ge=0, le=1)


def _out(row: ResultRow) -> GLSuggestionOut:
    detail = row.detail
    decided = row.decision_subject or {}
    return GLSuggestionOut(
        id=row.result_id,
        run_id=row.run_id,
        line=row.group_id,
        purchase_key=row.left[2] if row.left else row.group_id.rpartition(":")[0],
        line_no=int(detail.get("line_no") or 0),
        amount=row.amount,
        suggested_account=row.right[2] if row.right else None,
        score=row.score,
        top=[
            RankedAccount(account=a, probability=min(max(p, 0.0), 1.0))
            for a, p in detail.get("top", [])
        ],
        source=detail.get("source"),
        note=detail.get("note"),
        status=row.status,  # type: ignore[arg-type]
        account=decided.get("account") if row.status == "accepted" else None,
        decided_by=row.decided_by,
    )


def list_gl_suggestions(
    conn: psycopg.Connection[Any], filters: GLFilters, cursor: str | None = None, limit: int = 50
) -> GLSuggestionPage:
    """Suggested Sage GL accounts for KashFlow purchase lines not yet in Sage, top-k each."""
    chosen = ResultFilters(status=filters.status, min_score=filters.min_score)
    items, next_cursor, run = newest_results_page(conn, KIND, LISTING, chosen, _out, cursor, limit)
    return GLSuggestionPage(items=items, next_cursor=next_cursor, run=run)


def get_gl_suggestion(conn: psycopg.Connection[Any], result_id: int) -> GLSuggestionOut:
    return _out(one_result(conn, KIND, result_id, "GL suggestion"))


def _line_features(
    conn: psycopg.Connection[Any], purchase_key: str, line_no: int
) -> dict[str, Any]:
    """What the suggester learns from: the line's description, supplier name, net amount
    and KashFlow nominal, as the ledger holds the purchase now."""
    row = conn.execute(
        "SELECT p.payload, s.payload->>'name' FROM ledger.current_record AS p"
        " LEFT JOIN ledger.current_record AS s ON s.system = 'kashflow' AND s.entity = 'supplier'"
        " AND s.native_key = p.payload->>'supplier_key'"
        " WHERE p.system = 'kashflow' AND p.entity = 'purchase_invoice' AND p.native_key = %s",
        (purchase_key,),
    ).fetchone()
    payload, supplier = (row[0], row[1]) if row else ({}, None)
    line: dict[str, Any] = next(
        (x for x in payload.get("lines") or () if x.get("line_no") == line_no), {}
    )
    return {
        "description": line.get("description") or "",
        "counterparty": supplier or "",
        "amount": str(line.get("net_amount") or "0"),
        "nominal_code": line.get("gl_account"),
    }


def _known_account(conn: psycopg.Connection[Any], account: str) -> bool:
    """Whether Sage 100 has this GL account (any account passes when the ledger holds no
    Sage chart of accounts at all)."""
    row = conn.execute(
        "SELECT EXISTS (SELECT FROM ledger.current_record WHERE system = 'sage100'"
        " AND entity = 'gl_account' AND native_key = %s),"
        " EXISTS (SELECT FROM ledger.record_version WHERE system = 'sage100'"
        " AND entity = 'gl_account')",
        (account,),
    ).fetchone()
    assert row is not None
    return bool(row[0]) or not row[1]


def decide_gl_suggestion(
    conn: psycopg.Connection[Any],
    result_id: int,
    outcome: Literal["accepted", "rejected"],
    actor: str,
    account: str | None = None,
    reason: str | None = None,
) -> DecisionOut:
    """Accepts (optionally with `account` instead of the suggestion) or rejects one line's
    suggestion. A line accepted already is refused unless the account changes."""
    row = one_result(conn, KIND, result_id, "GL suggestion")
    suggestion = _out(row)
    chosen = None
    if outcome == "accepted":
        chosen = (account or suggestion.suggested_account or "").strip()
        if not chosen:
            raise InvalidRequest("no account suggested: name one", field="account")
        if not _known_account(conn, chosen):
            raise InvalidRequest(f"Sage 100 has no GL account {chosen!r}", field="account")
        if suggestion.status == "accepted" and suggestion.account == chosen:
            raise Conflict(f"GL suggestion {result_id} is accepted with {chosen} already")
    elif suggestion.status == "rejected":
        raise Conflict(f"GL suggestion {result_id} is rejected already")
    records = [{"system": "kashflow", "entity": "purchase_invoice", "key": suggestion.purchase_key}]
    if chosen:
        records.append({"system": "sage100", "entity": "gl_account", "key": chosen})
    subject = {
        "result_id": result_id,
        "run_id": row.run_id,
        "group_id": row.group_id,
        "purchase_key": suggestion.purchase_key,
        "line_no": suggestion.line_no,
        "suggested": suggestion.suggested_account,
        "account": chosen,
        "overridden": chosen is not None and chosen != suggestion.suggested_account,
        "line": _line_features(conn, suggestion.purchase_key, suggestion.line_no),
        "records": records,
    }
    return decide(conn, "gl_suggestion", subject, outcome, actor, reason)
