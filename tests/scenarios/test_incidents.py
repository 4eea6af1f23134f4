"""Major-incident awareness through the web chat and the staff API: a surge of similar reports opens a suspected
incident; staff confirm it; later reporters are told it is known; resolving it tells everyone."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.staffapi import StaffClient
from tests.support.webchat import Bot, Person

VPN_COMPLAINTS = [
    ("ana", "the VPN keeps disconnecting every few minutes"),
    ("ben", "I can't connect to the VPN this morning"),
    ("cat", "is the VPN broken? it won't connect"),
]


async def incidents(staff: StaffClient, status: str = "open") -> list[dict[str, Any]]:
    path = "/incidents?status=all" if status == "all" else "/incidents"
    return list((await staff.ok("GET", path))["incidents"])


async def everything_said_to(person: Person) -> str:
    return " ".join(reply["text"] for reply in await person.later_replies())


@pytest.mark.asyncio
async def test_a_surge_of_vpn_complaints_opens_one_incident_and_later_reporters_are_told(token_bot: Bot) -> None:
    staff = StaffClient.with_token(token_bot.client)
    reporters = [token_bot.person(name) for name, _ in VPN_COMPLAINTS]
    for person, (_, text) in zip(reporters[:2], VPN_COMPLAINTS, strict=False):
        await person.say(text)
    assert await incidents(staff) == []  # two people are not a surge

    await reporters[2].say(VPN_COMPLAINTS[2][1])
    [incident] = await incidents(staff)
    assert (incident["status"], incident["reporters"]) == ("suspected", 3)
    assert incident["summary"] == VPN_COMPLAINTS[0][1]  # staff see the first report; nobody else does

    # While it is only suspected, a fourth reporter is linked but gets the usual help.
    dan = token_bot.person("dan")
    first_replies = await dan.say("my vpn connection drops all the time")
    assert all("already knows" not in reply["text"] for reply in first_replies)
    assert (await incidents(staff))[0]["reporters"] == 4

    # If Dan asks for a person, his ticket weighs more: four people reported the same thing.
    [handoff] = await dan.say("I want to talk to a person")
    triage = (await staff.ticket(handoff["handoff_id"]))["packet"]["triage"]
    assert triage["impact"] == "medium"
    assert "4 people reported it" in triage["why"]
    await staff.ok("POST", f"/tickets/{handoff['handoff_id']}/claim")
    await staff.ok("POST", f"/tickets/{handoff['handoff_id']}/resolve", {"note": "Part of the VPN incident."})

    confirmed = await staff.ok("POST", f"/incidents/{incident['id']}/confirm", {"title": "VPN outage"})
    assert confirmed["incident"]["status"] == "confirmed"
    for person in [*reporters, dan]:
        told = await everything_said_to(person)
        assert "IT has confirmed a wider problem \u2014 VPN outage" in told
        assert incident["id"] in told

    # From now on, the next person reporting it is told it is known instead of getting a ticket.
    eve = token_bot.person("eve")
    [known] = await eve.say("the vpn won't connect from home")
    assert "already knows about \u2014 VPN outage" in known["text"]
    assert incident["id"] in known["text"]
    assert [choice["label"] for choice in known["choices"]] == ["Talk to a person"]
    assert all(text not in known["text"] for _, text in VPN_COMPLAINTS)  # nobody hears what others wrote
    assert await staff.tickets() == []  # no new ticket

    # Somebody with another problem is not told about the VPN.
    [other] = await token_bot.person("fay").say("how do I set up my out of office reply in Outlook?")
    assert incident["id"] not in other["text"]

    resolved = await staff.ok(
        "POST", f"/incidents/{incident['id']}/resolve", {"note": "The gateway certificate was renewed."}
    )
    assert (resolved["incident"]["status"], resolved["incident"]["reporters"]) == ("resolved", 5)
    for person in [*reporters, dan, eve]:
        told = await everything_said_to(person)
        assert "has been fixed. The gateway certificate was renewed." in told
    assert await incidents(staff) == []
    assert [i["status"] for i in await incidents(staff, "all")] == ["resolved"]


@pytest.mark.asyncio
async def test_one_person_repeating_themselves_is_not_an_incident(token_bot: Bot) -> None:
    ana = token_bot.person("ana")
    for text in ["the VPN keeps disconnecting", "the VPN disconnected again", "VPN still dropping every hour"]:
        await ana.say(text)
    assert await token_bot.services.incidents.all() == []


@pytest.mark.asyncio
async def test_incidents_need_a_staff_member_of_the_service_desk(desk_bot: Bot) -> None:
    nobody = StaffClient(client=desk_bot.client, headers={})
    wrong_token = StaffClient.with_token(desk_bot.client, token="not-the-token")
    outsider = StaffClient.behind_proxy(desk_bot.client, email="sam@example.com", name="Sam")
    dana = StaffClient.behind_proxy(desk_bot.client, email="dana@example.com", name="Dana")

    assert (await nobody.call("GET", "/incidents"))[0] == 401
    assert (await wrong_token.call("GET", "/incidents"))[0] == 401
    status, payload = await outsider.call("GET", "/incidents")
    assert status == 403
    assert "Service desk" in payload["error"]["message"]
    assert (await dana.call("GET", "/incidents")) == (200, {"incidents": []})


@pytest.mark.asyncio
async def test_confirming_or_resolving_twice_or_a_missing_incident_is_refused(token_bot: Bot) -> None:
    staff = StaffClient.with_token(token_bot.client)
    for name, text in VPN_COMPLAINTS:
        await token_bot.person(name).say(text)
    [incident] = await incidents(staff)
    path = f"/incidents/{incident['id']}"

    assert (await staff.call("POST", "/incidents/INC-000000-0000/confirm", {}))[0] == 404
    status, payload = await staff.call("POST", f"{path}/confirm", {"title": "x" * 201})
    assert status == 422
    assert "title" in payload["error"]["message"]
    assert (await staff.call("POST", f"{path}/confirm", {"priority": "P1"}))[0] == 422
    await staff.ok("POST", f"{path}/confirm", {})
    status, payload = await staff.call("POST", f"{path}/confirm", {})
    assert status == 409
    assert "confirmed, not suspected" in payload["error"]["message"]
    await staff.ok("POST", f"{path}/resolve", {})
    status, payload = await staff.call("POST", f"{path}/resolve", {})
    assert status == 409
    assert "already resolved" in payload["error"]["message"]
