"""`helpdesk-bot chat | ask`: talk to the bot in the terminal, or send it one message."""

from __future__ import annotations

from typing import Annotated

import typer

from bot.cli import common


def chat() -> None:
    """Talk to the bot in the terminal."""
    from bot.app import build_services
    from bot.channels.terminal import chat_loop

    settings = common.settings()

    async def main() -> None:
        services = await build_services(settings)
        try:
            await chat_loop(engine=services.engine)
        finally:
            await services.close()

    common.run(main())


def ask(text: str, as_json: Annotated[bool, typer.Option("--json", help="Print the replies as JSON.")] = False) -> None:
    """Send one message through the engine and print the replies."""
    from bot.app import build_services
    from bot.channels.terminal import ask_once

    settings = common.settings()

    async def main() -> None:
        services = await build_services(settings)
        try:
            await ask_once(engine=services.engine, text=text, as_json=as_json)
        finally:
            await services.close()

    common.run(main())
