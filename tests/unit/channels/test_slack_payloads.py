"""Slack payloads become turns (or are ignored), and replies become valid Block Kit."""

from __future__ import annotations

import json
from typing import Any

import pytest

from bot.channels.slack.events import choice_value, message_key, turn_from_click, turn_from_mention, turn_from_message
from bot.channels.slack.render import mark_chosen, render_reply
from bot.channels.slack.threads import SlackThread, plain_text
from bot.core.model import Choice, Citation, Reply, ReplyKind

BOT = "UBOT"


def envelope(event: dict[str, Any]) -> dict[str, Any]:
    return {"type": "event_callback", "team_id": "T1", "event_id": "Ev1", "event": event}


def dm(**fields: Any) -> dict[str, Any]:
    return {
        "type": "message",
        "channel_type": "im",
        "channel": "D1",
        "user": "U1",
        "text": "vpn?",
        "ts": "1.1",
        **fields,
    }


def test_a_direct_message_starts_a_conversation_in_its_own_thread() -> None:
    turn = turn_from_message(envelope(dm()), dm(), bot_user_id=BOT)
    assert turn is not None
    assert turn.thread.conversation.key == "slack:T1:D1:1.1"
    assert (turn.text, turn.user_id, turn.message_ts, turn.follow_up_only) == ("vpn?", "U1", "1.1", False)


def test_a_reply_in_a_direct_message_thread_continues_that_conversation() -> None:
    event = dm(ts="1.5", thread_ts="1.1")
    turn = turn_from_message(envelope(event), event, bot_user_id=BOT)
    assert turn is not None
    assert turn.thread.conversation.key == "slack:T1:D1:1.1"


@pytest.mark.parametrize(
    "event",
    [
        dm(bot_id="B9"),  # another bot
        dm(user=BOT),  # the bot itself
        dm(subtype="message_changed"),  # an edit
        dm(subtype="message_deleted"),
        dm(subtype="channel_join"),
        dm(user=None),
        dm(ts=None),
    ],
    ids=["bot", "self", "edit", "delete", "join", "no-user", "no-ts"],
)
def test_what_is_not_a_person_writing_is_ignored(event: dict[str, Any]) -> None:
    assert turn_from_message(envelope(event), event, bot_user_id=BOT) is None


def test_in_channels_only_thread_replies_without_a_mention_are_follow_ups() -> None:
    top_level = dm(channel="C1", channel_type="channel")
    mentioned = dm(channel="C1", channel_type="channel", thread_ts="1.0", text=f"<@{BOT}> again")
    reply = dm(channel="C1", channel_type="channel", thread_ts="1.0", ts="1.2")
    assert turn_from_message(envelope(top_level), top_level, bot_user_id=BOT) is None
    assert turn_from_message(envelope(mentioned), mentioned, bot_user_id=BOT) is None  # app_mention has it
    turn = turn_from_message(envelope(reply), reply, bot_user_id=BOT)
    assert turn is not None
    assert turn.follow_up_only
    assert turn.thread.thread_ts == "1.0"


def test_a_mention_loses_the_bots_name_but_keeps_the_question() -> None:
    event = {
        "type": "app_mention",
        "channel": "C1",
        "user": "U1",
        "ts": "2.0",
        "text": f"<@{BOT}> my <https://vpn.example.com|VPN> &amp; <@U7|bob>'s Wi-Fi",
    }
    turn = turn_from_mention(envelope(event), event, bot_user_id=BOT)
    assert turn is not None
    assert turn.text == "my VPN (https://vpn.example.com) & @bob's Wi-Fi"
    assert turn.thread.conversation.key == "slack:T1:C1:2.0"


def test_slack_markup_is_spelt_out() -> None:
    assert (
        plain_text("<!here> see <#C1|general> <mailto:a@b.c|mail> &lt;tag&gt;", bot_user_id=None)
        == "@here see #general mail (mailto:a@b.c) <tag>"
    )


def test_two_deliveries_of_one_message_share_a_key() -> None:
    mention = {"type": "app_mention", "channel": "C1", "ts": "3.0", "user": "U1"}
    message = {"type": "message", "channel": "C1", "ts": "3.0", "user": "U1"}
    assert message_key(envelope(mention), mention) == message_key(envelope(message), message) == "T1:C1:3.0"


