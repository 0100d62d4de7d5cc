"""The append-only PostgreSQL ledger: every observed version of every record, forever.

Python API: `append_versions` (COPY, one transaction per batch, unchanged versions are
no-ops), `current`, `as_of`, `history`, runs, identity links, matcher results, and the
tamper evidence: `seal_ledger` (signed chain heads) and `verify_ledger`.
Schema `ledger` is created by the alembic migrations under `migrations/`
(`ledgerbridge db upgrade`).
"""

from ledger.append import AppendResult, NewVersion, append_versions
from ledger.diff import FieldChange, field_changes
from ledger.links import IdentityLink, append_links, current_links, withdrawn_links
from ledger.queries import StoredVersion, as_of, current, history
from ledger.results import MatchResult, append_results, results_of_run
from ledger.runs import finish_run, start_run
from ledger.seals import Seal, seal_ledger
from ledger.verify import Mismatch, Verification, verify_ledger

__all__ = [
    "AppendResult",
    "FieldChange",
    "IdentityLink",
    "MatchResult",
    "Mismatch",
    "NewVersion",
    "Seal",
    "StoredVersion",
    "Verification",
    "append_links",
    "append_results",
    "append_versions",
    "as_of",
    "current",
    "current_links",
    "field_changes",
    "finish_run",
    "history",
    "results_of_run",
    "seal_ledger",
    "start_run",
    "verify_ledger",
    "withdrawn_links",
]
