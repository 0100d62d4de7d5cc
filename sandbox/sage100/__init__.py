"""A Sage 100 company in SQLite, read over real ODBC, written through a BOI emulator."""
