"""CDC: stream schedules, KashFlow summary digests, and procrastinate's job queue.

Revision ID: 0003
"""

from importlib.resources import files
from pathlib import Path

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(Path(__file__).with_suffix(".sql").read_text())
    # procrastinate ships its schema as SQL; the workers' queue lives beside the ledger, in
    # a schema of its own where the application's role may also update and delete (its
    # connections put `procrastinate` on their search path: cdc/tasks.py).
    schema = (files("procrastinate.sql") / "schema.sql").read_text(encoding="utf-8")
    op.execute("CREATE SCHEMA procrastinate")
    op.execute("SET LOCAL search_path TO procrastinate, public")
    op.execute(schema)
    op.execute("SET LOCAL search_path TO DEFAULT")
    op.execute("SELECT ledger.grant_app_read_write('procrastinate')")


def downgrade() -> None:
    raise RuntimeError("the ledger is append-only: its schema is never downgraded")
