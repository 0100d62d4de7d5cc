"""Create schema `ledger`: record versions, runs, links, outbox, dead letters, decisions."""

from ledger.migrate import apply_sql_beside, refuse_downgrade

revision = "0001"
down_revision = None


def upgrade() -> None:
    apply_sql_beside(__file__)


downgrade = refuse_downgrade
