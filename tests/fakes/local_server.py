"""Start and stop an aiohttp stand-in on a random loopback port (shared by the cloud API fakes)."""

from __future__ import annotations

from aiohttp import web
from aiohttp.test_utils import TestServer


class LocalServer:
    """Owns one TestServer; `base_url` is set once it has started."""

    def __init__(self) -> None:
        self.base_url = ""
        self._server: TestServer | None = None

    async def serve(self, application: web.Application) -> str:
        self._server = TestServer(application, host="127.0.0.1")
        await self._server.start_server()
        self.base_url = str(self._server.make_url("")).rstrip("/")
        return self.base_url

    async def close(self) -> None:
        if self._server is not None:
            await self._server.close()
