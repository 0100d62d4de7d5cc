"""CDC: stream schedules, KashFlow summary digests, and procrastinate's job queue."""

from importlib.resources import files

from alembic import op

from ledger.migrate import apply_sql_beside, refuse_downgrade

revision = "0003"
down_revision = "0002"


def upgrade() -> None:
    apply_sql_beside(__file__)
    # procrastinate ships its schema as SQL; the workers' queue lives beside the ledger, in
    # a schema of its own where the application's role may also update and delete (its
    # connections put `procrastinate` on their search path: cdc/tasks.py).
    schema = (files("procrastinate.sql") / "schema.sql").read_text(encoding="utf-8")
    op.execute("CREATE SCHEMA procrastinate")
    op.execute("SET LOCAL search_path TO procrastinate, public")
    op.execute(schema)
    op.execute("SET LOCAL search_path TO DEFAULT")
    op.execute("SELECT ledger.grant_app_read_write('procrastinate')")


downgrade = refuse_downgrade
