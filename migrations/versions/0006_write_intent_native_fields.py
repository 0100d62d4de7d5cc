"""The outbox keeps what the writer's rules add beyond the canonical record: the target
columns a flow sets on what it writes (a Sage 100 salesperson, ...), so the applier
writes them too."""

from ledger.migrate import apply_sql_beside, refuse_downgrade

revision = "0006"
down_revision = "0005"


def upgrade() -> None:
    apply_sql_beside(__file__)


downgrade = refuse_downgrade
