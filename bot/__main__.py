"""Command line: `helpdesk-bot run | chat | ask | kb | intents | triage | incidents | teams | audit | identity | db`."""

from __future__ import annotations

import asyncio
import os
from typing import Annotated

# Before any import that may load onnxruntime or huggingface_hub: nothing may phone home or download.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")  # no model-loading progress bars in the terminal
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")

import typer

from bot.cli.audit import audit_app
from bot.cli.db import db_app
from bot.cli.drafts import drafts_app
from bot.cli.identity import identity_app
from bot.cli.incidents import incidents_app
from bot.cli.intents import intents_app
from bot.cli.kb import kb_app
from bot.cli.teams import teams_app
from bot.cli.triage import triage_app
from bot.ops.logging import configure_logging
from bot.settings import Settings, SettingsError, load_settings
from bot.store.sql.migrate import SchemaTooNewError
from knowledge.chroma_store import KnowledgeStoreUnavailable

app = typer.Typer(help="IT-helpdesk bot: web chat, terminal chat and knowledge-base tools.", no_args_is_help=True)
kb_app.add_typer(drafts_app, name="drafts")
app.add_typer(kb_app, name="kb")
app.add_typer(intents_app, name="intents")
app.add_typer(teams_app, name="teams")
app.add_typer(audit_app, name="audit")
app.add_typer(identity_app, name="identity")
app.add_typer(triage_app, name="triage")
app.add_typer(incidents_app, name="incidents")
app.add_typer(db_app, name="db")


def _settings(*, interactive: bool = False) -> Settings:
    """Load settings or exit with the reason. Interactive commands log only warnings unless told otherwise,
    so the conversation is not buried under JSON lines."""
    try:
        settings = load_settings()
    except SettingsError as error:
        typer.echo(str(error), err=True)
        raise typer.Exit(2) from error
    quiet = interactive and "HELPDESK_LOG_LEVEL" not in os.environ
    configure_logging(level="warning" if quiet else settings.log_level,
                      fmt="console" if quiet else settings.log_format)
    return settings


@app.command()
def run() -> None:
    """Start the bot's HTTP server (web chat at /, API at /api/chat)."""
    from aiohttp import web

    from bot.app import build_services, create_web_app

    settings = _settings()

    async def serve() -> web.Application:
        services = await build_services(settings)
        application = create_web_app(services)

        async def close(_app: web.Application) -> None:
            await services.close()

        application.on_cleanup.append(close)
        return application

    typer.echo(f"Helpdesk bot on http://{settings.host}:{settings.port}/", err=True)
    try:
        web.run_app(serve(), host=settings.host, port=settings.port, print=None)
    # Say why, not a traceback: the Chroma server is down, or the database was written by a newer release.
    except (KnowledgeStoreUnavailable, SchemaTooNewError) as error:
        typer.echo(str(error), err=True)
        raise typer.Exit(1) from error


@app.command()
def chat() -> None:
    """Talk to the bot in the terminal."""
    from bot.app import build_services
    from bot.channels.terminal import chat_loop

    settings = _settings(interactive=True)

    async def main() -> None:
        services = await build_services(settings)
        try:
            await chat_loop(engine=services.engine)
        finally:
            await services.close()

    asyncio.run(main())


@app.command()
def ask(text: str, as_json: Annotated[bool, typer.Option("--json", help="Print the replies as JSON.")] = False) -> None:
    """Send one message through the engine and print the replies."""
    from bot.app import build_services
    from bot.channels.terminal import ask_once

    settings = _settings(interactive=True)

    async def main() -> None:
        services = await build_services(settings)
        try:
            await ask_once(engine=services.engine, text=text, as_json=as_json)
        finally:
            await services.close()

    asyncio.run(main())


def main() -> None:
    app()


if __name__ == "__main__":
    main()
