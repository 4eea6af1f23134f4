"""The bot in Microsoft Teams, through the real Agents SDK: JWT-signed activities in, connector calls out."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
import structlog
from cryptography.hazmat.primitives.asymmetric import rsa

from bot import messages
from bot.core.model import ConversationRef, Reply, ReplyKind
from knowledge.embeddings import MiniLMEncoder
from tests.support.teamschat import APP_PASSWORD, OTHER_TENANT, TeamsTenant, teams_tenant
from tests.support.webchat import Bot

pytestmark = pytest.mark.asyncio

VPN_QUESTION = "how do I connect to the VPN?"


@pytest_asyncio.fixture
async def teams(starter_data_dir: Path, tmp_path: Path, encoder: MiniLMEncoder) -> AsyncIterator[TeamsTenant]:
    async with teams_tenant(data_dir=starter_data_dir, tmp_path=tmp_path, encoder=encoder) as tenant:
        yield tenant


# ---- personal chat -------------------------------------------------------------------------------------------


async def test_a_personal_chat_question_gets_an_answer_card_with_sources_and_buttons(teams: TeamsTenant) -> None:
    ana = teams.person("Ana Lima")
    response = await ana.say(VPN_QUESTION)

    assert response.status == 202
    [answer] = teams.connector.posted(ana.personal_chat)
    assert "vpn" in answer.text.lower()
    assert "Sources" in answer.text
    assert "](https://" in answer.text
    assert [b["title"] for b in answer.buttons] == ["This helped", "Not helpful", "Talk to a person"]
    # A reply to the person's message, with the bot's own token, after a typing indicator.
    assert answer.activity_id is not None
    assert answer.path.endswith(f"/activities/{answer.activity_id}")
    assert teams.connector.typing(ana.personal_chat)
    assert teams.connector.rejected == []
    # The engine saw the person by Entra object id, with the e-mail from the Teams roster.
    conversation = ConversationRef(channel="teams", id=ana.personal_chat)
    state = await teams.bot.services.store.load_state(conversation)
    assert state is not None
    assert state.owner_id == ana.aad_object_id
    transcript = await teams.bot.services.store.transcript(conversation)
    assert (transcript[0].role, transcript[0].text) == ("user", VPN_QUESTION)


async def test_small_talk_is_plain_text_and_the_conversation_continues(teams: TeamsTenant) -> None:
    ana = teams.person("Ana Lima")
    await ana.say("hello")
    await ana.say("I want to talk to a person")

    greeting, handoff = teams.connector.posted(ana.personal_chat)
    assert greeting.body["text"] == messages.GREETING
    assert greeting.body.get("textFormat") == "markdown"
    assert "ticket" in handoff.text.lower()
    assert "HD-" in handoff.text


async def test_the_roster_is_asked_once_per_person_while_cached(teams: TeamsTenant) -> None:
    ana = teams.person("Ana Lima")
    await ana.say("hello")
    await ana.say("thanks")

    lookups = [c for c in teams.connector.calls if c.method == "GET"]
    assert len(lookups) == 1
    assert lookups[0].path.endswith(f"/members/{ana.teams_id}")


# ---- card buttons ------------------------------------------------------------------------------------------


async def test_pressing_talk_to_a_person_on_the_card_hands_the_question_off(teams: TeamsTenant) -> None:
    ana = teams.person("Ana Lima")
    await ana.say(VPN_QUESTION)
    [answer] = teams.connector.posted(ana.personal_chat)

    await ana.press(answer, "Talk to a person")

    _, handoff = teams.connector.posted(ana.personal_chat)
    ticket = next(word.strip("().*") for word in handoff.text.split() if word.strip("().*").startswith("HD-"))
    packet = await teams.bot.handoff_packet(ticket)
    assert packet["question"] == VPN_QUESTION
    assert packet["user"]["email"] == "ana@contoso.example"


async def test_pressing_this_helped_records_feedback_for_that_answer(teams: TeamsTenant) -> None:
    ana = teams.person("Ana Lima")
    await ana.say(VPN_QUESTION)
    [answer] = teams.connector.posted(ana.personal_chat)

    await ana.press(answer, "This helped")

    [rating] = await teams.bot.feedback()
    assert rating["helpful"] is True
    assert rating["user"] == ana.aad_object_id
    assert rating["answer"] == answer.buttons[0]["data"]["helpdesk"]["in_reply_to"]
    assert teams.connector.posted(ana.personal_chat)[-1].text == messages.FEEDBACK_THANKS


async def test_a_submit_that_is_not_from_our_cards_is_treated_as_an_empty_message(teams: TeamsTenant) -> None:
    ana = teams.person("Ana Lima")
    await teams.deliver(ana.message("", value={"somethingElse": {"choice": "feedback:helped"}}))

    assert await teams.bot.feedback() == []
    assert teams.connector.posted(ana.personal_chat)[-1].text == messages.EMPTY_MESSAGE


# ---- channels and group chats ------------------------------------------------------------------------------


async def test_a_channel_mention_is_answered_in_its_thread_without_the_mention_text(teams: TeamsTenant) -> None:
    ana = teams.person("Ana Lima")
    await ana.mention(VPN_QUESTION, thread="1763000000500")

    thread = "19:it-support@thread.tacv2;messageid=1763000000500"
    [answer] = teams.connector.posted(thread)
    assert "vpn" in answer.text.lower()
    transcript = await teams.bot.services.store.transcript(ConversationRef(channel="teams", id=thread))
    assert transcript[0].text == VPN_QUESTION  # "<at>IT Help</at>" removed before the engine saw it
    # Channel members are looked up on the team.
    [lookup] = [c for c in teams.connector.calls if c.method == "GET"]
    assert lookup.conversation_id == "19:team-general@thread.tacv2"


async def test_someone_else_in_the_thread_is_told_privately_to_start_their_own(teams: TeamsTenant) -> None:
    ana, ben = teams.person("Ana Lima"), teams.person("Ben Okafor")
    await ana.mention(VPN_QUESTION, thread="1763000000600")
    await ben.mention("and how do I reset my Wi-Fi?", thread="1763000000600")

    thread = "19:it-support@thread.tacv2;messageid=1763000000600"
    assert len(teams.connector.posted(thread)) == 1  # nothing more in the shared thread
    [created] = [c for c in teams.connector.calls if c.path == "/v3/conversations"]
    assert created.body["members"] == [{"id": ben.teams_id}]
    assert created.body["isGroup"] is False
    [private] = teams.connector.posted(f"a:personal-{ben.teams_id}")
    assert private.text == messages.TEAMS_NOT_YOUR_THREAD


async def test_feedback_acknowledgements_from_a_channel_go_to_the_personal_chat(teams: TeamsTenant) -> None:
    ana = teams.person("Ana Lima")
    await ana.mention(VPN_QUESTION, thread="1763000000700")
    thread = "19:it-support@thread.tacv2;messageid=1763000000700"
    [answer] = teams.connector.posted(thread)

    await ana.press(answer, "This helped")

    assert len(teams.connector.posted(thread)) == 1
    [thanks] = teams.connector.posted(f"a:personal-{ana.teams_id}")
    assert thanks.text == messages.FEEDBACK_THANKS


async def test_in_a_group_chat_each_person_has_their_own_conversation(teams: TeamsTenant) -> None:
    ana, ben = teams.person("Ana Lima"), teams.person("Ben Okafor")
    chat = "19:meeting-chat@thread.v2"
    await ana.mention_in_group_chat(VPN_QUESTION, chat_id=chat)
    await ben.mention_in_group_chat("hello", chat_id=chat)

    answer, greeting = teams.connector.posted(chat)
    assert "vpn" in answer.text.lower()
    assert greeting.text == messages.GREETING
    for person in (ana, ben):
        state = await teams.bot.services.store.load_state(
            ConversationRef(channel="teams", id=f"{chat}|{person.aad_object_id}")
        )
        assert state is not None
        assert state.owner_id == person.aad_object_id


# ---- welcome and references --------------------------------------------------------------------------------


async def test_installing_the_app_in_personal_scope_gets_a_welcome(teams: TeamsTenant) -> None:
    ana = teams.person("Ana Lima")
    response = await ana.install()

    assert response.status == 202
    [welcome] = teams.connector.posted(ana.personal_chat)
    assert welcome.text == messages.GREETING
    stored = await teams.bot.services.references.load(ConversationRef(channel="teams", id=ana.personal_chat))
    assert stored is not None
    assert stored["serviceUrl"] == teams.connector.service_url


async def test_someone_else_joining_a_chat_or_a_team_install_gets_no_welcome(teams: TeamsTenant) -> None:
    ana = teams.person("Ana Lima")
    await teams.deliver(
        teams.activity(
            "conversationUpdate",
            sender=ana.account,
            conversation={"id": ana.personal_chat, "conversationType": "personal"},
            membersAdded=[{"id": "29:someone-else"}],
        )
    )
    await teams.deliver(
        teams.activity(
            "conversationUpdate",
            sender=ana.account,
            conversation={"id": "19:general@thread.tacv2", "conversationType": "channel"},
            membersAdded=[{"id": "28:helpdesk-bot"}],
            channel_data={"team": {"id": "19:general@thread.tacv2"}},
        )
    )

    assert teams.connector.posted() == []
    # The team install is remembered all the same, for messages the bot may post there later.
    assert await teams.bot.services.references.load(ConversationRef(channel="teams", id="19:general@thread.tacv2"))


async def test_a_proactive_message_reaches_the_stored_conversation_with_the_bots_token(teams: TeamsTenant) -> None:
    ana = teams.person("Ana Lima")
    await ana.say("hello")
    conversation = ConversationRef(channel="teams", id=ana.personal_chat)

    await teams.channel.send_proactive(conversation, Reply(kind=ReplyKind.INFO, text="Your laptop is ready."))

    latest = teams.connector.posted(ana.personal_chat)[-1]
    assert latest.text == "Your laptop is ready."
    assert teams.connector.rejected == []
    with pytest.raises(LookupError):
        await teams.channel.send_proactive(
            ConversationRef(channel="teams", id="a:never-seen"), Reply(kind=ReplyKind.INFO, text="hi")
        )


# ---- who may use it ------------------------------------------------------------------------------------------


async def test_a_person_from_another_tenant_is_refused_politely(teams: TeamsTenant) -> None:
    eve = teams.person("Eve Stranger", tenant_id=OTHER_TENANT)
    response = await eve.say(VPN_QUESTION)

    assert response.status == 202
    [refusal] = teams.connector.posted(eve.personal_chat)
    assert refusal.text == messages.TEAMS_OTHER_TENANT
    conversation = ConversationRef(channel="teams", id=eve.personal_chat)
    assert await teams.bot.services.store.transcript(conversation) == []
    assert await teams.bot.services.references.load(conversation) is None


async def test_a_person_the_roster_does_not_know_is_handed_to_a_human(teams: TeamsTenant) -> None:
    ghost = teams.person("Ghost User")
    del teams.connector.members[ghost.teams_id]
    await ghost.say(VPN_QUESTION)

    [handoff] = teams.connector.posted(ghost.personal_chat)
    assert "couldn't confirm who you are" in handoff.text


async def test_an_account_without_email_or_upn_is_handed_to_a_human(teams: TeamsTenant) -> None:
    guest = teams.person("Guest User", email=None)
    await guest.say(VPN_QUESTION)

    [handoff] = teams.connector.posted(guest.personal_chat)
    assert "couldn't confirm who you are" in handoff.text


@pytest.mark.parametrize(
    "problem",
    [
        "no header",
        "not bearer",
        "garbage",
        "other key",
        "wrong audience",
        "expired",
        "wrong issuer",
        "other service url",
    ],
)
async def test_requests_that_are_not_from_the_bot_framework_are_rejected(teams: TeamsTenant, problem: str) -> None:
    connector = teams.connector
    tokens = {
        "no header": None,
        "garbage": "not.a.jwt",
        "other key": connector.channel_token(key=rsa.generate_private_key(public_exponent=65537, key_size=2048)),
        "wrong audience": connector.channel_token(audience="some-other-bot"),
        "expired": connector.channel_token(expires_in=-3600),  # beyond the 5-minute clock skew allowed
        "wrong issuer": connector.channel_token(issuer="https://attacker.example"),
        "other service url": connector.channel_token(service_url="https://smba.trafficmanager.net/emea/"),
    }
    ana = teams.person("Ana Lima")
    if problem == "not bearer":
        response = await teams.deliver(
            ana.message(VPN_QUESTION), token=None, headers={"Authorization": f"Basic {connector.channel_token()}"}
        )
    else:
        response = await teams.deliver(ana.message(VPN_QUESTION), token=tokens[problem])

    assert response.status == 401
    assert connector.calls == []
    assert await teams.bot.services.store.transcript(ConversationRef(channel="teams", id=ana.personal_chat)) == []


async def test_malformed_activities_are_rejected_without_a_turn(teams: TeamsTenant) -> None:
    token = teams.connector.channel_token()
    for body in (b"{not json", b"[1, 2]", b'{"type": "message"}', b'{"type": "message", "conversation": {"id": "x"}}'):
        response = await teams.bot.client.post(
            "/api/messages", data=body, headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        )
        assert response.status == 400, body
    assert teams.connector.calls == []


async def test_a_redelivered_activity_is_answered_once(teams: TeamsTenant) -> None:
    ana = teams.person("Ana Lima")
    activity = ana.message(VPN_QUESTION)
    assert (await teams.deliver(activity)).status == 202
    assert (await teams.deliver(activity)).status == 202

    assert len(teams.connector.posted(ana.personal_chat)) == 1


async def test_invokes_are_declined(teams: TeamsTenant) -> None:
    ana = teams.person("Ana Lima")
    response = await teams.deliver(
        teams.activity("invoke", sender=ana.account, name="task/fetch", conversation={"id": ana.personal_chat})
    )
    assert response.status == 501
    assert teams.connector.calls == []


# ---- failures and secrets ----------------------------------------------------------------------------------


async def test_when_the_connector_refuses_the_bots_token_the_failure_is_logged_not_raised(
    starter_data_dir: Path, tmp_path: Path, encoder: MiniLMEncoder
) -> None:
    async with teams_tenant(
        data_dir=starter_data_dir,
        tmp_path=tmp_path,
        encoder=encoder,
        outgoing_token="a-token-the-connector-does-not-know",
    ) as teams:
        ana = teams.person("Ana Lima")
        with structlog.testing.capture_logs() as logs:
            response = await ana.say(VPN_QUESTION)

        assert response.status == 202
        assert teams.connector.posted() == []
        assert teams.connector.rejected  # the bot tried, with the wrong token
        assert any(e["event"] == "teams_delivery_failed" and e["error"] == "HTTP 401" for e in logs)
        # The turn itself went through: the transcript has the question and the answer.
        transcript = await teams.bot.services.store.transcript(ConversationRef(channel="teams", id=ana.personal_chat))
        assert [t.role for t in transcript] == ["user", "bot"]


async def test_tokens_and_the_app_password_never_reach_the_logs(teams: TeamsTenant) -> None:
    ana = teams.person("Ana Lima")
    token = teams.connector.channel_token()
    with structlog.testing.capture_logs() as logs:
        await teams.deliver(ana.message(VPN_QUESTION), token=token)
        await teams.deliver(ana.message(VPN_QUESTION), token=token + "x")

    logged = repr(logs)
    for secret in (token, APP_PASSWORD, teams.connector.bot_token):
        assert secret not in logged
    assert any(e["event"] == "teams_request_rejected" for e in logs)


# ---- local testing without an app id -----------------------------------------------------------------------


async def test_in_dev_mode_without_an_app_id_unauthenticated_activities_are_accepted(
    starter_data_dir: Path, tmp_path: Path, encoder: MiniLMEncoder
) -> None:
    async with teams_tenant(
        data_dir=starter_data_dir, tmp_path=tmp_path, encoder=encoder, authenticated=False
    ) as teams:
        ana = teams.person("Ana Lima")
        response = await teams.deliver(ana.message(VPN_QUESTION), token=None)
        assert response.status == 202
        [answer] = teams.connector.posted(ana.personal_chat)
        assert "vpn" in answer.text.lower()
        # A token nobody can check is refused rather than trusted.
        refused = await teams.deliver(ana.message("hello"), token=teams.connector.channel_token())
        assert refused.status == 401


async def test_without_teams_settings_there_is_no_teams_endpoint(bot: Bot) -> None:
    response = await bot.client.post("/api/messages", json={"type": "message"})
    assert response.status == 404
