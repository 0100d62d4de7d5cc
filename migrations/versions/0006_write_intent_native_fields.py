"""The outbox keeps what the rules add beyond the canonical record: the target columns a
flow sets on what it creates (a Sage 100 salesperson, ...), so the applier writes them.

Revision ID: 0006
"""

from pathlib import Path

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(Path(__file__).with_suffix(".sql").read_text())


def downgrade() -> None:
    raise RuntimeError("the ledger is append-only: its schema is never downgraded")
