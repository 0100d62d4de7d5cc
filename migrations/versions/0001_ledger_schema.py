"""Create schema `ledger`: record versions, runs, links, outbox, dead letters, decisions.

Revision ID: 0001
"""

from pathlib import Path

from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(Path(__file__).with_suffix(".sql").read_text())


def downgrade() -> None:
    raise RuntimeError("the ledger is append-only: its schema is never downgraded")
