"""Control API: tokens, webhook deliveries, unmatched items per reconcile run, lookups.

Revision ID: 0004
"""

from pathlib import Path

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(Path(__file__).with_suffix(".sql").read_text())


def downgrade() -> None:
    raise RuntimeError("the ledger is append-only: its schema is never downgraded")
