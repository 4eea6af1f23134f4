"""What IT staff see in a Slack staff channel: the ticket card, the thread under it, the Resolve dialog, and
reading back what its buttons and the dialog send."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from slackify_markdown import slackify_markdown

from bot import messages
from bot.channels.slack.render import SlackMessage, escape
from bot.core.model import Turn
from bot.core.tickets import ResolverGroup, Ticket
from bot.handoff.card_content import (
    StaffOp,
    available_ops,
    card_facts,
    packed,
    shown_turns,
    speaker,
    staff_op,
    status_line,
)

STAFF_PREFIX = "helpdesk:staff:"  # action_id of every card button: helpdesk:staff:claim, …
RESOLVE_CALLBACK = "helpdesk:staff:resolve_note"  # callback_id of the Resolve dialog
NOTE_BLOCK, NOTE_INPUT = "note", "note"
# Slack's limits: header 150, section 3000, field 2000, modal title 24, plain_text_input 3000 characters.
HEADER_LIMIT, SECTION_LIMIT, FIELD_LIMIT, TITLE_LIMIT, NOTE_LIMIT = 150, 3000, 2000, 24, 3000
# One thread message; Slack accepts more but folds long messages behind "Show more" from about 4,000.
MESSAGE_CHARS = 3500


@dataclass(frozen=True, kw_only=True)
class StaffClick:
    """A button pressed on a ticket card."""

    op: StaffOp
    ticket: str


@dataclass(frozen=True, kw_only=True)
class ResolveForm:
    """The Resolve dialog as submitted: which ticket, where its card is, and the note as typed."""

    ticket: str
    channel: str
    note: str


def card(ticket: Ticket, group: ResolverGroup) -> SlackMessage:
    """Who asked, what about, where it stands; and the buttons that fit its status (none once it is closed)."""
    facts = card_facts(ticket, group)
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": _plain(f"Ticket {ticket.id} · {ticket.priority}", HEADER_LIMIT)},
        {"type": "section", "text": {"type": "mrkdwn", "text": _shorten(escape(ticket.summary) or "—", SECTION_LIMIT)}},
        {
            "type": "section",
            "fields": [
                {"type": "mrkdwn", "text": _shorten(f"*{title}*\n{escape(value)}", FIELD_LIMIT)}
                for title, value in facts
            ],
        },
        {"type": "context", "elements": [{"type": "mrkdwn", "text": f"*Status:* {escape(status_line(ticket))}"}]},
    ]
    if ops := available_ops(ticket):
        blocks.append({"type": "actions", "elements": [_button(op, ticket) for op in ops]})
    text = _shorten(f"Ticket {ticket.id} ({ticket.priority}): {ticket.summary} — {status_line(ticket)}", SECTION_LIMIT)
    return SlackMessage(text=text, blocks=blocks)


def resolve_modal(*, ticket_id: str, channel: str) -> dict[str, Any]:
    """The dialog Resolve opens; the note is required (Slack checks it, and so do we, for blank notes)."""
    return {
        "type": "modal",
        "callback_id": RESOLVE_CALLBACK,
        "title": _plain(messages.SLACK_STAFF_MODAL_TITLE.format(ticket=ticket_id), TITLE_LIMIT),
        "submit": _plain(messages.SLACK_STAFF_MODAL_SUBMIT, TITLE_LIMIT),
        "close": _plain("Cancel", TITLE_LIMIT),
        "private_metadata": json.dumps({"ticket": ticket_id, "channel": channel}, separators=(",", ":")),
        "blocks": [
            {
                "type": "input",
                "block_id": NOTE_BLOCK,
                "label": _plain(messages.SLACK_STAFF_NOTE_LABEL, 2000),
                "element": {
                    "type": "plain_text_input",
                    "action_id": NOTE_INPUT,
                    "multiline": True,
                    "max_length": NOTE_LIMIT,
                },
            }
        ],
    }


def staff_click(action: dict[str, Any]) -> StaffClick | None:
    """The pressed card button, or None when its value is not one of ours."""
    try:
        value = json.loads(action["value"])
        op, ticket = value["op"], value["ticket"]
    except (KeyError, TypeError, ValueError):
        return None
    known = staff_op(op)
    if known is None or not isinstance(ticket, str) or not ticket:
        return None
    return StaffClick(op=known, ticket=ticket)


def resolve_form(view: dict[str, Any]) -> ResolveForm | None:
    """The submitted Resolve dialog, or None when it is not the one we opened."""
    try:
        meta = json.loads(view["private_metadata"])
        ticket, channel = meta["ticket"], meta["channel"]
        note = view["state"]["values"][NOTE_BLOCK][NOTE_INPUT].get("value") or ""
    except (KeyError, TypeError, ValueError, AttributeError):
        return None
    if not (isinstance(ticket, str) and ticket and isinstance(channel, str) and channel and isinstance(note, str)):
        return None
    return ResolveForm(ticket=ticket, channel=channel, note=note)


def relay_text(*, author: str, text: str, internal: bool) -> str:
    """A message in the card's thread: who wrote it, and whether the person saw it."""
    line = f"*{escape(author)}*: {escape(text)}"
    return f":lock: internal note · {line}" if internal else line


def transcript_messages(ticket: Ticket, transcript: Sequence[Turn], *, limit: int = MESSAGE_CHARS) -> list[str]:
    """The conversation before the hand-off, as few thread messages as fit (normally one)."""
    lines = [f"*{escape(speaker(ticket, turn))}*: {_said(turn)}" for turn in shown_turns(transcript)]
    if not lines:
        return []
    return packed([messages.SLACK_STAFF_TRANSCRIPT.format(count=len(lines)), *lines], limit=limit)


def _said(turn: Turn) -> str:
    """The bot writes Markdown (as its replies are rendered); people's words are shown as typed."""
    return slackify_markdown(turn.text).strip() if turn.role == "bot" else escape(turn.text)


def _button(op: StaffOp, ticket: Ticket) -> dict[str, Any]:
    label = {
        "claim": messages.SLACK_STAFF_CLAIM,
        "resolve": messages.SLACK_STAFF_RESOLVE,
        "return_to_bot": messages.SLACK_STAFF_RETURN,
    }[op]
    button: dict[str, Any] = {
        "type": "button",
        "action_id": f"{STAFF_PREFIX}{op}",
        "text": _plain(label, 75),
        "value": json.dumps({"ticket": ticket.id, "op": op}, separators=(",", ":")),
    }
    if op == "claim":
        button["style"] = "primary"
    return button


def _plain(text: str, limit: int) -> dict[str, Any]:
    return {"type": "plain_text", "text": _shorten(text, limit), "emoji": True}


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
