"""A KashFlow REST API v2 server (FastAPI) with the real paths, shapes, auth and limits."""
