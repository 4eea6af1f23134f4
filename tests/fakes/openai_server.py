"""A local stand-in for an OpenAI-compatible chat-completions API (and Azure OpenAI's deployment route).

It speaks the documented wire format, rejects a wrong key the way the real service does (401 with an
`error` object) and a body without `model`/`messages` (400), and records every accepted request.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.fakes.local_server import LocalServer

Responder = Callable[[dict[str, Any]], str]


@dataclass
class FakeOpenAI:
    """Configure `respond` (request body -> assistant text), `delay_seconds` or `fail_status` per test."""

    api_key: str = "sk-test-key"
    respond: Responder = lambda _body: "NO_ANSWER"
    delay_seconds: float = 0.0
    fail_status: int | None = None
    requests: list[dict[str, Any]] = field(default_factory=list)
    _server: LocalServer = field(default_factory=LocalServer)

    def app(self) -> web.Application:
        application = web.Application()
        application.router.add_post("/v1/chat/completions", self._completions)
        application.router.add_post("/openai/deployments/{deployment}/chat/completions", self._azure_completions)
        return application

    @property
    def base_url(self) -> str:
        """e.g. http://127.0.0.1:PORT, once started."""
        return self._server.base_url

    async def start(self) -> str:
        return await self._server.serve(self.app())

    async def close(self) -> None:
        await self._server.close()

    async def _completions(self, request: web.Request) -> web.Response:
        if request.headers.get("Authorization") != f"Bearer {self.api_key}":
            return _error(401, "Incorrect API key provided.", "invalid_api_key")
        return await self._answer(request)

    async def _azure_completions(self, request: web.Request) -> web.Response:
        if request.headers.get("api-key") != self.api_key:
            return _error(401, "Access denied due to invalid subscription key.", "401")
        if "api-version" not in request.query:
            return _error(404, "Resource not found", "404")
        return await self._answer(request)

    async def _answer(self, request: web.Request) -> web.Response:
        try:
            body = await request.json()
        except ValueError:
            return _error(400, "We could not parse the JSON body of your request.", "invalid_json")
        if not isinstance(body, dict) or (not body.get("model") and "deployments" not in request.path):
            return _error(400, "you must provide a model parameter", "missing_model")
        messages = body.get("messages")
        if not isinstance(messages, list) or not messages:
            return _error(400, "'messages' is a required property", "missing_messages")
        self.requests.append(body)
        if self.delay_seconds:
            await asyncio.sleep(self.delay_seconds)
        if self.fail_status is not None:
            return _error(self.fail_status, "The server had an error while processing your request.", "server_error")
        content = self.respond(body)
        return web.json_response(
            {
                "id": f"chatcmpl-{len(self.requests)}",
                "object": "chat.completion",
                "created": int(time.time()),
                "model": body.get("model", "deployment"),
                "choices": [
                    {"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}
                ],
                "usage": {"prompt_tokens": 10, "completion_tokens": 10, "total_tokens": 20},
            }
        )


def _error(status: int, message: str, code: str) -> web.Response:
    return web.json_response(
        {"error": {"message": message, "type": "invalid_request_error", "param": None, "code": code}},
        status=status,
    )
