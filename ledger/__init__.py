"""The append-only PostgreSQL ledger: every observed version of every record, forever."""
