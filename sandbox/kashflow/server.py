"""Running the sandbox: open (and on first start seed) the SQLite state, then serve it
with uvicorn on a loopback port, in the foreground (the CLI) or in a background thread
(tests and benchmarks, with `port=0` for a free port); or in process, without a port,
through `InProcessTransport`.
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from pathlib import Path

import httpx
import uvicorn

from sandbox.kashflow import balances
from sandbox.kashflow.app import Sandbox, create_sandbox
from sandbox.kashflow.config import SandboxConfig
from sandbox.kashflow.gate import ConnectionDropped
from sandbox.kashflow.seed import seed_company
from sandbox.kashflow.store import Store


def open_sandbox(db: str | Path, config: SandboxConfig) -> Sandbox:
    """The sandbox over the SQLite file `db`, seeded from the generator if it is new
    (a store from before balances were kept has them summed once)."""
    store = Store(db)
    seed_company(store, config.size, config.seed, config.today)
    balances.ensure_counted(store)
    return create_sandbox(config, store)


def serve(sandbox: Sandbox, host: str = "127.0.0.1", port: int = 8765) -> None:
    """Serves in the foreground until interrupted."""
    uvicorn.run(sandbox.asgi, host=host, port=port, log_level="warning")


class SandboxServer:
    """The sandbox on a loopback port in a background thread: `with SandboxServer(...) as s:`.

    `s.base_url` is the `/v2` base to give the client; `s.admin_url` the admin path.
    """

    def __init__(self, sandbox: Sandbox, host: str = "127.0.0.1", port: int = 0) -> None:
        self.sandbox = sandbox
        self.host = host
        # proto given explicitly: asyncio sets TCP_NODELAY only on sockets that say IPPROTO_TCP.
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._socket.bind((host, port))
        self.port = int(self._socket.getsockname()[1])
        config = uvicorn.Config(
            sandbox.asgi, log_level="critical", access_log=False, timeout_keep_alive=30
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._run, name="kashflow-sandbox", daemon=True)

    @property
    def root_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def base_url(self) -> str:
        return f"{self.root_url}/v2"

    @property
    def admin_url(self) -> str:
        return f"{self.root_url}/_sandbox"

    def _run(self) -> None:
        self._server.run(sockets=[self._socket])

    def start(self) -> SandboxServer:
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("the KashFlow sandbox did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)
        self._socket.close()
        self.sandbox.store.close()

    def __enter__(self) -> SandboxServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


class InProcessTransport(httpx.BaseTransport):
    """A synchronous httpx transport that calls the sandbox's ASGI app in this process
    (httpx's own `ASGITransport` is async-only): no port, no thread. A dropped-connection
    fault surfaces as `httpx.RemoteProtocolError`, as it would over a socket."""

    def __init__(self, sandbox: Sandbox) -> None:
        self._asgi = httpx.ASGITransport(app=sandbox.asgi, client=("127.0.0.1", 50000))
        self._loop = asyncio.new_event_loop()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        body = request.read()
        relay = httpx.Request(request.method, request.url, headers=request.headers, content=body)

        async def exchange() -> httpx.Response:
            response = await self._asgi.handle_async_request(relay)
            content = b"".join([chunk async for chunk in response.stream])  # type: ignore[union-attr]
            return httpx.Response(response.status_code, headers=response.headers, content=content)

        try:
            return self._loop.run_until_complete(exchange())
        except ConnectionDropped as dropped:
            raise httpx.RemoteProtocolError(str(dropped), request=request) from None

    def close(self) -> None:
        self._loop.close()
