"""Systems around KashFlow: an eCommerce platform (`ecommerce`) and a payment gateway
(`gateway`) become systems of their own in the ledger, so their orders and payments are
recorded as their records and flow to KashFlow.
"""

from ledger.migrate import apply_sql_beside, refuse_downgrade

revision = "0004"
down_revision = "0003"


def upgrade() -> None:
    apply_sql_beside(__file__)


downgrade = refuse_downgrade
