"""Replies as Teams messages: plain Markdown text, or an Adaptive Card when there are sources or choices."""

from __future__ import annotations

from typing import Any

from bot import messages
from bot.core.model import Reply

CARD_CONTENT_TYPE = "application/vnd.microsoft.card.adaptive"
CARD_VERSION = "1.4"  # what Teams renders on desktop, web and mobile
SUBMIT_KEY = "helpdesk"  # card submits carry {"helpdesk": {"choice": …, "in_reply_to": …}}


def reply_message(reply: Reply) -> dict[str, Any]:
    """The message fields for one reply: `text`, or a single Adaptive Card attachment."""
    if not (reply.citations or reply.choices or reply.handoff_id or reply.author):
        return {"type": "message", "text": reply.text, "textFormat": "markdown"}
    return {
        "type": "message",
        "text": "",
        "attachments": [{"contentType": CARD_CONTENT_TYPE, "content": adaptive_card(reply)}],
    }


def adaptive_card(reply: Reply) -> dict[str, Any]:
    """Who from IT wrote it (relayed replies), the answer, numbered sources as links, the ticket, and the engine's
    choices as submit actions."""
    body: list[dict[str, Any]] = [{"type": "TextBlock", "text": reply.text, "wrap": True}]
    if reply.author:
        body.insert(
            0,
            {
                "type": "TextBlock",
                "text": messages.TEAMS_FROM_STAFF.format(name=reply.author),
                "isSubtle": True,
                "spacing": "None",
            },
        )
    if reply.citations:
        body.append({"type": "TextBlock", "text": "Sources", "weight": "Bolder", "spacing": "Medium"})
        body.append(
            {
                "type": "TextBlock",
                "wrap": True,
                "spacing": "Small",
                "text": "\n".join(
                    f"{number}. [{citation.title}]({citation.url})" if citation.url else f"{number}. {citation.title}"
                    for number, citation in enumerate(reply.citations, 1)
                ),
            }
        )
    if reply.handoff_id:
        body.append(
            {"type": "TextBlock", "text": f"Ticket **{reply.handoff_id}**", "isSubtle": True, "spacing": "Small"}
        )
    card: dict[str, Any] = {
        "type": "AdaptiveCard",
        "version": CARD_VERSION,
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "body": body,
    }
    if reply.choices:
        card["actions"] = [
            {
                "type": "Action.Submit",
                "title": choice.label,
                "data": {SUBMIT_KEY: {"choice": choice.id, "in_reply_to": reply.seq}},
            }
            for choice in reply.choices
        ]
    return card


def submitted_choice(value: Any) -> tuple[str, int | None] | None:
    """(choice, reply seq) from a card submit's `value`, or None when it is not one of our cards."""
    data = value.get(SUBMIT_KEY) if isinstance(value, dict) else None
    if not isinstance(data, dict) or not isinstance(data.get("choice"), str) or not data["choice"]:
        return None
    in_reply_to = data.get("in_reply_to")
    if in_reply_to is not None and (not isinstance(in_reply_to, int) or isinstance(in_reply_to, bool)):
        return None
    return data["choice"], in_reply_to
