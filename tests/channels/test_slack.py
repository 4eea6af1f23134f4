"""The bot in Slack, through the real slack-bolt and slack_sdk code: signed requests in, Web API calls out."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
import structlog

from bot.core.model import ConversationRef
from knowledge.embeddings import MiniLMEncoder
from tests.support.slackchat import Workspace, buttons, next_ts, section_text, sign, slack_workspace, ticket_of

pytestmark = pytest.mark.asyncio

VPN_QUESTION = "how do I connect to the VPN?"


@pytest_asyncio.fixture
async def slack(starter_data_dir: Path, tmp_path: Path, encoder: MiniLMEncoder) -> AsyncIterator[Workspace]:
    async with slack_workspace(data_dir=starter_data_dir, tmp_path=tmp_path, encoder=encoder) as workspace:
        yield workspace


def conversation(workspace: Workspace, channel: str, thread_ts: str) -> ConversationRef:
    return ConversationRef(channel="slack", id=f"{workspace.team_id}:{channel}:{thread_ts}")


# ---- direct messages -------------------------------------------------------------------------------------------


async def test_a_direct_message_is_answered_in_its_thread_with_sources_and_buttons(slack: Workspace) -> None:
    ana = slack.person("UANA", name="Ana Lima")
    ts = await ana.dm(VPN_QUESTION)

    [answer] = slack.thread(ana.dm_channel, ts)
    assert "vpn" in section_text(answer).lower()
    assert "*Sources*\n1. <https://" in section_text(answer)
    assert buttons(answer) == ["This helped", "Not helpful", "Talk to a person"]
    # Working marker on the question while the bot thinks, removed once it has answered.
    [added], [removed] = slack.api.calls_to("reactions.add"), slack.api.calls_to("reactions.remove")
    assert added.args["timestamp"] == removed.args["timestamp"] == ts
    # The engine saw the person with the e-mail from their Slack profile.
    state = await slack.bot.services.store.load_state(conversation(slack, ana.dm_channel, ts))
    assert state is not None
    assert state.owner_id == "UANA"
    packet_user = await slack.bot.services.store.transcript(conversation(slack, ana.dm_channel, ts))
    assert [t.role for t in packet_user] == ["user", "bot"]


async def test_a_reply_in_the_thread_continues_the_conversation(slack: Workspace) -> None:
    ana = slack.person("UANA")
    ts = await ana.dm("hello")
    await ana.dm(VPN_QUESTION, thread_ts=ts)
    await ana.dm("I want to talk to a person", thread_ts=ts)

    greeting, answer, handoff = slack.thread(ana.dm_channel, ts)
    assert "IT help bot" in section_text(greeting)
    assert "Sources" in section_text(answer)
    assert "Ticket *HD-" in json.dumps(handoff.args["blocks"])
    packet = await slack.bot.handoff_packet(ticket_of(handoff))
    assert [t["text"] for t in packet["transcript"] if t["role"] == "user"] == [
        "hello",
        VPN_QUESTION,
        "I want to talk to a person",
    ]
    assert packet["user"]["email"] == "uana@example.com"
    assert len(slack.api.calls_to("users.info")) == 1  # the profile is cached between messages


async def test_a_new_top_level_message_starts_a_new_conversation(slack: Workspace) -> None:
    ana = slack.person("UANA")
    first, second = await ana.dm("hello"), await ana.dm(VPN_QUESTION)
    assert len(slack.thread(ana.dm_channel, first)) == len(slack.thread(ana.dm_channel, second)) == 1


# ---- channels ----------------------------------------------------------------------------------------------------


async def test_a_mention_in_a_channel_is_answered_once_in_a_thread_and_followed_up_there(slack: Workspace) -> None:
    ana, bob = slack.person("UANA"), slack.person("UBOB")
    ts = await ana.mention("C0IT", VPN_QUESTION)  # arrives as app_mention and as a message event
    [answer] = slack.thread("C0IT", ts)
    assert "Sources" in section_text(answer)

    await ana.write("C0IT", "thanks", thread_ts=ts)  # no mention needed inside the thread
    assert len(slack.thread("C0IT", ts)) == 2

    await bob.write("C0IT", "same problem here", thread_ts=ts)  # colleagues chatting are left alone
    await ana.write("C0IT", "lunch anyone?")  # and so is channel chatter
    assert len(slack.thread("C0IT", ts)) == 2
    assert not [c for c in slack.api.calls_to("chat.postMessage") if c.args.get("thread_ts") is None]


async def test_someone_else_mentioning_the_bot_in_a_thread_is_told_privately(slack: Workspace) -> None:
    ana, bob = slack.person("UANA"), slack.person("UBOB")
    ts = await ana.mention("C0IT", VPN_QUESTION)
    await bob.mention("C0IT", "my wifi is down too", thread_ts=ts)

    [notice] = slack.ephemeral("UBOB")
    assert "someone else's conversation" in notice.args["text"]
    assert notice.args["thread_ts"] == ts
    assert len(slack.thread("C0IT", ts)) == 1
    transcript = await slack.bot.services.store.transcript(conversation(slack, "C0IT", ts))
    assert "wifi" not in " ".join(t.text for t in transcript)


@pytest.mark.parametrize(
    "event",
    [
        {"subtype": "message_changed", "message": {"text": "edited"}},
        {"subtype": "channel_join", "text": "<@UANA> has joined the channel"},
        {"bot_id": "BOTHER", "text": "I am another bot"},
        {"subtype": "bot_message", "bot_id": "BOTHER", "text": "digest"},
    ],
    ids=["edit", "join", "bot", "bot_message"],
)
async def test_edits_joins_and_bots_are_ignored(slack: Workspace, event: dict[str, object]) -> None:
    slack.person("UANA")
    ts = next_ts()
    response = await slack.deliver_event(
        {"type": "message", "channel_type": "im", "channel": "DUANA", "user": "UANA", "ts": ts, **event}
    )
    await slack.settle()
    assert response.status == 200
    assert {c.method for c in slack.api.calls} <= {"auth.test"}  # bolt checks its token; nothing is posted


async def test_the_bots_own_messages_are_ignored(slack: Workspace) -> None:
    ts = next_ts()
    await slack.deliver_event(
        {
            "type": "message",
            "channel_type": "im",
            "channel": "DUANA",
            "ts": ts,
            "user": slack.api.bot_user_id,
            "bot_id": slack.api.bot_id,
            "text": "answer",
        }
    )
    await slack.settle()
    assert not slack.api.calls_to("chat.postMessage")


# ---- buttons -----------------------------------------------------------------------------------------------------


async def test_this_helped_is_stored_and_acknowledged_only_to_the_person(slack: Workspace) -> None:
    ana = slack.person("UANA")
    ts = await ana.mention("C0IT", VPN_QUESTION)
    [answer] = slack.thread("C0IT", ts)
    response = await ana.click(answer, "This helped")
    assert response.status == 200

    [rating] = await slack.bot.feedback()
    assert rating["helpful"] is True
    assert rating["user"] == "UANA"
    assert rating["conversation"] == conversation(slack, "C0IT", ts).key
    [thanks] = slack.ephemeral("UANA")  # private: visible only to Ana, in the thread
    assert "glad it helped" in thanks.args["text"]
    assert thanks.args["thread_ts"] == ts
    assert len(slack.thread("C0IT", ts)) == 1  # nothing new for the whole channel
    [marked] = slack.api.calls_to("response_url")  # the buttons are replaced by what was chosen
    assert marked.args["replace_original"] is True
    assert "This helped" in json.dumps(marked.args["blocks"])
    assert '"actions"' not in json.dumps(marked.args["blocks"])


async def test_not_helpful_then_talk_to_a_person_hands_off_with_the_question(slack: Workspace) -> None:
    ana = slack.person("UANA")
    ts = await ana.dm(VPN_QUESTION)
    [answer] = slack.thread(ana.dm_channel, ts)
    await ana.click(answer, "Not helpful")
    _, offer = slack.thread(ana.dm_channel, ts)  # in a DM, private replies go to the thread itself
    assert buttons(offer) == ["Talk to a person"]
    await ana.click(offer, "Talk to a person")

    handoff = slack.thread(ana.dm_channel, ts)[-1]
    ticket = ticket_of(handoff)
    packet = await slack.bot.handoff_packet(ticket)
    assert packet["question"] == VPN_QUESTION
    assert packet["intent"] == "human"
    assert [r["helpful"] for r in await slack.bot.feedback()] == [False]
    assert not slack.api.calls_to("chat.postEphemeral")


@pytest_asyncio.fixture
async def clarifying_slack(starter_data_dir: Path, tmp_path: Path, encoder: MiniLMEncoder) -> AsyncIterator[Workspace]:
    # Thresholds that put every retrieval in the clarify band make the flow deterministic.
    async with slack_workspace(
        data_dir=starter_data_dir, tmp_path=tmp_path, encoder=encoder, answer_threshold=1.0, clarify_threshold=0.0
    ) as workspace:
        yield workspace


async def test_suggested_articles_are_buttons_and_a_pick_answers_from_that_article(clarifying_slack: Workspace) -> None:
    slack = clarifying_slack
    ana = slack.person("UANA")
    ts = await ana.dm("printer problem")
    [question] = slack.thread(ana.dm_channel, ts)
    options = buttons(question)
    assert options[-1] == "None of these — talk to a person"
    assert len(options) >= 3

    await ana.click(question, options[1])
    _, answer = slack.thread(ana.dm_channel, ts)
    assert options[1].split(",")[0][:20].lower() in section_text(answer).lower()


# ---- delivery guarantees -----------------------------------------------------------------------------------------


async def test_retries_and_duplicate_deliveries_never_produce_a_second_reply(slack: Workspace) -> None:
    ana = slack.person("UANA")
    ts = next_ts()
    event = {
        "type": "message",
        "channel_type": "im",
        "channel": ana.dm_channel,
        "user": "UANA",
        "text": "hello",
        "ts": ts,
    }
    first = await slack.deliver_event(event, event_id="EvSAME")
    retry = await slack.deliver_event(event, event_id="EvSAME", retry=1)
    copy = await slack.deliver_event(event, event_id="EvOTHER")  # same message, another envelope
    await slack.settle()
    assert (first.status, retry.status, copy.status) == (200, 200, 200)
    assert len(slack.thread(ana.dm_channel, ts)) == 1


async def test_the_request_is_acknowledged_before_the_turn_finishes(slack: Workspace) -> None:
    ana = slack.person("UANA")
    release = slack.api.hold("users.info")  # Slack's API is slow to say who Ana is
    ts = next_ts()
    started = time.monotonic()
    response = await slack.deliver_event(
        {
            "type": "message",
            "channel_type": "im",
            "channel": ana.dm_channel,
            "user": "UANA",
            "text": VPN_QUESTION,
            "ts": ts,
        }
    )
    assert response.status == 200
    assert time.monotonic() - started < 3
    assert slack.thread(ana.dm_channel, ts) == []  # acknowledged, still working
    release.set()
    await slack.settle()
    assert len(slack.thread(ana.dm_channel, ts)) == 1


@pytest.mark.parametrize(
    "headers",
    [
        {"X-Slack-Signature": "v0=" + "0" * 64},
        {"X-Slack-Request-Timestamp": str(int(time.time()) - 6 * 60)},  # replayed after more than five minutes
        {"X-Slack-Signature": ""},
    ],
    ids=["bad-signature", "stale-timestamp", "no-signature"],
)
async def test_unverifiable_requests_are_refused_and_nothing_is_dispatched(
    slack: Workspace, headers: dict[str, str]
) -> None:
    slack.person("UANA")
    body = json.dumps(
        {
            "type": "event_callback",
            "team_id": "T0001",
            "event_id": "Ev1",
            "event": {
                "type": "message",
                "channel_type": "im",
                "channel": "DUANA",
                "user": "UANA",
                "text": "hi",
                "ts": next_ts(),
            },
        }
    ).encode()
    signed = sign(body, timestamp=int(headers.get("X-Slack-Request-Timestamp", time.time())))
    response = await slack.bot.client.post(
        "/slack/events", data=body, headers={**signed, **headers, "Content-Type": "application/json"}
    )
    await slack.settle()
    assert response.status == 401
    assert slack.api.calls == []


@pytest.mark.parametrize("body", [b"{not json", b'{"no": "type"}', b"\xff\xfe"], ids=["json", "shape", "utf8"])
async def test_malformed_bodies_are_refused_even_when_signed(slack: Workspace, body: bytes) -> None:
    response = await slack.post(body, content_type="application/json")
    await slack.settle()
    assert response.status == 400
    assert slack.api.calls == []


async def test_slacks_url_verification_challenge_is_answered(slack: Workspace) -> None:
    body = json.dumps({"type": "url_verification", "challenge": "abc123", "token": "legacy"}).encode()
    response = await slack.post(body, content_type="application/json")
    assert response.status == 200
    assert (await response.json())["challenge"] == "abc123"


async def test_a_rate_limited_reply_is_retried_after_the_wait_slack_asks_for(slack: Workspace) -> None:
    ana = slack.person("UANA")
    slack.api.fail_next("chat.postMessage", "ratelimited", retry_after=1)
    ts = await ana.dm("hello")
    attempts = slack.api.calls_to("chat.postMessage")
    assert [a.error for a in attempts] == ["ratelimited", None]
    assert len(slack.thread(ana.dm_channel, ts)) == 1


@pytest.mark.parametrize("error", ["channel_not_found", "not_in_channel"])
async def test_a_reply_the_channel_refuses_reaches_the_person_by_direct_message(slack: Workspace, error: str) -> None:
    ana = slack.person("UANA")
    slack.api.fail_next("chat.postMessage", error)
    ts = await ana.mention("C0GONE", VPN_QUESTION)
    assert slack.thread("C0GONE", ts) == []
    [opened] = slack.api.calls_to("conversations.open")
    assert opened.args["users"] == "UANA"
    [direct] = [c for c in slack.api.calls_to("chat.postMessage") if c.args["channel"] == "DUANA"]
    assert "couldn't post in the channel" in direct.args["text"]
    assert "Sources" in section_text(direct)


async def test_a_revoked_token_is_logged_with_the_event_id_and_the_reply_is_kept(slack: Workspace) -> None:
    ana = slack.person("UANA")
    slack.api.fail_next("chat.postMessage", "invalid_auth")
    ts = next_ts()
    with structlog.testing.capture_logs() as logs:
        await slack.deliver_event(
            {
                "type": "message",
                "channel_type": "im",
                "channel": ana.dm_channel,
                "user": "UANA",
                "text": VPN_QUESTION,
                "ts": ts,
            },
            event_id="EvREVOKED",
        )
        await slack.settle()
    failures = [entry for entry in logs if entry["event"] == "slack_delivery_failed"]
    assert [(f["error"], f["event_id"], f["log_level"]) for f in failures] == [("invalid_auth", "EvREVOKED", "error")]
    assert not slack.api.calls_to("conversations.open")  # a bad token is not a reason to try another channel
    transcript = await slack.bot.services.store.transcript(conversation(slack, ana.dm_channel, ts))
    assert transcript[-1].reply is not None
    assert transcript[-1].reply.kind == "answer"


@pytest_asyncio.fixture
async def slack_with_a_revoked_token(
    starter_data_dir: Path, tmp_path: Path, encoder: MiniLMEncoder
) -> AsyncIterator[Workspace]:
    async with slack_workspace(
        data_dir=starter_data_dir, tmp_path=tmp_path, encoder=encoder, bot_token="xoxb-revoked"
    ) as workspace:
        yield workspace


async def test_a_bot_whose_token_slack_rejects_gets_nothing_through(slack_with_a_revoked_token: Workspace) -> None:
    slack = slack_with_a_revoked_token
    ana = slack.person("UANA")
    response = await slack.deliver_event(
        {
            "type": "message",
            "channel_type": "im",
            "channel": ana.dm_channel,
            "user": "UANA",
            "text": "hello",
            "ts": next_ts(),
        }
    )
    await slack.settle()
    assert response.status == 200  # acknowledged, so Slack does not retry it for an hour
    assert slack.api.calls == []  # every call was refused before it counted: nothing posted, nobody looked up


async def test_a_private_reply_that_cannot_be_shown_in_the_channel_goes_by_direct_message(slack: Workspace) -> None:
    ana = slack.person("UANA")
    ts = await ana.mention("C0IT", VPN_QUESTION)
    [answer] = slack.thread("C0IT", ts)
    slack.api.fail_next("chat.postEphemeral", "user_not_in_channel")
    await ana.click(answer, "This helped")
    [direct] = [c for c in slack.api.calls_to("chat.postMessage") if c.args["channel"] == "DUANA"]
    assert "glad it helped" in direct.args["text"]
    assert len(slack.thread("C0IT", ts)) == 1  # never to the channel


# ---- identity ----------------------------------------------------------------------------------------------------


async def test_someone_whose_email_cannot_be_read_is_told_and_handed_off(slack: Workspace) -> None:
    ana = slack.person("UANA", email=None)  # the app lacks users:read.email, or the profile has none
    ts = await ana.dm(VPN_QUESTION)
    [reply] = slack.thread(ana.dm_channel, ts)
    assert "couldn't confirm who you are" in section_text(reply)
    assert "Sources" not in section_text(reply)
    ticket = ticket_of(reply)
    packet = await slack.bot.handoff_packet(ticket)
    assert "could not identify" in packet["reason"]
    assert packet["user"]["email"] is None


async def test_an_unknown_slack_user_is_never_guessed(slack: Workspace) -> None:
    ts = next_ts()  # UGHOST is not in the workspace directory: users.info says user_not_found
    await slack.deliver_event(
        {
            "type": "message",
            "channel_type": "im",
            "channel": "DUGHOST",
            "user": "UGHOST",
            "text": "reset my password",
            "ts": ts,
        }
    )
    await slack.settle()
    [reply] = slack.thread("DUGHOST", ts)
    assert "couldn't confirm who you are" in section_text(reply)


# ---- slash command -----------------------------------------------------------------------------------------------


async def test_the_slash_command_opens_a_direct_conversation_with_the_question(slack: Workspace) -> None:
    ana = slack.person("UANA")
    response = await ana.slash(VPN_QUESTION)
    assert response.status == 200
    assert "direct message" in await response.text()  # the acknowledgement is shown only to Ana

    [opened] = slack.api.calls_to("conversations.open")
    assert opened.args["users"] == "UANA"
    asked, answer = slack.api.calls_to("chat.postMessage")
    assert asked.args["channel"] == "DUANA"
    assert VPN_QUESTION in asked.args["text"]
    assert answer.args["thread_ts"] == asked.response["ts"]
    assert "Sources" in section_text(answer)


async def test_the_slash_command_without_a_question_greets_in_a_direct_message(slack: Workspace) -> None:
    ana = slack.person("UANA")
    await ana.slash("")
    [greeting] = slack.api.calls_to("chat.postMessage")
    assert greeting.args["channel"] == "DUANA"
    assert "IT help bot" in greeting.args["text"]
