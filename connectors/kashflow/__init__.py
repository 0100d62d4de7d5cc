"""The KashFlow REST API v2 connector.

    with KashFlowClient.from_settings(settings.kashflow) as kashflow:
        for invoice in kashflow.invoices.list():       # summaries, every page
            ...
        customer = kashflow.customers.read("SHA01")     # canonical.Customer
        kashflow.invoices.create_record(invoice)        # idempotent create
        result = scan_changes(kashflow.invoices, previous_state)

Machinery by role: `client` (HTTP, paging, retries), `auth` (two-step login), `pacing`,
`retry`, `errors`, `resources`, `mapping` (KashFlow JSON <-> canonical), `changes`,
`settings` (what the connector can be told).
"""

from connectors.kashflow.auth import Credentials, SessionToken
from connectors.kashflow.changes import ScanResult, ScanState, scan_changes, summary_hash
from connectors.kashflow.client import ClientStats, KashFlowClient
from connectors.kashflow.errors import InvalidSessionToken, ServerError, UnexpectedResponse
from connectors.kashflow.mapping import parse_date, parse_datetime
from connectors.kashflow.retry import RetryPolicy
from connectors.kashflow.settings import KashFlowSettings

__all__ = [
    "ClientStats",
    "Credentials",
    "InvalidSessionToken",
    "KashFlowClient",
    "KashFlowSettings",
    "RetryPolicy",
    "ScanResult",
    "ScanState",
    "ServerError",
    "SessionToken",
    "UnexpectedResponse",
    "parse_date",
    "parse_datetime",
    "scan_changes",
    "summary_hash",
]
