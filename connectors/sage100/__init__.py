"""Sage 100 connector: ODBC reads, Business Object Interface writes, canonical mapping."""
