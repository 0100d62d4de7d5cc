"""When and how long to wait before trying a KashFlow call again: the shared policy of
`canonical.retry` (tenacity, exponential backoff with jitter, `Retry-After` honoured as
given), re-exported here under the connector's own name.
"""

from __future__ import annotations

from canonical.retry import RETRY_STATUSES, RetryPolicy

__all__ = ["RETRY_STATUSES", "RetryPolicy"]
