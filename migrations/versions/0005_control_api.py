"""Control API: tokens, webhook deliveries, unmatched items per reconcile run, lookups."""

from ledger.migrate import apply_sql_beside, refuse_downgrade

revision = "0005"
down_revision = "0004"


def upgrade() -> None:
    apply_sql_beside(__file__)


downgrade = refuse_downgrade
