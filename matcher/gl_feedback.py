"""GL suggestions people accepted, as labelled training lines: each accepted line, with the
account chosen (the suggested one or another), teaches the next reconcile run's suggester
as a posted Sage line would. The shell reads them from `ledger.decision`
(`ledger.decisions.accepted_gl_accounts`)."""

from __future__ import annotations

from collections.abc import Iterable

import polars as pl

from ledger.decisions import AcceptedAccount
from matcher.frames import GL_LINE_SCHEMA


def accepted_frame(accepted: Iterable[AcceptedAccount]) -> pl.DataFrame:
    """The accepted lines in `GL_LINE_SCHEMA`."""
    rows = [
        {
            "id": f"accepted:{line.purchase_key}:{line.line_no}",
            "description": line.description,
            "counterparty": line.counterparty,
            "amount": line.amount,
            "nominal_code": line.nominal_code,
            "gl_account": line.gl_account,
        }
        for line in accepted
    ]
    return pl.DataFrame(rows, schema=GL_LINE_SCHEMA)
