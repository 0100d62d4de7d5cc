"""The KashFlow REST API v2 connector.

    with KashFlowClient.from_settings(settings.kashflow) as kashflow:
        for invoice in kashflow.invoices.list():       # summaries, every page
            ...
        customer = kashflow.customers.read("SHA01")     # canonical.Customer
        kashflow.invoices.create_record(invoice)        # idempotent create

Machinery by role: `client` (HTTP, paging, retries), `auth` (two-step login), `pacing`,
`retry`, `errors`, `resources`, `mapping` (KashFlow JSON <-> canonical), `settings`
(what the connector can be told). Deciding what to read for change capture is the CDC
stage's (`cdc/kashflow.py`).
"""

from connectors.kashflow.auth import Credentials, SessionToken
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
    "ServerError",
    "SessionToken",
    "UnexpectedResponse",
    "parse_date",
    "parse_datetime",
]
