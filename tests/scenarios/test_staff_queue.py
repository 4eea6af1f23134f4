"""The whole hand-off loop through the web chat and the staff API: ticket → claim → relay both ways → resolve →
rating; and everything staff may not do."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.store.sql.schema import itsm_outbox
from knowledge.embeddings import MiniLMEncoder
from tests.fakes.servicenow_server import FakeServiceNow
from tests.support.staffapi import PROXY_SECRET, STAFF_TOKEN, StaffClient
from tests.support.webchat import Bot, running_bot


@pytest.mark.asyncio
async def test_the_whole_loop_from_asking_for_a_person_to_the_rating(token_bot: Bot) -> None:
    alice = token_bot.person()
    staff = StaffClient.with_token(token_bot.client)
    [answer] = await alice.say("how do I connect to the VPN?")
    [handoff] = await alice.press(answer, "Talk to a person")
    ticket_id = handoff["handoff_id"]
    assert "usually within" in handoff["text"]
    assert "cancel" in handoff["text"]

    [listed] = await staff.tickets()
    assert listed["id"] == ticket_id
    assert listed["status"] == "open"
    assert listed["requester"]["name"] == "Alice"
    view = await staff.ticket(ticket_id)
    said = [turn["text"] for turn in view["packet"]["transcript"] if turn["role"] == "user"]
    assert said == ["how do I connect to the VPN?", "[chose: Talk to a person]"]
    assert "connect to the VPN" in view["ticket"]["summary"]
    assert view["ticket"]["category"] == "network"
    assert view["packet"]["question"] == "how do I connect to the VPN?"

    # Before anyone claims it, what Alice writes is added to the ticket and she is told so.
    [relayed] = await alice.say("the client says 'gateway unreachable'")
    assert relayed["kind"] == "info"
    assert ticket_id in relayed["text"]

    claimed = await staff.ok("POST", f"/tickets/{ticket_id}/claim")
    assert claimed["ticket"]["status"] == "claimed"
    assert claimed["ticket"]["assignee_name"] == "IT Service Desk"
    [picked_up] = await alice.later_replies()
    assert "has been picked up by IT Service Desk" in picked_up["text"]

    await staff.ok("POST", f"/tickets/{ticket_id}/messages", {"text": "Is it plugged into the dock?"})
    [from_staff] = await alice.later_replies()
    assert from_staff["kind"] == "staff"
    assert from_staff["author"] == "IT Service Desk"
    assert from_staff["text"] == "Is it plugged into the dock?"
    assert (await staff.ticket(ticket_id))["ticket"]["status"] == "waiting_on_user"

    assert await alice.say("yes, on the dock") == []  # a person has it now: the bot stays quiet and relays
    view = await staff.ticket(ticket_id)
    assert view["ticket"]["status"] == "claimed"
    assert [e["text"] for e in view["events"] if e["kind"] == "person_message"] == [
        "the client says 'gateway unreachable'",
        "yes, on the dock",
    ]

    resolved = await staff.ok(
        "POST", f"/tickets/{ticket_id}/resolve", {"note": "Updated the BIOS fan profile to quiet mode."}
    )
    assert resolved["ticket"]["status"] == "resolved"
    told, rate = await alice.later_replies()
    assert "has been resolved by IT Service Desk" in told["text"]
    assert "BIOS fan profile" in told["text"]
    assert [c["label"] for c in rate["choices"]] == ["1", "2", "3", "4", "5"]
    [thanks] = await alice.press(rate, "5")
    assert "5/5" in thanks["text"]
    assert (await staff.ticket(ticket_id))["ticket"]["rating"] == 5

    [again] = await alice.say("how do I connect to the VPN?")  # the bot answers on its own again
    assert again["kind"] == "answer"
    [draft] = await token_bot.services.staff.drafts.list()
    assert draft.ticket == ticket_id
    assert "BIOS fan profile" in draft.resolution
    assert draft.question == "how do I connect to the VPN?"


@pytest.mark.asyncio
async def test_staff_calls_without_the_right_credentials_are_refused(desk_bot: Bot) -> None:
    alice = desk_bot.person()
    alice_headers = {
        "X-Helpdesk-Proxy-Secret": PROXY_SECRET,
        "X-Forwarded-User": "alice",
        "X-Forwarded-Email": "alice@example.com",
    }
    response = await desk_bot.client.post(
        "/api/chat",
        json={"conversation_id": alice.conversation_id, "text": "I want to talk to a person"},
        headers=alice_headers,
    )
    [handoff] = (await response.json())["replies"]
    ticket_id = handoff["handoff_id"]

    nobody = StaffClient(client=desk_bot.client, headers={})
    status, payload = await nobody.call("GET", "/tickets")
    assert status == 401
    assert payload["error"]["code"] == "unauthenticated"
    wrong_token = StaffClient.with_token(desk_bot.client, token="not-the-token")
    assert (await wrong_token.call("POST", f"/tickets/{ticket_id}/claim"))[0] == 401
    forged = StaffClient(
        client=desk_bot.client,
        headers={"X-Forwarded-Email": "dana@example.com", "X-Forwarded-User": "dana@example.com"},
    )
    assert (await forged.call("GET", "/tickets"))[0] == 401  # headers without the proxy's secret

    # Alice herself, through the proxy, is not on the service desk: she sees no queue and cannot act.
    alice_as_staff = StaffClient.behind_proxy(desk_bot.client, email="alice@example.com", name="Alice")
    assert await alice_as_staff.tickets() == []
    status, payload = await alice_as_staff.call("POST", f"/tickets/{ticket_id}/claim")
    assert status == 403
    assert "Nothing was changed" in payload["error"]["message"]
    assert (await alice_as_staff.call("POST", f"/tickets/{ticket_id}/resolve", {"note": "done"}))[0] == 403
    assert (await alice_as_staff.call("GET", f"/tickets/{ticket_id}"))[0] == 403

    dana = StaffClient.behind_proxy(desk_bot.client, email="dana@example.com", name="Dana Smith")
    [listed] = await dana.tickets()
    assert listed["id"] == ticket_id
    assert listed["status"] == "open"
    claimed = await dana.ok("POST", f"/tickets/{ticket_id}/claim")
    assert claimed["ticket"]["assignee"] == "dana@example.com"


@pytest.mark.asyncio
async def test_staff_mistakes_get_clear_errors_and_change_nothing(token_bot: Bot) -> None:
    alice = token_bot.person()
    staff = StaffClient.with_token(token_bot.client)
    [handoff] = await alice.say("I want to talk to a person")
    ticket_id = handoff["handoff_id"]

    status, payload = await staff.call("POST", f"/tickets/{ticket_id}/messages", {"text": "hello"})
    assert status == 409
    assert "Claim ticket" in payload["error"]["message"]
    assert (await staff.call("GET", "/tickets/HD-000000-NOPE"))[0] == 404
    assert (await staff.call("GET", "/tickets?status=sleeping"))[0] == 400
    await staff.ok("POST", f"/tickets/{ticket_id}/claim")
    assert (await staff.call("POST", f"/tickets/{ticket_id}/messages", {"text": "   "}))[0] == 422
    assert (await staff.call("POST", f"/tickets/{ticket_id}/messages", {"text": "x" * 5000}))[0] == 422
    assert (await staff.call("POST", f"/tickets/{ticket_id}/messages", {"txt": "typo"}))[0] == 422
    assert (await staff.call("POST", f"/tickets/{ticket_id}/resolve", {"note": ""}))[0] == 422
    assert (await staff.ticket(ticket_id))["ticket"]["status"] == "claimed"

    await staff.ok("POST", f"/tickets/{ticket_id}/return")
    status, payload = await staff.call("POST", f"/tickets/{ticket_id}/resolve", {"note": "late"})
    assert status == 409
    assert "returned to bot" in payload["error"]["message"]


@pytest.mark.asyncio
async def test_the_ticket_question_is_what_the_person_needed_not_talk_to_a_person(token_bot: Bot) -> None:
    alice = token_bot.person()
    await alice.say("how do I connect to the VPN?")
    [handoff] = await alice.say("I want to talk to a person")
    assert (await token_bot.handoff_packet(handoff["handoff_id"]))["question"] == "how do I connect to the VPN?"

    bob = token_bot.person("bob")  # asked for a person straight away: the draft takes what he then told IT
    staff = StaffClient.with_token(token_bot.client)
    [handoff] = await bob.say("I want to talk to a person")
    await bob.say("my badge does not open the door on floor 3")
    await staff.ok("POST", f"/tickets/{handoff['handoff_id']}/resolve", {"note": "Re-encoded the badge."})
    [draft] = await token_bot.services.staff.drafts.list()
    assert draft.question == "my badge does not open the door on floor 3"


@pytest.mark.asyncio
async def test_internal_notes_stay_with_staff(token_bot: Bot) -> None:
    alice = token_bot.person()
    staff = StaffClient.with_token(token_bot.client)
    [handoff] = await alice.say("I want to talk to a person")
    ticket_id = handoff["handoff_id"]
    await staff.ok(
        "POST", f"/tickets/{ticket_id}/messages", {"text": "Probably the known dock firmware bug", "internal": True}
    )
    assert await alice.later_replies() == []
    [note] = [e for e in (await staff.ticket(ticket_id))["events"] if e["kind"] == "internal_note"]
    assert note["internal"]
    assert note["text"] == "Probably the known dock firmware bug"


@pytest.mark.asyncio
async def test_the_person_can_cancel_and_the_bot_takes_over_again(token_bot: Bot) -> None:
    alice = token_bot.person()
    staff = StaffClient.with_token(token_bot.client)
    [handoff] = await alice.say("I want to talk to a person")
    [closed] = await alice.say("cancel")
    assert "closed ticket" in closed["text"]
    assert (await staff.ticket(handoff["handoff_id"]))["ticket"]["status"] == "cancelled"
    [answer] = await alice.say("how do I connect to the VPN?")
    assert answer["kind"] == "answer"


@pytest.mark.asyncio
async def test_returning_to_the_bot_tells_the_person(token_bot: Bot) -> None:
    alice = token_bot.person()
    staff = StaffClient.with_token(token_bot.client)
    [handoff] = await alice.say("I want to talk to a person")
    await staff.ok("POST", f"/tickets/{handoff['handoff_id']}/claim")
    await staff.ok("POST", f"/tickets/{handoff['handoff_id']}/return")
    *_, returned = await alice.later_replies()
    assert "handed this conversation back to me" in returned["text"]
    [answer] = await alice.say("how do I connect to the VPN?")
    assert answer["kind"] == "answer"


@pytest.mark.asyncio
async def test_two_unhelpful_answers_bring_in_a_person(token_bot: Bot) -> None:
    alice = token_bot.person()
    [first] = await alice.say("how do I connect to the VPN?")
    [sorry] = await alice.press(first, "Not helpful")
    assert sorry["kind"] == "info"
    [second] = await alice.say("how do I set up my printer?")
    [handoff] = await alice.press(second, "Not helpful")
    assert handoff["kind"] == "handoff"
    [listed] = await StaffClient.with_token(token_bot.client).tickets()
    assert listed["id"] == handoff["handoff_id"]
    assert "did not help" in listed["reason"]


@pytest.mark.asyncio
async def test_a_ticket_is_mirrored_into_servicenow_without_making_anyone_wait(
    starter_data_dir: Path, tmp_path: Path, encoder: MiniLMEncoder
) -> None:
    servicenow = FakeServiceNow()
    await servicenow.start()
    servicenow.add_user(name="alice", email="alice@example.com")
    servicenow.fail_next(1)  # ServiceNow is down when the ticket opens: the person is not held up
    try:
        async with running_bot(
            data_dir=starter_data_dir,
            tmp_path=tmp_path,
            encoder=encoder,
            staff_token=STAFF_TOKEN,
            itsm="servicenow",
            servicenow_url=servicenow.base_url,
            servicenow_user=servicenow.user,
            servicenow_password=servicenow.password,
        ) as bot:
            alice = bot.person()
            staff = StaffClient.with_token(bot.client)
            outbox = bot.services.staff.outbox
            assert outbox is not None
            [handoff] = await alice.say("I want to talk to a person")
            ticket_id = handoff["handoff_id"]
            assert handoff["kind"] == "handoff"
            assert await outbox.run_due() == 0
            assert servicenow.incidents == {}

            await staff.ok("POST", f"/tickets/{ticket_id}/claim")
            await staff.ok("POST", f"/tickets/{ticket_id}/messages", {"text": "Checking the logs", "internal": True})
            await staff.ok("POST", f"/tickets/{ticket_id}/resolve", {"note": "Reset the VPN profile."})
            await _deliver_everything(bot, ticket_id)

            [(sys_id, incident)] = servicenow.incidents.items()
            assert incident["correlation_id"] == ticket_id
            assert incident["state"] == "6"
            assert any("Checking the logs" in note for note in servicenow.notes(sys_id, "work_notes"))
            assert incident["close_notes"] == "Reset the VPN profile."
            assert (await staff.ticket(ticket_id))["ticket"]["external"] == {"servicenow": sys_id}
    finally:
        await servicenow.close()


async def _deliver_everything(bot: Bot, ticket_id: str) -> None:
    """Run the outbox as its background worker would, moving past the backoff of the first failure."""
    outbox = bot.services.staff.outbox
    assert outbox is not None
    for _ in range(20):
        rows = await outbox.pending(ticket_id)
        if not rows:
            return
        async with bot.services.database.engine.begin() as conn:  # make every waiting row due now
            await conn.execute(itsm_outbox.update().values(next_attempt_at=datetime.now(UTC)))
        await outbox.run_due()
    raise AssertionError(f"outbox never emptied: {await outbox.pending(ticket_id)}")
