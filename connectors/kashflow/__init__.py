"""IRIS KashFlow REST API v2 connector: httpx client, typed resources, canonical mapping."""
