"""Replies become Teams messages: text when plain, an Adaptive Card with sources and actions otherwise."""

from __future__ import annotations

from typing import Any

import pytest

from bot.channels.teams.cards import CARD_CONTENT_TYPE, reply_message, submitted_choice
from bot.core.model import Choice, Citation, Reply, ReplyKind


def test_a_plain_reply_is_markdown_text() -> None:
    message = reply_message(Reply(kind=ReplyKind.INFO, text="Hi **there**"))
    assert message == {"type": "message", "text": "Hi **there**", "textFormat": "markdown"}


def test_an_answer_is_a_card_with_numbered_sources_and_submit_actions() -> None:
    reply = Reply(
        kind=ReplyKind.ANSWER,
        text="From **VPN**: open the app.",
        seq=12,
        citations=(
            Citation(article_id="vpn", title="VPN", url="https://kb.example.com/vpn"),
            Citation(article_id="wifi", title="Wi-Fi", url=None),
        ),
        choices=(
            Choice(id="feedback:helped", label="This helped"),
            Choice(id="handoff:human", label="Talk to a person"),
        ),
    )
    [attachment] = reply_message(reply)["attachments"]
    assert attachment["contentType"] == CARD_CONTENT_TYPE
    card = attachment["content"]
    texts = [block["text"] for block in card["body"]]
    assert texts == ["From **VPN**: open the app.", "Sources", "1. [VPN](https://kb.example.com/vpn)\n2. Wi-Fi"]
    assert [(a["type"], a["title"]) for a in card["actions"]] == [
        ("Action.Submit", "This helped"),
        ("Action.Submit", "Talk to a person"),
    ]
    assert submitted_choice(card["actions"][0]["data"]) == ("feedback:helped", 12)


def test_a_hand_off_card_shows_the_ticket() -> None:
    card = reply_message(Reply(kind=ReplyKind.HANDOFF, text="Passed on.", handoff_id="HD-1"))["attachments"][0]
    assert card["content"]["body"][-1]["text"] == "Ticket **HD-1**"


@pytest.mark.parametrize(
    "value",
    [
        None,
        "text",
        {},
        {"helpdesk": "x"},
        {"helpdesk": {"choice": ""}},
        {"helpdesk": {"choice": "x", "in_reply_to": "7"}},
        {"helpdesk": {"choice": "x", "in_reply_to": True}},
    ],
)
def test_submits_that_are_not_ours_are_not_choices(value: Any) -> None:
    assert submitted_choice(value) is None
