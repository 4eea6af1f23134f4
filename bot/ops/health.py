"""Health probes for orchestrators: /healthz (the process is up) and /readyz (its dependencies answer)."""

from __future__ import annotations

from aiohttp import web

from bot.core.ports import ConversationStore, KnowledgeBase


class HealthProbes:
    """/healthz (the process is up) and /readyz (database and knowledge index answer), for orchestrators."""

    def __init__(self, *, store: ConversationStore, knowledge: KnowledgeBase) -> None:
        self._store = store
        self._knowledge = knowledge

    def register(self, app: web.Application) -> None:
        app.router.add_get("/healthz", self.healthz)
        app.router.add_get("/readyz", self.readyz)

    async def healthz(self, _request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    async def readyz(self, _request: web.Request) -> web.Response:
        checks = {"database": await self._store.is_ready(), "knowledge_index": await self._knowledge.is_ready()}
        ready = all(checks.values())
        return web.json_response(
            {"status": "ready" if ready else "not_ready", "checks": checks}, status=200 if ready else 503
        )
