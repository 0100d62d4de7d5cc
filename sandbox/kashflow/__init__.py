"""A KashFlow REST API v2 server (FastAPI) with the real paths, shapes, auth and limits.

`open_sandbox(db, SandboxConfig())` gives a seeded sandbox over SQLite;
`SandboxServer(sandbox)` serves it on a loopback port in a background thread.
"""

from sandbox.kashflow.app import Sandbox, create_sandbox
from sandbox.kashflow.config import FaultPlan, SandboxConfig
from sandbox.kashflow.seed import seed_company, seed_synthetic_invoices
from sandbox.kashflow.server import InProcessTransport, SandboxServer, open_sandbox, serve
from sandbox.kashflow.store import Store

__all__ = [
    "FaultPlan",
    "InProcessTransport",
    "Sandbox",
    "SandboxConfig",
    "SandboxServer",
    "Store",
    "create_sandbox",
    "open_sandbox",
    "seed_company",
    "seed_synthetic_invoices",
    "serve",
]
