"""The terminal channel: `helpdesk-bot chat` and `helpdesk-bot ask` run turns through the same engine."""

from __future__ import annotations

import asyncio
import getpass
import json
import uuid

import structlog
import typer

from bot.channels.runtime.collecting import CollectingReplyPort
from bot.channels.runtime.turn_errors import apologise
from bot.core.engine import Engine
from bot.core.model import ConversationRef, Inbound, Reply, ReplyKind, UserRef

CHANNEL = "cli"
log = structlog.get_logger(__name__)


def local_user() -> UserRef:
    """The terminal user: the operating-system account running the command."""
    name = getpass.getuser()
    return UserRef(id=f"local:{name}", name=name)


def render_reply(reply: Reply) -> str:
    """Plain-text rendering: the text, then sources and choices as numbered lines."""
    lines = [reply.text]
    if reply.kind == ReplyKind.ANSWER and reply.confidence is not None:
        lines.append(f"(confidence {reply.confidence:.2f})")
    for citation in reply.citations:
        lines.append(f"Source: {citation.title}" + (f" <{citation.url}>" if citation.url else ""))
    for number, choice in enumerate(reply.choices, 1):
        lines.append(f"  [{number}] {choice.label}")
    return "\n".join(lines)


async def ask_once(*, engine: Engine, text: str, as_json: bool) -> None:
    """One turn in a fresh conversation, printed as text or as the JSON reply list."""
    port = CollectingReplyPort()
    conversation = ConversationRef(channel=CHANNEL, id=f"ask-{uuid.uuid4().hex[:12]}")
    await engine.handle(
        Inbound(conversation=conversation, user=local_user(), text=text, correlation_id=uuid.uuid4().hex[:16]), port
    )
    if as_json:
        typer.echo(json.dumps([r.to_dict() for r in port.replies], indent=2, ensure_ascii=False))
    else:
        typer.echo("\n\n".join(render_reply(r) for r in port.replies))


async def chat_loop(*, engine: Engine) -> None:
    """An interactive conversation; a number picks one of the offered choices. Ctrl-D or 'exit' quits."""
    conversation = ConversationRef(channel=CHANNEL, id=f"chat-{uuid.uuid4().hex[:12]}")
    user = local_user()
    typer.echo("IT help bot — type your question ('exit' to quit).")
    choices: list[tuple[str, int | None]] = []  # (choice id, the reply it belongs to), numbered from 1
    while True:
        try:
            line = await asyncio.to_thread(input, "you> ")  # input() blocks; keep the loop responsive
        except EOFError:
            break
        if line.strip().lower() in {"exit", "quit"}:
            break
        choice, in_reply_to = None, None
        if line.strip().isdigit() and choices and 1 <= int(line) <= len(choices):
            choice, in_reply_to = choices[int(line) - 1]
        port = CollectingReplyPort()
        correlation_id = uuid.uuid4().hex[:16]
        try:
            await engine.handle(
                Inbound(
                    conversation=conversation,
                    user=user,
                    text="" if choice else line,
                    choice=choice,
                    in_reply_to=in_reply_to,
                    correlation_id=correlation_id,
                ),
                port,
            )
        except Exception:  # noqa: BLE001 - the turn-level handler; then keep chatting
            await apologise(
                port, reference=correlation_id, conversation=conversation.key, correlation_id=correlation_id
            )
        choices = [(c.id, r.seq) for r in port.replies for c in r.choices]
        for reply in port.replies:
            typer.echo(f"bot> {render_reply(reply)}\n")
