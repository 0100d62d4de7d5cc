"""Brings a database's `ledger` schema up to date with the alembic migrations, and the
two steps every migration shares: apply the SQL file beside it, refuse to go back."""

from __future__ import annotations

from pathlib import Path
from typing import NoReturn

from alembic import command, op
from alembic.config import Config

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


def alembic_config(conninfo: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["conninfo"] = conninfo
    return config


def upgrade(conninfo: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(conninfo), revision)


def apply_sql_beside(migration_file: str) -> None:
    """Runs the `.sql` file that has the migration's name: the schema lives in SQL."""
    op.execute(Path(migration_file).with_suffix(".sql").read_text())


def refuse_downgrade() -> NoReturn:
    raise RuntimeError("the ledger is append-only: its schema is never downgraded")
