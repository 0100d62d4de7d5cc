"""${message}"""

from ledger.migrate import apply_sql_beside, refuse_downgrade

revision = ${repr(up_revision)}
down_revision = ${repr(down_revision)}


def upgrade() -> None:
    apply_sql_beside(__file__)


downgrade = refuse_downgrade
