"""Matching on polars frames: payments to invoices, master records, anomalies, GL suggestions."""