def test_a_click_names_its_conversation_choice_and_answer() -> None:
    value = choice_value(conversation_id="T1:C1:1.0", choice="feedback:helped", reply_seq=42)
    body = {"type": "block_actions", "user": {"id": "U1"}, "trigger_id": "tr1"}
    turn = turn_from_click(body, {"value": value})
    assert turn is not None
    assert (turn.thread.conversation.key, turn.choice, turn.in_reply_to, turn.user_id) == (
        "slack:T1:C1:1.0",
        "feedback:helped",
        42,
        "U1",
    )


@pytest.mark.parametrize(
    "value",
    [
        "not json",
        json.dumps({"c": "x"}),
        json.dumps({"k": "nocolons", "c": "x"}),
        json.dumps({"k": "T:C:1", "c": "x", "r": "42"}),
    ],
)
def test_an_unreadable_button_value_is_ignored(value: str) -> None:
    assert turn_from_click({"user": {"id": "U1"}}, {"value": value}) is None


def test_direct_message_channels_are_recognised_by_their_id() -> None:
    assert SlackThread(team_id="T", channel_id="D1", thread_ts="1").is_direct
    assert not SlackThread(team_id="T", channel_id="C1", thread_ts="1").is_direct


def answer(**fields: Any) -> Reply:
    base: dict[str, Any] = {
        "kind": ReplyKind.ANSWER,
        "seq": 7,
        "text": "From **VPN**:\n\n1. Open the app\n2. Click **Connect**",
        "citations": (
            Citation(article_id="vpn", title="VPN <setup> & use", url="https://kb.example.com/vpn"),
            Citation(article_id="wifi", title="Wi-Fi", url=None),
        ),
        "choices": (
            Choice(id="feedback:helped", label="This helped"),
            Choice(id="handoff:human", label="Talk to a person"),
        ),
    }
    return Reply(**{**base, **fields})


def test_an_answer_renders_as_mrkdwn_with_numbered_sources_and_buttons() -> None:
    message = render_reply(answer(), conversation_id="T1:C1:1.0")
    sections = [b["text"]["text"] for b in message.blocks if b["type"] == "section"]
    assert sections[0].startswith("From *VPN*:")
    assert "Click *Connect*" in sections[0]
    assert sections[1] == "*Sources*\n1. <https://kb.example.com/vpn|VPN &lt;setup&gt; &amp; use>\n2. Wi-Fi"
    [actions] = [b for b in message.blocks if b["type"] == "actions"]
    labels = [e["text"]["text"] for e in actions["elements"]]
    assert labels == ["This helped", "Talk to a person"]
    assert json.loads(actions["elements"][0]["value"]) == {"k": "T1:C1:1.0", "c": "feedback:helped", "r": 7}
    assert len({e["action_id"] for e in actions["elements"]}) == 2
    assert message.text.startswith("From **VPN**")  # the notification keeps the plain text


def test_long_replies_are_split_within_slacks_block_limits() -> None:
    long_text = "\n\n".join(f"Paragraph {n}: " + "word " * 120 for n in range(20))
    message = render_reply(
        answer(text=long_text, choices=(Choice(id="x", label="L" * 200),)), conversation_id="T1:C1:1.0"
    )
    sections = [b["text"]["text"] for b in message.blocks if b["type"] == "section"]
    assert all(len(s) <= 3000 for s in sections)
    assert len(sections) > 3
    assert "".join(sections).count("Paragraph") == 20
    [button] = [e for b in message.blocks if b["type"] == "actions" for e in b["elements"]]
    assert len(button["text"]["text"]) <= 75
    assert len(message.text) <= 3000


def test_a_hand_off_shows_its_ticket() -> None:
    message = render_reply(
        Reply(kind=ReplyKind.HANDOFF, text="Passed on.", handoff_id="HD-1"), conversation_id="T1:D1:1.0"
    )
    assert message.blocks[-1] == {"type": "context", "elements": [{"type": "mrkdwn", "text": "Ticket *HD-1*"}]}


def test_a_clicked_message_keeps_its_text_and_shows_the_choice_instead_of_buttons() -> None:
    blocks = render_reply(answer(), conversation_id="T1:C1:1.0").blocks
    marked = mark_chosen(blocks, label="This helped")
    assert not [b for b in marked if b["type"] == "actions"]
    assert marked[0] == blocks[0]
    assert "This helped" in marked[-1]["elements"][0]["text"]
