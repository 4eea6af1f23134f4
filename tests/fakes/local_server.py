"""What the cloud API fakes share: serving on a random loopback port, recording every request, and the fault
switches tests flip (the next calls fail, or hang until the fake closes)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestServer

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


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


@dataclass
class RecordedCall:
    """One request as it arrived, and the status it was answered with."""

    method: str
    path: str
    query: dict[str, str]
    body: Any  # the JSON body, "<not JSON>", or None
    authorization: str | None
    status: int = 0
    handled: bool = False  # reached the API itself (past authentication and the fault switches)
    at: float = field(default_factory=time.monotonic)


Answer = Callable[[web.Request, Handler, RecordedCall], Awaitable[web.StreamResponse]]


def recording_gate(calls: list[RecordedCall], answer: Answer) -> Any:
    """An aiohttp middleware that appends each request to `calls`, lets `answer` respond (authentication, faults,
    then the handler), and records the status it gave."""

    @web.middleware
    async def gate(request: web.Request, handler: Handler) -> web.StreamResponse:
        body: Any = None
        if request.can_read_body:
            try:
                body = await request.json()
            except ValueError:
                body = "<not JSON>"
        call = RecordedCall(
            method=request.method,
            path=request.path,
            query=dict(request.query),
            body=body,
            authorization=request.headers.get("Authorization"),
        )
        calls.append(call)
        response = await answer(request, handler, call)
        call.status = response.status
        return response

    return gate


@dataclass
class Outages:
    """The next calls fail with a status (an HTML error page, as a proxy in front of the service sends), or hang
    until `release` (the fake closing) and then time out with 504."""

    _fail: list[int] = field(default_factory=list)
    _stall: int = 0
    _release: asyncio.Event = field(default_factory=asyncio.Event)

    def fail_next(self, times: int, *, status: int = 503) -> None:
        self._fail.extend([status] * times)

    def stall_next(self, times: int) -> None:
        self._stall += times

    def release(self) -> None:
        self._release.set()

    async def response(self) -> web.Response | None:
        """The outage for this call, or None when the call goes through."""
        if self._stall:
            self._stall -= 1
            await self._release.wait()
            return web.Response(status=504, text="Gateway Timeout")
        if self._fail:
            return web.Response(
                status=self._fail.pop(0), text="<html><body>Service Unavailable</body></html>", content_type="text/html"
            )
        return None
