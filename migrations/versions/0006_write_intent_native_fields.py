"""The outbox keeps what the rules add beyond the canonical record: the target columns a
flow sets on what it creates (a Sage 100 salesperson, ...), as {"column": "value"}, so
the applier writes them. Nullable with no default: the rows chained already hash as they
did (the chain strips nulls). Never downgraded: the ledger is append-only.

Revision ID: 0006
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision, down_revision = "0006", "0005"
branch_labels = depends_on = None


def upgrade() -> None:
    op.add_column("write_intent", sa.Column("native_fields", JSONB()), schema="ledger")
