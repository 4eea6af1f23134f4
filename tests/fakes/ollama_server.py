"""A local stand-in for Ollama's chat API (`POST /api/chat`), streaming NDJSON as the real server does.

It rejects a body without `model` or `messages` (400 with an `error` field) and an unknown model (404), and
records every accepted request. Ollama itself has no authentication, so neither does the stand-in.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.fakes.local_server import LocalServer


@dataclass
class FakeOllama:
    """`respond` maps a request body to the assistant's text; it is streamed in two parts."""

    models: tuple[str, ...] = ("llama3.1",)
    respond: Callable[[dict[str, Any]], str] = lambda _body: "NO_ANSWER"
    requests: list[dict[str, Any]] = field(default_factory=list)
    _server: LocalServer = field(default_factory=LocalServer)

    @property
    def base_url(self) -> str:
        return self._server.base_url

    async def start(self) -> str:
        application = web.Application()
        application.router.add_post("/api/chat", self._chat)
        return await self._server.serve(application)

    async def close(self) -> None:
        await self._server.close()

    async def _chat(self, request: web.Request) -> web.StreamResponse:
        try:
            body = await request.json()
        except ValueError:
            return web.json_response({"error": "invalid JSON"}, status=400)
        if not isinstance(body, dict) or not body.get("model"):
            return web.json_response({"error": "model is required"}, status=400)
        if body["model"] not in self.models:
            return web.json_response({"error": f"model '{body['model']}' not found"}, status=404)
        if not isinstance(body.get("messages"), list):
            return web.json_response({"error": "messages is required"}, status=400)
        self.requests.append(body)
        text = self.respond(body)
        half = len(text) // 2
        parts = [
            {
                "model": body["model"],
                "created_at": "2026-11-22T00:00:00Z",
                "message": {"role": "assistant", "content": piece},
                "done": False,
            }
            for piece in (text[:half], text[half:])
        ]
        parts.append(
            {
                "model": body["model"],
                "created_at": "2026-11-22T00:00:01Z",
                "message": {"role": "assistant", "content": ""},
                "done": True,
                "done_reason": "stop",
                "total_duration": 1,
                "prompt_eval_count": 10,
                "eval_count": 10,
            }
        )
        if body.get("stream") is False:
            final = {**parts[-1], "message": {"role": "assistant", "content": text}}
            return web.json_response(final)
        response = web.StreamResponse(headers={"Content-Type": "application/x-ndjson"})
        await response.prepare(request)
        for part in parts:
            await response.write((json.dumps(part) + "\n").encode())
        await response.write_eof()
        return response
