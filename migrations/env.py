"""Alembic environment: runs the ledger's SQL migrations on the connection string given.

The string may be a URL or a libpq key=value string; psycopg opens it, SQLAlchemy only
carries the connection, so no URL dialect translation is needed.
"""

import psycopg
from alembic import context
from sqlalchemy import create_engine, pool

config = context.config


def run_migrations_online() -> None:
    conninfo = config.attributes["conninfo"]
    engine = create_engine(
        "postgresql+psycopg://", creator=lambda: psycopg.connect(conninfo), poolclass=pool.NullPool
    )
    with engine.connect() as connection:
        context.configure(connection=connection, version_table_schema="public")
        with context.begin_transaction():
            context.run_migrations()


run_migrations_online()
