"""Ledgerbridge: keeps IRIS KashFlow and Sage 100 in step and shows what does not reconcile.

This package is the application shell — configuration, the embedded database and the
command line. The flow itself lives in the stage packages: connectors, cdc, ledger,
matcher, writer, with canonical for the shared record types.
"""

__version__ = "0.1.0"
