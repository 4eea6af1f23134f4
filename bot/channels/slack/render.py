"""Replies as Block Kit: the text, a numbered "Sources" list, and the engine's choices as buttons."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from slackify_markdown import slackify_markdown

from bot import messages
from bot.channels.slack.events import choice_value
from bot.core.model import Citation, Reply

ACTION_PREFIX = "helpdesk:choice:"
SECTION_LIMIT = 3000  # characters of mrkdwn in one section block
BUTTON_LABEL_LIMIT = 75
FALLBACK_LIMIT = 3000  # the notification text; the blocks carry the full reply
MAX_BUTTONS = 25


@dataclass(frozen=True, kw_only=True)
class SlackMessage:
    """What chat.postMessage / chat.postEphemeral take: plain notification text plus blocks."""

    text: str
    blocks: list[dict[str, Any]]


def render_reply(reply: Reply, *, conversation_id: str) -> SlackMessage:
    """Block Kit for one reply. Buttons carry the conversation and the reply's place in the transcript."""
    blocks = [_section(part) for part in _split(slackify_markdown(reply.text).strip() or " ", SECTION_LIMIT)]
    if reply.author:  # someone from IT wrote it: the person sees who
        blocks.insert(
            0,
            {
                "type": "context",
                "elements": [{"type": "mrkdwn", "text": messages.SLACK_FROM_STAFF.format(name=escape(reply.author))}],
            },
        )
    if reply.citations:
        blocks.append(
            _section(
                "*Sources*\n"
                + "\n".join(f"{number}. {_link(citation)}" for number, citation in enumerate(reply.citations, 1))
            )
        )
    if reply.handoff_id:
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": f"Ticket *{reply.handoff_id}*"}]})
    if reply.choices:
        blocks.append(
            {
                "type": "actions",
                "elements": [
                    {
                        "type": "button",
                        "action_id": f"{ACTION_PREFIX}{index}",
                        "text": {
                            "type": "plain_text",
                            "text": _shorten(choice.label, BUTTON_LABEL_LIMIT),
                            "emoji": True,
                        },
                        "value": choice_value(conversation_id=conversation_id, choice=choice.id, reply_seq=reply.seq),
                    }
                    for index, choice in enumerate(reply.choices[:MAX_BUTTONS])
                ],
            }
        )
    text = f"{reply.author}: {reply.text}" if reply.author else reply.text
    return SlackMessage(text=_shorten(text, FALLBACK_LIMIT), blocks=blocks)


def mark_chosen(blocks: list[dict[str, Any]], *, label: str) -> list[dict[str, Any]]:
    """The clicked message with its buttons replaced by what was chosen, so nobody clicks twice."""
    kept = [block for block in blocks if block.get("type") != "actions"]
    return [*kept, {"type": "context", "elements": [{"type": "mrkdwn", "text": f":white_check_mark: {label}"}]}]


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def _link(citation: Citation) -> str:
    title = escape(citation.title)
    return f"<{citation.url}|{title}>" if citation.url else title


def escape(text: str) -> str:
    """Slack's mrkdwn control characters, so that text is shown as written, never parsed as links or mentions."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _split(text: str, limit: int) -> list[str]:
    """Pieces of at most `limit` characters, cut at paragraph or line ends where possible."""
    pieces: list[str] = []
    while len(text) > limit:
        cut = max(text.rfind("\n\n", 0, limit), text.rfind("\n", 0, limit))
        cut = cut if cut > limit // 2 else limit
        pieces.append(text[:cut].rstrip())
        text = text[cut:].lstrip()
    return [*pieces, text] if text else pieces


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
