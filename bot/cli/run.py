"""`helpdesk-bot run`: the bot's HTTP server (web chat, Slack, Teams, staff API, probes)."""

from __future__ import annotations

import typer

from bot.cli import common


def run() -> None:
    """Start the bot's HTTP server (web chat at /, API at /api/chat)."""
    from aiohttp import web

    from bot.app import build_services, create_web_app

    settings = common.settings(quiet=False)

    async def serve() -> web.Application:
        services = await build_services(settings)
        application = create_web_app(services)

        async def close(_app: web.Application) -> None:
            await services.close()

        application.on_cleanup.append(close)
        return application

    typer.echo(f"Helpdesk bot on http://{settings.host}:{settings.port}/", err=True)
    with common.reported_errors():
        web.run_app(serve(), host=settings.host, port=settings.port, print=None)
